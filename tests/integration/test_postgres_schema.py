"""A PostgreSQL ledger lives in exactly the one schema its URL names, whatever the case
of the name.

Each test has a database of its own, so everything a command creates anywhere in it
can be seen: with `?schema=Ledger` every command of the CLI runs, and every relation,
type and function it leaves is in `Ledger`, none in its lower-case twin `ledger` (which
exists, empty: PostgreSQL folds an unquoted `Ledger` to it) nor in `public`.
The two schemas hold two separate ledgers, and a write to one wakes no follower of the
other.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from adapters import persistence
from adapters.bootstrap import bootstrap
from adapters.cli.main import main
from adapters.settings import Settings
from services.demo.cast import IDS

MIXED = "Ledger"
FOLDED = "ledger"
NORTHMOOR_EVENTS = 56
REVISION = json.dumps(
    {
        "type": "ReviseSection",
        "actor": {"id": "u-secretariat", "role": "secretariat"},
        "plan_id": str(IDS.plan),
        "section": "workforce",
        "text": "A SEND workforce plan.",
        "rationale": "Published plans change through a new revision.",
    }
)


@pytest.fixture(autouse=True)
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "signing-key.pem"
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(path))
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "json")
    return path


@pytest.fixture
def server(fresh_database: str) -> str:
    """A fresh database holding two empty schemas: `Ledger` and its folded twin `ledger`."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{MIXED}"')
        conn.execute(f"CREATE SCHEMA {FOLDED}")
    return fresh_database


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


def objects_by_schema(server: str) -> dict[str, set[str]]:
    """Every relation, type and function in the database outside the system schemas."""
    with psycopg.connect(server) as conn:
        rows = conn.execute(
            "SELECT n.nspname, o.kind || ' ' || o.name FROM ("
            "SELECT relnamespace AS ns, 'relation' AS kind, relname AS name FROM pg_class "
            "UNION ALL SELECT typnamespace, 'type', typname FROM pg_type "
            "UNION ALL SELECT pronamespace, 'function', proname FROM pg_proc) o "
            "JOIN pg_namespace n ON n.oid = o.ns WHERE n.nspname NOT IN "
            "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%' "
            "AND n.nspname NOT LIKE 'pg_temp%%'"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for schema, name in rows:
        found.setdefault(str(schema), set()).add(str(name))
    return found


def test_every_command_keeps_a_mixed_case_schema_s_ledger_in_that_schema_alone(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{server}?schema={MIXED}"
    commands = [
        ["demo"],
        ["command", REVISION],
        ["partnerships"],
        ["decisions"],
        ["decision", "show", str(IDS.decision)],
        ["history", str(IDS.decision)],
        ["events", "--limit", "5"],
        ["plan", "show", str(IDS.plan), "--at-position", "30"],
        ["checkpoint"],
        ["verify"],
        ["prove", "3"],
        ["projections", "rebuild"],
        ["projections", "run", "--once"],
        ["projections", "status"],
        ["export", "--out", str(tmp_path / "audit.zip")],
        ["replay", "--to-position", "20", "--out", str(tmp_path / "at-20")],
    ]
    for argv in commands:
        code, output = cli(capsys, *argv, "--db", url)
        assert code == 0, (argv, output)

    objects = objects_by_schema(server)

    assert set(objects) == {MIXED}
    tables = {name.removeprefix("relation ") for name in objects[MIXED]}
    store = persistence.parse_database_url(url)
    assert (
        set(persistence.owned_tables(store))
        - {
            persistence.NEXT_VIEWS_TABLE,
            f"{persistence.NEXT_VIEWS_TABLE}_tracking",
        }
        <= tables
    )
    assert f"type {persistence.POSTGRES_EVENT_TYPE}" in objects[MIXED]
    assert not any(name.startswith("function ") for name in objects[MIXED])


def test_a_mixed_case_schema_and_its_lower_case_twin_hold_separate_ledgers(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed, folded = f"{server}?schema={MIXED}", f"{server}?schema={FOLDED}"
    for url in (mixed, folded):
        assert cli(capsys, "demo", "--db", url)[0] == 0
    assert cli(capsys, "command", REVISION, "--db", folded)[0] == 0
    for url in (mixed, folded):
        assert cli(capsys, "checkpoint", "--db", url)[0] == 0

    code, output = cli(capsys, "verify", "--db", mixed)
    assert code == 0, output
    assert f"Verified {NORTHMOOR_EVENTS} events" in output
    code, output = cli(capsys, "verify", "--db", folded)
    assert code == 0, output
    assert f"Verified {NORTHMOOR_EVENTS + 1} events" in output

    code, output = cli(capsys, "demo", "--force", "--db", mixed)
    assert code == 0, output
    assert cli(capsys, "verify", "--db", folded)[0] == 0  # the twin's ledger is untouched
    assert persistence.is_empty(persistence.parse_database_url(folded)) is False


def test_a_write_to_one_schema_wakes_no_follower_of_another(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed, folded = f"{server}?schema={MIXED}", f"{server}?schema={FOLDED}"
    for url in (mixed, folded):
        assert cli(capsys, "demo", "--db", url)[0] == 0
    ledger = bootstrap(Settings(database_url=mixed), in_process=False)
    channel = getattr(ledger.app.recorder, "channel_name", "")
    ledger.close()
    assert MIXED in channel

    with psycopg.connect(server, autocommit=True) as listener:
        listener.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
        assert cli(capsys, "command", REVISION, "--db", folded)[0] == 0
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        assert cli(capsys, "command", REVISION, "--db", mixed)[0] == 0
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1
