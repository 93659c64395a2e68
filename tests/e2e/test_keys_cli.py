"""The signing key end to end: where `checkpoint` makes it, `keys public` for auditors,
the keys `verify` trusts, and key files the ledger refuses (exit 2, one line)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_bundle_cli import offline
from tests.e2e.test_cli import CLI, NORTHMOOR_EVENTS, as_json, assert_refused, run


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


def test_keys_public_prints_the_key_and_its_id_without_a_database(
    checkpointed: str, tmp_path: Path
) -> None:
    checkpoint = as_json(run("prove", "1", db=checkpointed))["checkpoint"]
    folder = tmp_path / "elsewhere"
    folder.mkdir()

    text = offline("keys", "public", cwd=folder, database_url="nosuch://ledger")
    document = json.loads(offline("keys", "public", "--json", cwd=folder).stdout)

    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"# Inclusion Ledger checkpoint signing key {checkpoint['key_id']} (Ed25519)",
        checkpoint["public_key"],
    ]
    assert document == {
        "algorithm": "Ed25519",
        "key_id": checkpoint["key_id"],
        "public_key": checkpoint["public_key"],
    }
    assert list(folder.iterdir()) == []


def test_what_keys_public_prints_is_a_key_every_trusting_option_reads(
    checkpointed: str, config_home: Path, tmp_path: Path
) -> None:
    recorded = tmp_path / "trusted-keys.txt"
    recorded.write_text(run("keys", "public").stdout)
    as_document = tmp_path / "key.json"
    as_document.write_text(run("keys", "public", "--json").stdout)
    bundle = tmp_path / "audit.zip"
    assert run("export", "--out", str(bundle), db=checkpointed).returncode == 0
    default_key(config_home).unlink()

    assert "no key is trusted" in run("verify", db=checkpointed).stderr
    for trusting in (
        ("--trusted-keys", str(recorded)),
        ("--trust-key", str(recorded)),
        ("--trust-key", str(as_document)),
    ):
        result = run("verify", *trusting, db=checkpointed)
        assert result.returncode == 0, (trusting, result.stderr)
        assert result.stdout.startswith(f"Verified {NORTHMOOR_EVENTS} events and 1 signed")
    for trusted_key in (recorded, as_document):
        checked = offline(
            "verify-bundle", str(bundle), "--trusted-key", str(trusted_key), cwd=tmp_path
        )
        assert checked.returncode == 0, checked.stderr


def test_keys_public_without_a_key_file_exits_2_and_makes_none(config_home: Path) -> None:
    assert_refused(
        run("keys", "public"), "There is no signing key at", str(default_key(config_home))
    )
    assert not default_key(config_home).exists()


def test_a_key_file_open_to_others_is_refused_naming_the_path_the_mode_and_the_fix(
    checkpointed: str, config_home: Path, tmp_path: Path
) -> None:
    key = default_key(config_home)
    key.chmod(0o644)
    fix = f"chmod 600 {key}"
    bundle = tmp_path / "audit.zip"

    for args in (("checkpoint",), ("verify",), ("export", "--out", str(bundle))):
        assert_refused(run(*args, db=checkpointed), str(key), "mode 0644", fix)
    assert_refused(run("keys", "public"), "mode 0644", fix)
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
    public = with_key(key, "keys", "public", "--json")

    assert signed.returncode == 0, signed.stderr
    assert json.loads(public.stdout)["key_id"] == json.loads(signed.stdout)["key_id"]
    assert key.stat().st_mode & 0o777 == 0o600
    assert not default_key(config_home).exists()
    assert with_key(key, "verify", db=sqlite_url).returncode == 0
