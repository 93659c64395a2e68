"""Event recorders that write each event's leaf and chain link in the insert's own
transaction, so no event is ever stored without its place in the hash chain.

Table `ledger_chain`: one row per stored event, by log position, with its leaf
index (its place in the Merkle tree), leaf hash and chain value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg.types.composite import CompositeInfo, register_composite

from adapters.persistence import CHAIN_TABLE
from domain.audit import GENESIS, chain_next, event_leaf_hash

__all__ = ["CHAIN_TABLE", "ChainedPostgresApplicationRecorder", "ChainedSQLiteApplicationRecorder"]

MAX_CHANNEL = 63
"""PostgreSQL's longest identifier, in bytes."""

ChainRow = tuple[int, int, bytes, bytes]
"""(position, leaf index, leaf hash, chain value)."""


def chain_rows(
    positions: Sequence[int],
    stored_events: Sequence[StoredEvent],
    last_index: int,
    last_chain: bytes,
) -> list[ChainRow]:
    rows: list[ChainRow] = []
    index, chain = last_index, last_chain
    for position, s in zip(positions, stored_events, strict=True):
        oid = s.originator_id if isinstance(s.originator_id, UUID) else UUID(str(s.originator_id))
        leaf = event_leaf_hash(position, oid, s.originator_version, s.topic, s.state)
        index += 1
        chain = chain_next(chain, leaf)
        rows.append((position, index, leaf, chain))
    return rows


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "position INTEGER PRIMARY KEY, "
            "leaf_index INTEGER NOT NULL UNIQUE, "
            "leaf_hash BLOB NOT NULL, "
            "chain_hash BLOB NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        c.execute(
            f"SELECT leaf_index, chain_hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1"
        )
        last = c.fetchone()
        last_index, last_chain = (int(last[0]), bytes(last[1])) if last else (-1, GENESIS)
        c.executemany(
            f"INSERT INTO {CHAIN_TABLE} (position, leaf_index, leaf_hash, chain_hash) "
            "VALUES (?, ?, ?, ?)",
            chain_rows(positions, stored_events, last_index, last_chain),
        )
        return positions


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The events table's EXCLUSIVE lock, taken before every insert, also orders the
    chain: the chain rows are written after the events, in the same transaction.

    Everything stays in the one schema named: eventsourcing looks its composite type
    up by an unquoted name (so `Ledger` finds `ledger`'s type, or none) and notifies
    one channel per table name whatever the schema; here the type is looked up quoted
    and the channel is the schema's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The database function eventsourcing would insert through bypasses the chain
        # (`insert_events` refuses that path): it is not created.
        del self.sql_create_statements[self.create_insert_function_statement_index]
        self.channel_name = channel_name(self.datastore.schema, self.events_table_name)
        self._use_own_event_type()
        schema = Identifier(self.datastore.schema)
        table = Identifier(CHAIN_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (position bigint PRIMARY KEY, "
                "leaf_index bigint NOT NULL UNIQUE, leaf_hash bytea NOT NULL, "
                "chain_hash bytea NOT NULL)"
            ).format(schema, table)
        )
        self._select_last_link = SQL(
            "SELECT leaf_index, chain_hash FROM {}.{} ORDER BY position DESC LIMIT 1"
        ).format(schema, table)
        self._insert_links = SQL(
            "INSERT INTO {}.{} (position, leaf_index, leaf_hash, chain_hash) "
            "VALUES (%s, %s, %s, %s)"
        ).format(schema, table)

    def create_table(self) -> None:
        super().create_table()
        self._use_own_event_type()

    def _use_own_event_type(self) -> None:
        """Adapt the composite type of this schema, found by its quoted name."""
        datastore, name = self.datastore, self.stored_event_type_name
        datastore.psycopg_type_adapters.pop(name, None)  # perhaps another schema's
        datastore.psycopg_python_types.pop(name, None)
        with datastore.get_connection() as conn:
            info = CompositeInfo.fetch(conn, Identifier(datastore.schema, name))
            if info is None:  # not created yet
                return
            register_composite(info, conn)
        datastore.psycopg_type_adapters[name] = info
        datastore.psycopg_python_types[name] = info.python_type

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.datastore.enable_db_functions:
            msg = (
                "The database-function insert path would store events outside the hash "
                "chain; unset POSTGRES_ENABLE_DB_FUNCTIONS."
            )
            raise ProgrammingError(msg)
        positions: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        return positions

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert positions is not None
        curs.execute(self._select_last_link)
        last = curs.fetchone()
        last_index, last_chain = (
            (int(last["leaf_index"]), bytes(last["chain_hash"])) if last else (-1, GENESIS)
        )
        curs.executemany(
            self._insert_links, chain_rows(positions, stored_events, last_index, last_chain)
        )
        return positions


def channel_name(schema: str, table: str) -> str:
    """The NOTIFY channel of one schema's events table: channels are database-wide."""
    name = f"{schema}.{table}"
    if len(name.encode()) <= MAX_CHANNEL:
        return name
    return f"{table}_{hashlib.sha256(schema.encode()).hexdigest()[:16]}"
