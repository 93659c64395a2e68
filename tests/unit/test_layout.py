"""The house's layout holds: modules small enough to read in one sitting, and the
layer contracts of pyproject.toml, each shown to fail when the code breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ("domain", "projections", "services", "adapters")
MOST_LINES = 450


def test_no_source_module_is_longer_than_the_limit() -> None:
    modules = [p for folder in SOURCE for p in (ROOT / folder).rglob("*.py")]
    lengths = {
        p.relative_to(ROOT): len(p.read_text(encoding="utf-8").splitlines()) for p in modules
    }

    too_long = {str(p): n for p, n in lengths.items() if n > MOST_LINES}

    assert len(modules) > 80
    assert not too_long, f"Modules over {MOST_LINES} lines: {too_long}"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages under `root`, with the contracts of pyproject.toml."""
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """A copy of the four source packages with the project's import contracts."""
    for folder in SOURCE:
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]
    lines = ["[tool.importlinter]", f"root_packages = {contracts['root_packages']!r}"]
    lines.append("include_external_packages = true")
    for contract in contracts["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {value!r}" for key, value in contract.items()]
    (tmp_path / "pyproject.toml").write_text(
        "\n".join(lines).replace("True", "true").replace("False", "false") + "\n",
        encoding="utf-8",
    )
    return tmp_path


def contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]


def add_import(module: Path, imported: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\nimport {imported}  # noqa\n")


def test_the_copy_keeps_every_contract(house: Path) -> None:
    result = lint_imports(house)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        ("adapters/cli/render.py", "adapters.http", "Entry points are siblings"),
        ("adapters/http/__init__.py", "adapters.nats", "Entry points are siblings"),
        ("adapters/read_model_store/sqlite.py", "adapters.cli.main", "Driven adapters"),
        ("adapters/bootstrap.py", "adapters.cli", "Driven adapters and the composition root"),
        ("services/ledger/application.py", "services.projection.projector", "The write side"),
        ("services/reports.py", "adapters.bootstrap", "Layers"),
    ],
)
def test_an_import_across_a_contract_breaks_it(
    house: Path, module: str, imported: str, contract: str
) -> None:
    add_import(house / module, imported)

    result = lint_imports(house)

    assert result.returncode == 1, result.stdout + result.stderr
    (name,) = [name for name in contract_names() if name.startswith(contract)]
    said = " ".join(result.stdout.split())  # import-linter wraps long names
    assert f"{name} BROKEN" in said, result.stdout
    assert said.count(" BROKEN") == 1, result.stdout
