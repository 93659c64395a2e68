"""Stock eventsourcing as the benchmarks' baseline: its own plain recorders, its default
mapper and JSON transcoder, and the settings its documentation gives for speed.

Nothing here touches the ledger's recorders: the ledger's paths build their stores through
``adapters.persistence`` and ``adapters.bootstrap`` as the ledger itself does.

What eventsourcing 9.5 does and documents, and what the baselines use:

- SQLite: a file database (``SQLITE_DBNAME``), which eventsourcing switches to WAL journal
  mode on first connection, with ``SQLITE_LOCK_TIMEOUT`` (the same 10 s the ledger uses;
  it only matters when writers wait for each other). A stock projection's view and its
  reading connection get the pragmas the ledger's own views use (``VIEW_PRAGMAS``); the
  append baseline keeps eventsourcing's, as the ledger's event store does.
- PostgreSQL: the connection settings of the ledger's URL, eventsourcing's default insert
  path (one pipelined transaction that takes the table lock, so notification ids commit
  in order, as the ledger's log needs). The append baseline is one client thread, so it
  uses the pool eventsourcing's own speed runs use for one (``SINGLE_CLIENT_POOL``); a
  projection runner needs connections for LISTEN, selects and its view at once and keeps
  the default pool. ``POSTGRES_ENABLE_DB_FUNCTIONS``, the insert path of eventsourcing's
  speed runs, is measured as a path of its own (it does not take the table lock).
- No ``APPLICATION_RECORDER_TOPIC``: the factory's own ``SQLiteApplicationRecorder`` or
  ``PostgresApplicationRecorder``, never the ledger's chained ones.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteDatastore
from eventsourcing.utils import get_topic

from adapters.persistence import Store, parse_database_url

SQLITE_LOCK_TIMEOUT = "10"
POSTGRES_CONNECT_TIMEOUT = "5"
SINGLE_CLIENT_POOL = {
    "POSTGRES_POOL_SIZE": "1",
    "POSTGRES_MAX_OVERFLOW": "0",
    "POSTGRES_MAX_WAITING": "0",
}
"""The pool of eventsourcing's own speed runs, for one client thread."""

VIEW_PRAGMAS = {"journal_mode": "wal", "synchronous": 1, "cache_size": -16384}
"""The pragmas ``adapters.read_model_store.sqlite.SQLiteReadModelStore`` sets on its
connection (synchronous 1 is NORMAL): a stock view on SQLite gets the same, so neither
pays for more durability."""


def stock_env(
    store: Store, *, single_client: bool = False, db_functions: bool = False
) -> dict[str, str]:
    """eventsourcing's settings for the store, with its own recorders."""
    if store.kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": store.path,
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT,
        }
    if store.kind == "postgres":
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": store.dbname,
            "POSTGRES_HOST": store.host,
            "POSTGRES_PORT": str(store.port),
            "POSTGRES_USER": store.user,
            "POSTGRES_PASSWORD": store.password,
            "POSTGRES_CONNECT_TIMEOUT": POSTGRES_CONNECT_TIMEOUT,
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y" if db_functions else "n",
        }
        if single_client:
            env.update(SINGLE_CLIENT_POOL)
        if store.schema:
            env["POSTGRES_SCHEMA"] = store.schema
        return env
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


# SQLite pragmas on eventsourcing's own connections


class ViewPragmasPool(SQLiteConnectionPool):
    """eventsourcing's SQLite pool, each new connection given ``VIEW_PRAGMAS``."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        cursor = connection.cursor()
        with cursor as c:
            for name, value in VIEW_PRAGMAS.items():
                c.execute(f"PRAGMA {name}={value}")
        return connection


def with_view_pragmas(datastore: SQLiteDatastore) -> SQLiteDatastore:
    """The datastore with its pool replaced by one whose connections get ``VIEW_PRAGMAS``
    (same database, lock timeout and pool sizes; connections already made are closed)."""
    old = datastore.pool
    datastore.pool = ViewPragmasPool(
        db_name=old.db_name,
        lock_timeout=old.lock_timeout,
        pool_size=old.pool_size,
        max_overflow=old.max_overflow,
        pool_timeout=old.pool_timeout,
        max_age=old.max_age,
        pre_ping=old.pre_ping,
    )
    old.close()
    return datastore


def sqlite_pragmas(datastore: SQLiteDatastore) -> dict[str, Any]:
    """The ``VIEW_PRAGMAS`` settings as one of the datastore's connections reports them."""
    with datastore.transaction(commit=False) as c:
        found: dict[str, Any] = {}
        for name in VIEW_PRAGMAS:
            c.execute(f"PRAGMA {name}")
            found[name] = c.fetchone()[0]
    return found


def describe(app: Application[Any]) -> dict[str, Any]:
    """What an application runs on, read off the objects it built: recorder, mapper,
    transcoder and the store settings that bear on speed."""
    recorder = app.recorder
    info: dict[str, Any] = {
        "recorder": get_topic(type(recorder)),
        "mapper": get_topic(type(app.mapper)),
        "transcoder": get_topic(type(app.mapper.transcoder)),
    }
    datastore = getattr(recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        info["insert"] = "database function" if datastore.enable_db_functions else "pipelined"
        info["pool_max_size"] = datastore.pool.max_size
    elif isinstance(datastore, SQLiteDatastore):
        info["pragmas"] = sqlite_pragmas(datastore)
    return info


# The append baseline: a decision-like aggregate in eventsourcing's decorator style


class StockDecision(Aggregate):
    """A decision-like aggregate in eventsourcing's decorator style."""

    @event("Proposed")
    def __init__(
        self, partnership_id: UUID, reference: str, title: str, text: str, proposer_id: str
    ) -> None:
        self.partnership_id = partnership_id
        self.reference = reference
        self.title = title
        self.text = text
        self.proposer_id = proposer_id
        self.links: list[UUID] = []
        self.status = "proposed"

    @event("ContributionLinked")
    def link_contribution(self, contribution_id: UUID, influence: str, note: str) -> None:
        self.links.append(contribution_id)

    @event("Taken")
    def take(self, outcome: str, rationale: str, meeting_id: UUID) -> None:
        self.status = "taken"


class StockApplication(Application[UUID]):
    """eventsourcing's Application as shipped: default mapper and JSON transcoder."""

    name = "StockDecisions"


def open_stock(url: str, *, db_functions: bool = False) -> StockApplication:
    """Stock on the store named by the URL, with the pool of eventsourcing's speed runs
    for one client thread."""
    store = parse_database_url(url)
    return StockApplication(stock_env(store, single_client=True, db_functions=db_functions))
