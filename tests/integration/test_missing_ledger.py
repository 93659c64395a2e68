"""Commands that only read are refused where there is no ledger, and create nothing; only
the commands that write (`demo`, `command`) start one. On SQLite and on PostgreSQL.

No ledger: a SQLite path that does not exist (nor its folder), or an empty file; a
PostgreSQL schema that does not exist, or that holds no events table. A refused command
exits 2 with one line naming the place, and the file system and the database are as
they were: no file, folder, schema or table appears, and nothing is written to the
paths a refused `export` or `replay` was given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from adapters.cli.main import main
from services.demo.cast import IDS

ESTABLISH = json.dumps(
    {
        "type": "EstablishPartnership",
        "actor": {"id": "u-secretariat", "role": "secretariat"},
        "name": "Westmoor SEND and AP Partnership",
        "kind": "local_send_ap_partnership",
        "la_code": "Z98",
        "icb_code": "QZY",
    }
)
READS = [
    ["partnerships"],
    ["decisions"],
    ["decision", "show", str(IDS.decision)],
    ["plan", "show", str(IDS.plan)],
    ["history", str(IDS.decision)],
    ["events"],
    ["you-said-we-did", "--partnership", str(IDS.partnership)],
    ["measures", "--partnership", str(IDS.partnership)],
    ["actions", "--partnership", str(IDS.partnership)],
    ["pack", "qa", str(IDS.plan)],
    ["checkpoint"],
    ["verify"],
    ["prove", "1"],
    ["projections", "status"],
    ["projections", "rebuild"],
    ["projections", "run", "--once"],
    ["export", "--out", "{out}/audit.zip"],
    ["replay", "--to-position", "1", "--out", "{out}/at-1"],
]
READ_IDS = [" ".join(argv[:2]) for argv in READS]


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(tmp_path / "keys" / "signing-key.pem"))
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "json")


def cli(capsys: pytest.CaptureFixture[str], argv: list[str], url: str, out: Path) -> int:
    capsys.readouterr()
    return main([arg.replace("{out}", str(out)) for arg in argv] + ["--db", url])


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a refused command printed; nothing on stdout, no traceback."""
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, captured.err
    assert captured.out == ""
    return lines[0]


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under the folder, with a file's bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


# SQLite


@pytest.mark.parametrize("argv", READS, ids=READ_IDS)
def test_a_read_on_a_missing_sqlite_file_is_refused_and_creates_nothing(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mistyped = tmp_path / "ledger-dta" / "ledger.db"
    before = tree(tmp_path)

    code = cli(capsys, argv, f"sqlite:///{mistyped}", out)

    assert code == 2
    line = refusal(capsys)
    assert f"There is no ledger at {mistyped}" in line
    assert tree(tmp_path) == before


@pytest.mark.parametrize("argv", [["partnerships"], ["verify"], ["checkpoint"]], ids=str)
def test_a_read_on_an_empty_sqlite_file_is_refused_and_leaves_it_empty(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "ledger.db"
    empty.touch()
    before = tree(tmp_path)

    assert cli(capsys, argv, f"sqlite:///{empty}", tmp_path) == 2
    assert "There is no ledger at" in refusal(capsys)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("argv", [["demo"], ["command", ESTABLISH]], ids=["demo", "command"])
def test_a_write_starts_a_sqlite_ledger_where_there_is_none_and_reads_then_find_it(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'ledger.db'}"

    assert cli(capsys, argv, url, tmp_path) == 0

    assert (tmp_path / "new" / "ledger.db").stat().st_size > 0
    assert cli(capsys, ["partnerships", "--json"], url, tmp_path) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


# PostgreSQL


@pytest.fixture
def missing_schema(postgres_server: str) -> Iterator[str]:
    """A schema name nobody has made; dropped afterwards, should a command make it."""
    name = f"t_missing_{uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def schema_objects(server: str, schema: str) -> list[str] | None:
    """The relations in a schema, or None where there is no such schema."""
    with psycopg.connect(server) as conn:
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            rows = conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s UNION ALL SELECT t.typname FROM pg_type t "
                "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = %s",
                (schema, schema),
            ).fetchall()
            return sorted(str(name) for (name,) in rows)
    return None


@pytest.mark.parametrize("argv", READS, ids=READ_IDS)
def test_a_read_on_a_missing_postgresql_schema_is_refused_and_creates_nothing(
    argv: list[str],
    postgres_server: str,
    missing_schema: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = tree(tmp_path)

    code = cli(capsys, argv, f"{postgres_server}?schema={missing_schema}", tmp_path)

    assert code == 2
    line = refusal(capsys)
    assert f"There is no ledger in schema '{missing_schema}'" in line
    assert "does not exist" in line
    assert schema_objects(postgres_server, missing_schema) is None
    assert tree(tmp_path) == before


@pytest.mark.parametrize("argv", READS, ids=READ_IDS)
def test_a_read_on_a_postgresql_schema_without_a_ledger_is_refused_and_leaves_it_empty(
    argv: list[str], postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, schema = postgres_url.split("?schema=")
    before = tree(tmp_path)

    assert cli(capsys, argv, postgres_url, tmp_path) == 2

    assert f"There is no ledger in schema '{schema}'" in refusal(capsys)
    assert schema_objects(server, schema) == []
    assert tree(tmp_path) == before


@pytest.mark.parametrize("argv", [["demo"], ["command", ESTABLISH]], ids=["demo", "command"])
def test_a_write_creates_the_missing_postgresql_schema_and_its_ledger(
    argv: list[str],
    postgres_server: str,
    missing_schema: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"{postgres_server}?schema={missing_schema}"

    assert cli(capsys, argv, url, tmp_path) == 0

    assert "inclusionledger_events" in (schema_objects(postgres_server, missing_schema) or [])
    assert cli(capsys, ["partnerships", "--json"], url, tmp_path) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
