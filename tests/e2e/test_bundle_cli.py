"""`export` and `verify-bundle` end to end: the bundle is checked by the installed
command in a folder of its own, with no ledger settings, and touches no database."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from services.audit.bundle_format import (
    CHECKPOINTS,
    EVENTS,
    MANIFEST,
    PROOFS,
    PUBLIC_KEY,
    SIGNATURE,
)
from services.demo.cast import IDS
from tests.e2e.test_cli import CLI, NORTHMOOR_EVENTS, as_json, assert_refused, run
from tests.integration.test_bundle import (
    edit_line,
    flip_actor_byte,
    flip_hex,
    flip_text,
    lines,
    members,
    rewrite,
)


def offline(
    *args: str, cwd: Path, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The command with no LEDGER_ settings (but a LEDGER_DATABASE_URL if given), a bare
    PATH and this test's config folder, in a folder holding no ledger."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LEDGER_LOG_FORMAT": "json",
        "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
    }
    if database_url is not None:
        env["LEDGER_DATABASE_URL"] = database_url
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def failed(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 1, the reason on stderr, no traceback; returns the reason."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    reasons = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(reasons) == 1, result.stderr
    for fragment in fragments:
        assert fragment in reasons[0], reasons[0]
    return reasons[0]


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "auditor"
    folder.mkdir()
    return folder


@pytest.fixture
def checkpointed(sqlite_url: str) -> str:
    assert run("demo", db=sqlite_url).returncode == 0
    assert run("checkpoint", db=sqlite_url).returncode == 0
    return sqlite_url


@pytest.fixture
def bundle(checkpointed: str, tmp_path: Path) -> Path:
    out = tmp_path / "northmoor-audit.zip"
    result = run("export", "--out", str(out), db=checkpointed)
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout
    return out


def test_a_bundle_verifies_offline_where_there_is_no_ledger(bundle: Path, empty: Path) -> None:
    result = offline("verify-bundle", str(bundle), cwd=empty)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith(f"Verified the full bundle: {NORTHMOOR_EVENTS} events")
    assert list(empty.iterdir()) == []  # no ./ledger-data: no database was opened

    report = json.loads(offline("verify-bundle", str(bundle), "--json", cwd=empty).stdout)
    assert report["ok"] is True
    assert report["events"] == NORTHMOOR_EVENTS
    assert report["problems"] == []
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize(
    "database_url",
    ["nosuch://ledger", "sqlite:///nowhere/ledger.db", "postgresql://nobody@127.0.0.1:1/none"],
)
def test_verify_bundle_never_reads_the_database_url(
    bundle: Path, empty: Path, database_url: str
) -> None:
    result = offline("verify-bundle", str(bundle), cwd=empty, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Verified the full bundle: {NORTHMOOR_EVENTS} events")
    assert list(empty.iterdir()) == []


def test_a_trusted_key_is_given_as_hex_or_a_file_and_another_key_fails(
    checkpointed: str, bundle: Path, empty: Path, tmp_path: Path
) -> None:
    public_key = as_json(run("prove", "1", db=checkpointed))["checkpoint"]["public_key"]
    key_file = tmp_path / "ledger-key.json"
    key_file.write_bytes(members(bundle.read_bytes())[PUBLIC_KEY])

    by_hex = offline("verify-bundle", str(bundle), "--trusted-key", public_key, cwd=empty)
    by_file = offline("verify-bundle", str(bundle), "--trusted-key", str(key_file), cwd=empty)
    other = offline("verify-bundle", str(bundle), "--trusted-key", "ab" * 32, cwd=empty)

    assert by_hex.returncode == 0, by_hex.stderr
    assert "trusted key" in by_hex.stdout
    assert by_file.returncode == 0, by_file.stderr
    failed(other, "unknown key")
    assert_refused(
        offline("verify-bundle", str(bundle), "--trusted-key", "nonsense", cwd=empty),
        "--trusted-key",
    )


def test_export_needs_a_checkpoint_and_never_overwrites_without_force(
    sqlite_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.zip"
    assert run("demo", db=sqlite_url).returncode == 0

    assert_refused(run("export", "--out", str(out), db=sqlite_url), "inclusion-ledger checkpoint")
    assert not out.exists()

    assert run("checkpoint", db=sqlite_url).returncode == 0
    first = run("export", "--out", str(out), db=sqlite_url)
    assert first.returncode == 0, first.stderr
    written = out.read_bytes()
    assert_refused(run("export", "--out", str(out), db=sqlite_url), "already exists", "--force")
    assert out.read_bytes() == written
    forced = run("export", "--out", str(out), "--force", "--json", db=sqlite_url)
    assert as_json(forced)["events"] == NORTHMOOR_EVENTS
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_partial_bundle_of_one_partnership_and_dates_verifies_offline(
    checkpointed: str, tmp_path: Path, empty: Path
) -> None:
    out = tmp_path / "winter.zip"
    exported = run(
        "export",
        "--out",
        str(out),
        "--partnership",
        str(IDS.partnership),
        "--from",
        "2025-12-01",
        "--to",
        "2026-01-31",
        "--json",
        db=checkpointed,
    )
    summary = as_json(exported)

    result = offline("verify-bundle", str(out), cwd=empty)

    assert result.returncode == 0, result.stderr
    assert f"{summary['events']} events proved against checkpoint 1" in result.stdout
    held = lines(members(out.read_bytes())[EVENTS])
    assert 0 < len(held) == summary["events"] < NORTHMOOR_EVENTS
    assert {e["source"] for e in held} == {f"urn:inclusion-ledger:{IDS.partnership}"}
    assert all("2025-12-01" <= str(e["time"])[:10] <= "2026-01-31" for e in held)
    assert_refused(
        run(
            "export",
            "--out",
            str(tmp_path / "x.zip"),
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
            db=checkpointed,
        ),
        "after",
    )


def _first_proved_position(bundle: bytes) -> int:
    return int(str(lines(members(bundle)[PROOFS])[0]["position"]))


def _flip_first_path(bundle: bytes) -> bytes:
    def flip(line: dict[str, object]) -> None:
        path = line["path"]
        assert isinstance(path, list)
        path[0] = flip_hex(path[0])

    return rewrite(bundle, PROOFS, edit_line(_first_proved_position(bundle), flip))


TAMPERING: list[object] = [
    pytest.param(
        lambda b: rewrite(b, EVENTS, edit_line(17, flip_actor_byte)),
        ("at position 17", "leaf"),
        id="event-data",
    ),
    pytest.param(
        lambda b: rewrite(b, CHECKPOINTS, lambda d: flip_text(d, b'"root_hash": "')),
        ("checkpoint 1 does not carry a valid signature",),
        id="checkpoint",
    ),
    pytest.param(
        lambda b: rewrite(b, MANIFEST, lambda d: flip_text(d, b'"ledger": "', 2)),
        ("manifest.json does not carry a valid signature",),
        id="manifest",
    ),
    pytest.param(
        lambda b: rewrite(b, SIGNATURE, lambda d: flip_text(d, b'"signature": "', 3)),
        ("manifest.json does not carry a valid signature",),
        id="manifest-signature",
    ),
]


@pytest.mark.parametrize(("tamper", "fragments"), TAMPERING)
def test_one_changed_byte_in_a_member_fails_with_exit_1_and_the_reason(
    bundle: Path, empty: Path, tamper: Callable[[bytes], bytes], fragments: tuple[str, ...]
) -> None:
    tampered = empty.parent / "tampered.zip"
    tampered.write_bytes(tamper(bundle.read_bytes()))

    result = offline("verify-bundle", str(tampered), cwd=empty)

    failed(result, "Bundle check failed", *fragments)
    assert result.stdout.startswith("Bundle check failed")
    assert list(empty.iterdir()) == []


def test_a_changed_proof_in_a_partial_bundle_fails_naming_the_event(
    checkpointed: str, tmp_path: Path, empty: Path
) -> None:
    out = tmp_path / "partial.zip"
    assert run("export", "--out", str(out), "--from", "2026-01-01", db=checkpointed).returncode == 0
    position = _first_proved_position(out.read_bytes())
    out.write_bytes(_flip_first_path(out.read_bytes()))

    failed(offline("verify-bundle", str(out), cwd=empty), f"at position {position}", "proof")


def test_a_truncated_or_foreign_file_is_bad_input(bundle: Path, empty: Path) -> None:
    data = bundle.read_bytes()
    truncated = empty.parent / "truncated.zip"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    foreign = empty.parent / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("readme.txt", "not a bundle")
    text = empty.parent / "minutes.txt"
    text.write_text("Minutes of the board meeting.\n")

    for path in (truncated, foreign, text, empty.parent / "missing.zip"):
        result = offline("verify-bundle", str(path), cwd=empty)
        assert_refused(result, str(path))
    assert "not an audit bundle" in offline("verify-bundle", str(foreign), cwd=empty).stderr
    assert list(empty.iterdir()) == []
