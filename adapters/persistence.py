"""Where the event store lives: the database URL turned into eventsourcing's settings,
with clear errors for a database that is unreachable, corrupt or not a ledger."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import msgspec
import psycopg
from psycopg import sql

from adapters.private_files import create_private_file, private_folder

SQLITE_HEADER = b"SQLite format 3\x00"
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
APPLICATION_NAME = "InclusionLedger"
SQLITE_EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = "inclusionledger_events"
POSTGRES_EVENT_TYPE = "stored_event_uuid"
"""The composite type eventsourcing inserts PostgreSQL events through."""
POSTGRES_INSERT_FUNCTION = "es_insert_events_uuid"
"""eventsourcing's insert function, which bypasses the chain: nothing calls it."""
CHAIN_TABLE = "ledger_chain"
TREE_TABLE = "ledger_tree"
CHECKPOINT_TABLE = "ledger_checkpoints"
VIEWS_TABLE = "ledger_views"
NEXT_VIEWS_TABLE = "ledger_views_next"
LEDGER_TABLES = (
    CHAIN_TABLE,
    TREE_TABLE,
    CHECKPOINT_TABLE,
    VIEWS_TABLE,
    f"{VIEWS_TABLE}_tracking",
    NEXT_VIEWS_TABLE,
    f"{NEXT_VIEWS_TABLE}_tracking",
)
"""Every table the ledger keeps beside its events, all derived from or bound to them:
`reset` drops them, a backup copies them (deploy/RUNBOOK.md)."""


def owned_tables(store: Store) -> tuple[str, ...]:
    """Every table of the ledger in its database: the events first."""
    events = POSTGRES_EVENTS_TABLE if store.kind == "postgres" else SQLITE_EVENTS_TABLE
    return (events, *LEDGER_TABLES)


class StoreUnreachable(RuntimeError):
    """The database server named by the URL cannot be reached (exit 3)."""


class NotALedgerDatabase(ValueError):
    """The database exists but is corrupt or belongs to something else (exit 2)."""


class NoLedger(NotALedgerDatabase):
    """A command that only reads was pointed where no ledger is (exit 2)."""


class Store(msgspec.Struct, frozen=True):
    """A parsed database URL."""

    kind: str  # "sqlite", "postgres" or "memory"
    url: str
    path: str = ""
    host: str = ""
    port: int = 5432
    dbname: str = ""
    user: str = ""
    password: str = ""
    schema: str = ""
    """PostgreSQL: the one schema every object of the ledger is in ("public" by default)."""

    @property
    def label(self) -> str:
        if self.kind == "sqlite":
            return self.path
        if self.kind == "postgres":
            return f"postgresql://{self.host}:{self.port}/{self.dbname}"
        return "memory"

    def table(self, name: str) -> sql.Identifier:
        """A PostgreSQL table of the ledger, qualified by its schema and quoted."""
        return sql.Identifier(self.schema, name)


def parse_database_url(url: str) -> Store:
    try:
        return _parse_database_url(url)
    except ValueError as e:
        if isinstance(e, NotALedgerDatabase):
            raise
        raise NotALedgerDatabase(f"{url!r} is not a valid database URL: {e}.") from None


def _parse_database_url(url: str) -> Store:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw = url[len("sqlite://") :]
        if not raw.startswith("/") or raw == "/":
            raise NotALedgerDatabase(
                f"{url!r} is not a SQLite URL: use sqlite:///relative/path.db or "
                "sqlite:////absolute/path.db."
            )
        return Store(kind="sqlite", url=url, path=unquote(raw[1:]))
    if parts.scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        schema = query.get("schema", [""])[0]
        if schema and not SCHEMA_NAME.fullmatch(schema):
            raise NotALedgerDatabase(
                f"Schema {schema!r} in {url!r} is not a plain name (letters, digits, _)."
            )
        return Store(
            kind="postgres",
            url=url,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            dbname=unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username or "") or os.environ.get("USER", "postgres"),
            password=unquote(parts.password or ""),
            schema=schema or "public",
        )
    if parts.scheme == "memory":
        return Store(kind="memory", url=url)
    raise NotALedgerDatabase(
        f"Unsupported database URL {url!r}: use sqlite:///path or postgresql://host/db."
    )


def eventsourcing_env(store: Store) -> dict[str, str]:
    if store.kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": store.path,
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "adapters.chain:ChainedSQLiteApplicationRecorder",
        }
    if store.kind == "postgres":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": store.dbname,
            "POSTGRES_HOST": store.host,
            "POSTGRES_PORT": str(store.port),
            "POSTGRES_USER": store.user,
            "POSTGRES_PASSWORD": store.password,
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "APPLICATION_RECORDER_TOPIC": "adapters.chain:ChainedPostgresApplicationRecorder",
            # The database-function insert path bypasses the chain: never use it.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "POSTGRES_SCHEMA": store.schema,
        }
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def prepare(store: Store, *, create: bool = True) -> None:
    """Check the database before eventsourcing touches it. `create`: a command that
    writes may start a ledger there (a SQLite file's folder is made); one that only
    reads is refused where there is no ledger, and nothing is created."""
    if store.kind == "sqlite":
        _prepare_sqlite(Path(store.path), create=create)
    elif store.kind == "postgres":
        _check_postgres(store, create=create)


