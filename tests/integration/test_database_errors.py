"""A database the ledger cannot use is refused with a clear error, and left untouched;
one that fails part way through a command ends it with one line and exit code 3.

Corrupt and foreign files are real files on disk; the unreachable server is a
real closed port on this machine; the server going away is the real server ending
the connection.
"""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from adapters import persistence
from adapters.bootstrap import bootstrap
from adapters.chain import ChainedSQLiteApplicationRecorder
from adapters.cli.main import main
from adapters.persistence import NotALedgerDatabase, StoreUnreachable
from adapters.read_model_store.postgres import PostgresReadModelStore
from adapters.settings import Settings
from domain.partnership import Partnership
from domain.values import Actor
from projections.documents import AnyDoc
from services.ledger import commands

# Nothing listens on port 1 here: connecting is refused at once.
UNREACHABLE_POSTGRES_URL = "postgresql://postgres@127.0.0.1:1/ledger"


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder with its exact bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def corrupt_file(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    noise = random.Random(20250901).randbytes(8192)
    assert not noise.startswith(persistence.SQLITE_HEADER)
    path.write_bytes(noise)
    return path


@pytest.fixture
def damaged_sqlite_file(tmp_path: Path) -> Path:
    """A SQLite header followed by noise: looks like SQLite, reads as nothing."""
    path = tmp_path / "ledger.db"
    path.write_bytes(persistence.SQLITE_HEADER + random.Random(14).randbytes(8192))
    return path


@pytest.fixture
def foreign_database(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE pupils (id INTEGER PRIMARY KEY, upn TEXT NOT NULL)")
        conn.execute("CREATE TABLE placements (pupil_id INTEGER, setting TEXT)")
        conn.execute("INSERT INTO pupils (upn) VALUES ('A123456789012')")
    return path


def test_a_corrupt_file_is_not_a_ledger_database_and_is_left_unchanged(
    corrupt_file: Path,
) -> None:
    before = snapshot(corrupt_file.parent)

    with pytest.raises(NotALedgerDatabase) as raised:
        bootstrap(Settings(database_url=url_of(corrupt_file)))

    message = str(raised.value)
    assert str(corrupt_file) in message
    assert "not a SQLite database" in message
    assert snapshot(corrupt_file.parent) == before


def test_a_damaged_sqlite_file_is_not_a_ledger_database_and_is_left_unchanged(
    damaged_sqlite_file: Path,
) -> None:
    before = snapshot(damaged_sqlite_file.parent)

    with pytest.raises(NotALedgerDatabase) as raised:
        bootstrap(Settings(database_url=url_of(damaged_sqlite_file)))

    assert str(damaged_sqlite_file) in str(raised.value)
    assert "cannot be read as a SQLite database" in str(raised.value)
    assert snapshot(damaged_sqlite_file.parent) == before


def test_a_foreign_sqlite_database_is_refused_naming_its_tables_and_left_unchanged(
    foreign_database: Path,
) -> None:
    before = snapshot(foreign_database.parent)

    with pytest.raises(NotALedgerDatabase) as raised:
        bootstrap(Settings(database_url=url_of(foreign_database)))

    message = str(raised.value)
    assert str(foreign_database) in message
    assert "something else" in message
    assert "placements" in message
    assert "pupils" in message
    assert snapshot(foreign_database.parent) == before
    with closing(sqlite3.connect(f"file:{foreign_database}?mode=ro", uri=True)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"pupils", "placements"}


def test_a_directory_is_not_a_ledger_database(tmp_path: Path) -> None:
    with pytest.raises(NotALedgerDatabase, match="is a directory"):
        bootstrap(Settings(database_url=url_of(tmp_path)))


def test_an_existing_ledger_file_opens_again_after_the_checks(tmp_path: Path) -> None:
    url = url_of(tmp_path / "nested" / "ledger.db")
    first = bootstrap(Settings(database_url=url))
    try:
        partnership_id = first.app.handle(
            commands.EstablishPartnership(
                actor=Actor(id="u-secretariat", role="secretariat"),
                name="Northmoor SEND and AP Partnership",
                kind="local_send_ap_partnership",
                la_code="Z99",
                icb_code="QZZ",
            )
        )
    finally:
        first.close()

    again = bootstrap(Settings(database_url=url))
    try:
        assert again.app.load(Partnership, partnership_id).la_code == "Z99"
    finally:
        again.close()


def test_an_unreachable_postgresql_server_gives_store_unreachable() -> None:
    with pytest.raises(StoreUnreachable) as raised:
        bootstrap(Settings(database_url=UNREACHABLE_POSTGRES_URL))

    message = str(raised.value)
    assert "127.0.0.1:1" in message
    assert "unreachable" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://ledger@127.0.0.1/ledger", "Unsupported database URL"),
        ("ledger.db", "Unsupported database URL"),
        ("", "Unsupported database URL"),
        ("sqlite://", "is not a SQLite URL"),
        ("sqlite:///", "is not a SQLite URL"),
        ("sqlite:ledger.db", "is not a SQLite URL"),
    ],
)
def test_a_bad_url_is_refused_with_a_message_naming_it(url: str, expected: str) -> None:
    with pytest.raises(NotALedgerDatabase) as raised:
        bootstrap(Settings(database_url=url))

    assert expected in str(raised.value)
    assert repr(url) in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:notaport/ledger",
        "postgresql://postgres@127.0.0.1:99999/ledger",
        "postgresql://postgres@[::1/ledger",
    ],
)
def test_a_malformed_postgresql_url_is_refused_as_not_a_ledger_database(url: str) -> None:
    with pytest.raises(NotALedgerDatabase):
        persistence.parse_database_url(url)


