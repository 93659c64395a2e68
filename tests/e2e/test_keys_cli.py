"""The signing key end to end: where `checkpoint` makes it, and key files the ledger
refuses (exit 2, one line)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from adapters.signing import key_id, load_signer
from tests.e2e.test_cli import CLI, assert_refused, run


def with_key(key_file: Path, *args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command with LEDGER_SIGNING_KEY_FILE set to `key_file`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_LOG_FORMAT="json", LEDGER_SIGNING_KEY_FILE=str(key_file))
    argv = [CLI, *args] + (["--db", db] if db else [])
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


def default_key(config_home: Path) -> Path:
    return config_home / "inclusion-ledger" / "signing-key.pem"


@pytest.fixture
def checkpointed(sqlite_url: str) -> str:
    assert run("demo", db=sqlite_url).returncode == 0
    signed = run("checkpoint", db=sqlite_url)
    assert signed.returncode == 0, signed.stderr
    return sqlite_url


def test_checkpoint_makes_the_key_in_the_config_folder_not_beside_the_database(
    checkpointed: str, config_home: Path
) -> None:
    key = default_key(config_home)
    data = Path(checkpointed.removeprefix("sqlite:///")).parent

    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700
    assert not list(data.rglob("*.pem"))
    assert run("verify", db=checkpointed).returncode == 0


def test_a_key_file_open_to_others_is_refused_naming_the_path_the_mode_and_the_fix(
    checkpointed: str, config_home: Path, tmp_path: Path
) -> None:
    key = default_key(config_home)
    key.chmod(0o644)
    fix = f"chmod 600 {key}"
    bundle = tmp_path / "audit.zip"

    for args in (("checkpoint",), ("verify",), ("export", "--out", str(bundle))):
        assert_refused(run(*args, db=checkpointed), str(key), "mode 0644", fix)
    assert not bundle.exists()
    key.chmod(0o600)
    assert run("verify", db=checkpointed).returncode == 0  # the key was refused, not harmed


def test_a_key_file_that_cannot_be_created_exits_2_with_one_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    assert run("demo", db=sqlite_url).returncode == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    key = blocker / "signing-key.pem"

    assert_refused(
        with_key(key, "checkpoint", db=sqlite_url), f"Cannot create the signing key {key}"
    )


def test_ledger_signing_key_file_chooses_the_key_on_every_command(
    sqlite_url: str, tmp_path: Path, config_home: Path
) -> None:
    key = tmp_path / "keys" / "ledger.pem"
    assert run("demo", db=sqlite_url).returncode == 0

    signed = with_key(key, "checkpoint", "--json", db=sqlite_url)

    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["key_id"] == key_id(load_signer(key).public_key)
    assert key.stat().st_mode & 0o777 == 0o600
    assert not default_key(config_home).exists()
    assert with_key(key, "verify", db=sqlite_url).returncode == 0
