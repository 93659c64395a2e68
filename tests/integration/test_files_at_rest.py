"""What the ledger writes to disk holds families' words: the SQLite database (with its
-wal and -shm files), audit bundles, replays and packs are made readable by their owner
only (files 0600, new folders 0700), even under a permissive umask. Folders that exist
already keep the mode the operator gave them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from services.demo.cast import IDS

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))
PERMISSIVE = 0o022


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(*args: str, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_LOG_FORMAT"] = "json"
    result = subprocess.run(
        [CLI, *args],
        cwd=cwd,
        env=env,
        umask=PERMISSIVE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_new_ledger_its_folders_and_its_wal_files_are_the_owners_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    db = tmp_path / "data" / "ledgers" / "ledger.db"

    run("demo", "--db", f"sqlite:///{db}", cwd=tmp_path)

    assert mode(tmp_path) == 0o755  # the operator's folder, untouched
    assert mode(tmp_path / "data") == 0o700
    assert mode(db.parent) == 0o700
    assert mode(db) == 0o600
    previous = os.umask(PERMISSIVE)
    try:
        ledger = bootstrap(Settings(database_url=f"sqlite:///{db}"))
        try:
            ledger.read_models.plan(IDS.plan)  # opens the database, with its WAL
            companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
            assert [p for p in companions if p.exists()], "SQLite kept no WAL files open"
            assert all(mode(p) == 0o600 for p in companions if p.exists())
        finally:
            ledger.close()
    finally:
        os.umask(previous)


def test_bundles_replays_and_packs_are_the_owners_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    run("demo", "--db", url, cwd=tmp_path)
    run("checkpoint", "--db", url, cwd=tmp_path)

    run("export", "--out", str(tmp_path / "audit.zip"), "--db", url, cwd=tmp_path)
    run(
        "replay", "--to-position", "20", "--out", str(tmp_path / "at-20"), "--db", url, cwd=tmp_path
    )
    pack = tmp_path / "qa-pack.md"
    run("pack", "qa", str(IDS.plan), "--out", str(pack), "--db", url, cwd=tmp_path)

    assert mode(tmp_path / "audit.zip") == 0o600
    assert mode(tmp_path / "at-20") == 0o700
    assert mode(tmp_path / "at-20" / "ledger.db") == 0o600
    assert mode(pack) == 0o600
    assert not list(tmp_path.glob(".*.partial"))
