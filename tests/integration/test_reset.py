"""`demo --force` empties everything the ledger owns, on SQLite and on PostgreSQL.

A ledger of 1,000 generated events is checkpointed (so its Merkle subtrees are stored),
replaced by the demo, grown past the first block of 256 leaves again and checkpointed:
the new checkpoint is signed over the new log alone and `verify` finds it intact. The
tables a ledger has after every kind of command are the ones `persistence` lists, and
a reset leaves none of them, nor anything else, behind.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from adapters import persistence
from adapters.audit_store.shared import BLOCK
from adapters.bootstrap import bootstrap
from adapters.cli.main import main
from adapters.settings import Settings
from services.demo.cast import ScenarioClock
from tests.benchmarks.generator import STORY_START, generate

NORTHMOOR_EVENTS = 56


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


@pytest.fixture(autouse=True)
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "signing-key.pem"
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(path))
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "json")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the command line in this process: its exit code and what it printed."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def grow(url: str, events: int, seed: int) -> int:
    """Write generated events through the ledger; the log's new head."""
    clock = ScenarioClock(STORY_START)
    ledger = bootstrap(Settings(database_url=url), clock=clock, in_process=False)
    try:
        generate(ledger.app, clock, events=events, seed=seed)
        return ledger.app.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def test_a_ledger_replaced_by_the_demo_checkpoints_and_verifies_after_growing_again(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert grow(url, 1000, seed=1) >= 1000
    assert cli(capsys, "checkpoint", "--db", url)[0] == 0  # subtrees of 1,000 leaves stored

    code, out = cli(capsys, "demo", "--force", "--db", url)
    assert code == 0, out
    head = grow(url, BLOCK + 44, seed=2)
    assert head > BLOCK + NORTHMOOR_EVENTS

    code, out = cli(capsys, "checkpoint", "--db", url)
    assert code == 0
    assert f"Checkpoint 1: {head:,} events" in out
    code, out = cli(capsys, "verify", "--db", url)
    assert code == 0, out
    assert f"Verified {head:,} events" in out
    assert "intact" in out


def test_a_ledger_has_only_the_listed_tables_and_a_reset_leaves_nothing_behind(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = persistence.parse_database_url(url)
    for argv in (
        ["demo"],
        ["checkpoint"],
        ["prove", "3"],
        ["projections", "rebuild"],
        ["projections", "status"],
    ):
        assert cli(capsys, *argv, "--db", url)[0] == 0, argv
    listed = set(persistence.owned_tables(store))
    building = {persistence.NEXT_VIEWS_TABLE, f"{persistence.NEXT_VIEWS_TABLE}_tracking"}

    assert tables_of(store) == listed - building

    persistence.reset(store)
    if store.kind == "sqlite":
        assert list(Path(store.path).parent.glob("ledger.db*")) == []
    else:
        assert objects_in_schema(store) == []
    assert persistence.is_empty(store)


def tables_of(store: persistence.Store) -> set[str]:
    if store.kind == "sqlite":
        with closing(sqlite3.connect(store.path)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {str(name) for (name,) in rows}
    with psycopg.connect(server_of(store)) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (store.schema,)
        ).fetchall()
    return {str(name) for (name,) in rows}


def objects_in_schema(store: persistence.Store) -> list[str]:
    """Every relation, type and function in the store's schema."""
    with psycopg.connect(server_of(store)) as conn:
        rows = conn.execute(
            "SELECT 'relation ' || c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %(s)s UNION ALL "
            "SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n "
            "ON n.oid = t.typnamespace WHERE n.nspname = %(s)s UNION ALL "
            "SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = %(s)s",
            {"s": store.schema},
        ).fetchall()
    return sorted(str(name) for (name,) in rows)


def server_of(store: persistence.Store) -> str:
    return store.url.split("?")[0]