def test_the_command_line_reports_a_corrupt_file_in_one_line_with_exit_code_2(
    corrupt_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(corrupt_file.parent)

    code = main(["partnerships", "--db", url_of(corrupt_file)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("inclusion-ledger: ")
    assert "not a SQLite database" in err
    assert err.count("\n") == 1
    assert snapshot(corrupt_file.parent) == before


def test_the_command_line_reports_an_unreachable_server_with_exit_code_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["partnerships", "--db", UNREACHABLE_POSTGRES_URL])

    err = capsys.readouterr().err
    assert code == 3
    assert "127.0.0.1:1" in err
    assert err.count("\n") == 1


def test_the_command_line_reports_a_malformed_url_in_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["partnerships", "--db", "postgresql://postgres@127.0.0.1:notaport/ledger"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("inclusion-ledger: ")
    assert err.count("\n") == 1


def test_a_server_that_goes_away_mid_command_ends_it_in_one_line_with_exit_code_3(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--db", postgres_url]) == 0
    server = postgres_url.split("?")[0]
    scan = PostgresReadModelStore.scan

    def server_gone(read_store: PostgresReadModelStore, *args: Any) -> list[AnyDoc]:
        # The server ends the connection the read models use, as a restart would.
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (read_store.conn.info.backend_pid,))
        return scan(read_store, *args)

    monkeypatch.setattr(PostgresReadModelStore, "scan", server_gone)
    capsys.readouterr()

    code = main(["partnerships", "--db", postgres_url])

    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if not line.startswith("{")]
    assert code == 3
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("inclusion-ledger: The database at postgresql://")
    assert "failed" in lines[0]
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_an_event_store_failure_mid_command_ends_it_in_one_line_with_exit_code_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = url_of(tmp_path / "ledger.db")
    assert main(["demo", "--db", url]) == 0
    before = snapshot(tmp_path)

    def disk_gone(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("disk I/O error\nwhile writing")

    monkeypatch.setattr(ChainedSQLiteApplicationRecorder, "insert_events", disk_gone)
    capsys.readouterr()
    command = (
        '{"type": "EstablishPartnership", "actor": {"id": "u-1", "role": "secretariat"}, '
        '"name": "Westmoor", "kind": "local_send_ap_partnership", "la_code": "Z98", '
        '"icb_code": "QZY"}'
    )

    code = main(["command", command, "--db", url])

    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("{")]
    assert code == 3
    assert lines == [
        f"inclusion-ledger: The database at {tmp_path / 'ledger.db'} failed: disk I/O error"
    ]
    assert snapshot(tmp_path) == before
