"""The audit tables in the ledger's PostgreSQL schema: events streamed in binary."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from psycopg import capabilities

from adapters.audit_store.shared import BLOCK, AuditStore, EventRow, JoinedRow, NodeKey, Row
from adapters.persistence import POSTGRES_EVENTS_TABLE, Store, connect

STREAM_CHUNK = 2000
"""Rows per chunk when PostgreSQL streams events with their chain links."""


class PostgresAuditStore(AuditStore):
    ph = "%s"
    _blob = "BYTEA"

    def __init__(self, store: Store) -> None:
        conn = connect(store, autocommit=True)
        super().__init__(conn, lambda name: store.table(name).as_string(conn))
        self.store = store
        self._events = store.table(POSTGRES_EVENTS_TABLE).as_string(conn)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(sql.replace("?", self.ph), rows)

    def _commit(self) -> None:
        pass  # autocommit

    def _stored_rows(self, keys: Sequence[NodeKey], blocks: Sequence[int]) -> list[Row]:
        # One statement text whatever is asked for, so the server plans it once.
        with self.conn.cursor(binary=True) as cursor:
            rows: list[Row] = cursor.execute(
                f"SELECT t.level, t.idx, t.hash FROM unnest(%s::int[], %s::bigint[]) "
                f"AS k(level, idx) JOIN {self.tree_table} t "
                "ON t.level = k.level AND t.idx = k.idx UNION ALL "
                "SELECT 0, c.leaf_index, c.leaf_hash FROM unnest(%s::bigint[]) AS b(block) "
                f"JOIN {self.chain_table} c ON c.leaf_index >= b.block * {BLOCK} "
                f"AND c.leaf_index < (b.block + 1) * {BLOCK} ORDER BY 1, 2",
                ([level for level, _ in keys], [idx for _, idx in keys], list(blocks)),
            ).fetchall()
        return rows

    def events(self, after: int, limit: int) -> list[EventRow]:
        rows = self.conn.execute(
            f"SELECT notification_id, originator_id, originator_version, topic, state FROM "
            f"{self._events} WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
            (after, limit),
        ).fetchall()
        return [(int(p), o, int(v), str(t), bytes(s)) for p, o, v, t, s in rows]

    def joined(self, after: int) -> Generator[JoinedRow, None, None]:
        # One query, streamed in binary in chunks on a connection of its own: PostgreSQL
        # produces rows while they are checked, and the store's connection stays free.
        # Binary rows come as they are stored: a NULL someone wrote stays None.
        with (
            connect(self.store, autocommit=True) as conn,
            conn.cursor(binary=True) as cursor,
        ):
            rows = cursor.stream(
                "SELECT e.notification_id, uuid_send(e.originator_id), e.originator_version, "
                "e.topic, e.state, c.leaf_index, c.leaf_hash, c.chain_hash "
                f"FROM {self._events} e LEFT JOIN {self.chain_table} c "
                "ON c.position = e.notification_id WHERE e.notification_id > %s "
                "ORDER BY e.notification_id",
                (after,),
                size=STREAM_CHUNK if capabilities.has_stream_chunked() else 1,
            )
            yield from rows
