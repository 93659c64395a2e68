"""The README's worked example of a write runs as a newcomer would paste it.

The shell block marked `<!-- example: write to the ledger -->` is read from README.md
and run with bash in a folder holding the demo ledger, as after `make demo`, with
`.venv/bin/inclusion-ledger` the installed console script. It proposes a decision,
links contribution C-118 to it and records a vote; the test then reads the decision
back and finds the link and the vote as the example gave them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from services.demo.cast import IDS
from tests.conftest import IN_CI

README = Path(__file__).resolve().parents[2] / "README.md"
VENV = Path(sys.executable).parent.parent
BLOCK = re.compile(
    r"^<!-- example: (?P<name>[^>]+?) -->\n```sh\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL
)


def readme_examples() -> dict[str, str]:
    """The README's example shell blocks, by the name in the comment above each."""
    text = README.read_text(encoding="utf-8")
    return {m["name"]: textwrap.dedent(m["body"]) for m in BLOCK.finditer(text)}


class Checkout:
    """The repository's root as a newcomer has it after `make demo`: the console
    script in .venv/bin, the demo ledger in ./ledger-data/ledger.db."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "checkout"
        self.folder.mkdir()
        (self.folder / ".venv").symlink_to(VENV, target_is_directory=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "XDG_"))}
        env.update(
            HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"), LEDGER_LOG_FORMAT="json"
        )
        self.env = env

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            argv,
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        return result

    def cli(self, *argv: str) -> Any:
        """What the ledger prints with --json."""
        script = str(self.folder / ".venv" / "bin" / "inclusion-ledger")
        return json.loads(self.run([script, *argv, "--json"]).stdout)


def test_the_readme_has_a_worked_example_of_a_write_with_command_json() -> None:
    example = readme_examples()["write to the ledger"]

    assert "L=.venv/bin/inclusion-ledger" in example
    for command in ("ProposeDecision", "LinkContribution", "RecordVote"):
        assert f'"type": "{command}"' in example
    assert "--json" in example
    assert "assigned_ids" in example


def test_the_readme_s_example_proposes_a_decision_links_a_contribution_and_records_a_vote(
    tmp_path: Path,
) -> None:
    if shutil.which("jq") is None:
        reason = "the README's example reads JSON with jq, which is not installed"
        if IN_CI:
            pytest.fail(f"{reason} (.ci/run installs it)")
        pytest.skip(reason)
    checkout = Checkout(tmp_path)
    checkout.cli("demo")

    ran = checkout.run(["bash", "-euo", "pipefail", "-c", readme_examples()["write to the ledger"]])

    (entry,) = [d for d in checkout.cli("decisions") if d["reference"] == "D-26-01"]
    assert f"proposed D-26-01: {entry['id']}" in ran.stdout
    decision = checkout.cli("decision", "show", entry["id"])
    assert decision["status"] == "proposed"
    assert decision["partnership_id"] == str(IDS.partnership)
    (linked,) = decision["contributions"]
    assert (linked["contribution"]["id"], linked["influence"]) == (
        str(IDS.contribution_c118),
        "amended",
    )
    (vote,) = decision["votes"]
    assert (vote["member"]["id"], vote["stance"], vote["recorded"]["why"]) == (
        "m-fe-principal",
        "for",
        "Our students lose support at 16.",
    )
    assert "Aisha Begum (FE principal) voted for: Our students lose support at 16." in ran.stdout