def _prepare_sqlite(path: Path, *, create: bool) -> None:
    if path.is_dir():
        raise NotALedgerDatabase(f"{path} is a directory, not a ledger database file.")
    if not path.exists() or path.stat().st_size == 0:
        if not create:
            raise NoLedger(f"There is no ledger at {path}: {_WRITERS_CREATE}")
        private_folder(path.parent)
        create_private_file(path)  # SQLite gives its -wal and -shm files the same mode
        return
    with path.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise NotALedgerDatabase(f"{path} is not a SQLite database (corrupt or foreign file).")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.DatabaseError as e:
        raise NotALedgerDatabase(f"{path} cannot be read as a SQLite database: {e}.") from None
    if tables and SQLITE_EVENTS_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise NotALedgerDatabase(
            f"{path} is a SQLite database of something else (tables: {shown}), not a ledger."
        )
    if not tables and not create:
        raise NoLedger(f"There is no ledger at {path} (an empty database): {_WRITERS_CREATE}")


_WRITERS_CREATE = "check the path (only demo and command start a new ledger)."


def connect(store: Store, *, autocommit: bool = False) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to the PostgreSQL server the URL names; unreachable means exit 3."""
    try:
        return psycopg.connect(
            host=store.host,
            port=store.port,
            dbname=store.dbname,
            user=store.user,
            password=store.password or None,
            autocommit=autocommit,
            connect_timeout=5,
        )
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreUnreachable(f"PostgreSQL at {store.label} is unreachable: {first}") from None


DDL_LOCK_KEY = 0x1EDC_E1A5_0000_0001
"""Advisory lock that serialises creating the ledger's tables across processes."""


@contextmanager
def ddl_lock(store: Store) -> Iterator[None]:
    """Hold while creating tables: PostgreSQL rejects the same DDL run concurrently by
    two processes ("tuple concurrently updated"). SQLite needs no lock."""
    if store.kind != "postgres":
        yield
        return
    with connect(store) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))


def _check_postgres(store: Store, *, create: bool) -> None:
    with connect(store) as conn:
        if not create and not _pg_has_events(conn, store):
            where = f"schema {store.schema!r} of {store.label}"
            if not _pg_schema_exists(conn, store):
                raise NoLedger(f"There is no ledger in {where}: it does not exist; " + _NO_SCHEMA)
            raise NoLedger(f"There is no ledger in {where}; " + _NO_SCHEMA)


_NO_SCHEMA = "check ?schema= in the URL (only demo and command start a new ledger)."


def create_schema(store: Store) -> None:
    """Make the PostgreSQL schema the URL names where it is missing (under `ddl_lock`).
    An existing schema is left alone: creating needs a right its owner may not give."""
    if store.kind == "postgres":
        with connect(store) as conn:
            if not _pg_schema_exists(conn, store):
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(store.schema)))


def _pg_schema_exists(conn: psycopg.Connection[tuple[Any, ...]], store: Store) -> bool:
    found = conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (store.schema,)
    ).fetchone()
    return found is not None


def _pg_has_events(conn: psycopg.Connection[tuple[Any, ...]], store: Store) -> bool:
    """Whether the store's schema has the events table, the mark of a ledger."""
    row = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
        (store.schema, POSTGRES_EVENTS_TABLE),
    ).fetchone()
    return row is not None


def is_empty(store: Store) -> bool:
    if store.kind == "sqlite":
        path = Path(store.path)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if SQLITE_EVENTS_TABLE not in tables:
                return not tables
            return conn.execute("SELECT 1 FROM stored_events LIMIT 1").fetchone() is None
    if store.kind == "postgres":
        with connect(store) as conn:
            if not _pg_has_events(conn, store):
                return True
            query = sql.SQL("SELECT 1 FROM {} LIMIT 1").format(store.table(POSTGRES_EVENTS_TABLE))
            return conn.execute(query).fetchone() is None
    return True


def reset(store: Store) -> None:
    """Empty the ledger (the demo's --force): everything it owns goes. SQLite: remove the
    file. PostgreSQL: drop its tables, type and function, in one transaction; the schema stays."""
    if store.kind == "sqlite":
        path = Path(store.path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif store.kind == "postgres":
        with connect(store) as conn:
            for table in owned_tables(store):
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(store.table(table)))
            event_type = store.table(POSTGRES_EVENT_TYPE)
            conn.execute(
                sql.SQL("DROP FUNCTION IF EXISTS {}({}[])").format(
                    store.table(POSTGRES_INSERT_FUNCTION), event_type
                )
            )
            conn.execute(sql.SQL("DROP TYPE IF EXISTS {}").format(event_type))


def positions_of(store: Store, aggregate_id: UUID) -> dict[int, int]:
    """Log positions of one aggregate's events, by version, straight from the index."""
    if store.kind == "sqlite":
        with closing(sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)) as conn:
            rows = conn.execute(
                "SELECT originator_version, rowid FROM stored_events WHERE originator_id = ?",
                (aggregate_id.hex,),
            ).fetchall()
        return {int(v): int(p) for v, p in rows}
    if store.kind == "postgres":
        with connect(store) as conn:
            rows2 = conn.execute(
                sql.SQL(
                    "SELECT originator_version, notification_id FROM {} WHERE originator_id = %s"
                ).format(store.table(POSTGRES_EVENTS_TABLE)),
                (aggregate_id,),
            ).fetchall()
        return {int(str(v)): int(str(p)) for v, p in rows2}
    return {}
