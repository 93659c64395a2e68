"""The audit tables in the ledger's SQLite file: events read by rowid, with their links."""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Sequence
from typing import Any
from uuid import UUID

from adapters.audit_store.shared import AuditStore, EventRow, JoinedRow
from adapters.persistence import CHAIN_TABLE

JOINED_BATCH = 5000
"""Rows per query when SQLite events are read with their chain links."""


class SQLiteAuditStore(AuditStore):
    def __init__(self, path: str) -> None:
        conn = sqlite3.connect(path, timeout=30)
        super().__init__(conn)
        self._commit()

    def events(self, after: int, limit: int) -> list[EventRow]:
        rows = self.conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, limit),
        ).fetchall()
        return [_sqlite_event(row) for row in rows]

    def joined(self, after: int) -> Generator[JoinedRow, None, None]:
        while rows := self.conn.execute(
            "SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, "
            f"c.leaf_index, c.leaf_hash, c.chain_hash FROM stored_events e LEFT JOIN "
            f"{CHAIN_TABLE} c ON c.position = e.rowid WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?",
            (after, JOINED_BATCH),
        ).fetchall():
            for position, oid, version, topic, state, index, leaf, chain in rows:
                if not isinstance(state, bytes) or not isinstance(oid, str) or len(oid) != 32:
                    event = _sqlite_event((position, oid, version, topic, state))
                    oid_bytes, state = event[1].bytes, event[4]
                else:
                    try:
                        oid_bytes = bytes.fromhex(oid)
                    except ValueError:
                        oid_bytes = bytes(16)
                yield (position, oid_bytes, version, str(topic), state, index, leaf, chain)
            after = rows[-1][0]


def _sqlite_event(row: Sequence[Any]) -> EventRow:
    """An event row as stored, whatever an editor of the file may have put in it:
    a value of the wrong type still yields a leaf, which then fails to match."""
    position, originator_id, version, topic, state = row
    try:
        oid = UUID(str(originator_id))
    except ValueError:
        oid = UUID(int=0)
    data = state if isinstance(state, bytes) else str(state).encode()
    return (int(position), oid, int(version), str(topic), data)
