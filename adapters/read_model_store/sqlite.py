"""Read models in the ledger's SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import UUID, uuid4

from adapters.read_model_store.shared import LIVE, MAX_POSITION, NEXT, fresh_tables, view_status
from projections.dispatch import SCHEMA_VERSION, Key
from projections.documents import AnyDoc, model_of
from projections.store import (
    VIEWS_NAME,
    DocRow,
    ReadModelsMovedOn,
    ReadModelStatus,
    add_skipped,
    decode_doc,
    decode_skipped,
    encode_doc,
    encode_skipped,
)
from services.projection.log_rows import LogRow

CHUNK = 500
"""Ids per query when documents are read by id."""


class SQLiteReadModelStore:
    """Views in the ledger's SQLite file, on a connection of their own."""

    def __init__(self, path: str, *, table: str = LIVE) -> None:
        """Tables other than the live ones get their scope index when swapped in:
        building it once at the end is cheaper than keeping it up to date."""
        self.path = path
        self.table = table
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        # Views are derived and rebuildable, and the position is written with them.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA cache_size=-16384")
        self._ids: dict[str, UUID] = {}
        self._create()

    def _create(self) -> None:
        t = self.table
        self.conn.executescript(
            f"""
            CREATE TABLE IF NOT EXISTS {t} (
                id TEXT PRIMARY KEY,
                model TEXT NOT NULL,
                partnership_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                body BLOB NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {t}_tracking (
                name TEXT PRIMARY KEY,
                position INTEGER NOT NULL,
                schema_version INTEGER NOT NULL,
                skipped INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                skipped_types TEXT NOT NULL DEFAULT '{{}}'
            );
            """
        )
        columns = {row[1] for row in self.conn.execute(f"PRAGMA table_info({t}_tracking)")}
        if "skipped_types" not in columns:  # tracked by a release that did not name them
            self.conn.execute(
                f"ALTER TABLE {t}_tracking ADD COLUMN skipped_types TEXT NOT NULL DEFAULT '{{}}'"
            )
        if t == LIVE:
            self._index()

    def _index(self) -> None:
        # Index names outlive table renames, so each table's index gets a name of its own.
        t = self.table
        indexed = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name LIKE ?",
            (t, "%_by_scope_%"),
        ).fetchone()
        if indexed is None:
            self.conn.execute(
                f"CREATE INDEX {t}_by_scope_{uuid4().hex[:12]} ON {t} (model, partnership_id)"
            )

    def read_log(self, after: int, limit: int, stop: int) -> list[LogRow]:
        """The event log's rows straight from `stored_events`, for the projector."""
        rows = self.conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (after, stop, limit),
        ).fetchall()
        ids = self._ids
        if len(ids) > 25_000:
            ids.clear()
        result: list[LogRow] = []
        for position, hex_id, version, topic, state in rows:
            oid = ids.get(hex_id)
            if oid is None:
                oid = ids[hex_id] = UUID(hex_id)
            result.append((position, oid, version, topic, state))
        return result

    def read_history(
        self, aggregate_ids: Sequence[UUID], stop: int | None, skip_topics: Collection[str]
    ) -> list[LogRow]:
        """Some aggregates' rows from `stored_events` in log order, for time travel."""
        ids = [i.hex for i in aggregate_ids]
        skip = list(skip_topics)
        rows = self.conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            f"WHERE originator_id IN ({','.join('?' * len(ids))}) "
            f"AND topic NOT IN ({','.join('?' * len(skip))}) AND rowid <= ? ORDER BY rowid",
            (*ids, *skip, MAX_POSITION if stop is None else stop),
        ).fetchall()
        by_hex = dict(zip(ids, aggregate_ids, strict=True))
        return [(p, by_hex[h], v, t, st) for p, h, v, t, st in rows]

    def status(self) -> ReadModelStatus | None:
        row = self.conn.execute(
            "SELECT position, schema_version, skipped, updated_at, skipped_types FROM "
            f"{self.table}_tracking WHERE name = ?",
            (VIEWS_NAME,),
        ).fetchone()
        return view_status(row)

    def load(self, keys: Sequence[Key]) -> dict[Key, AnyDoc]:
        found: dict[Key, AnyDoc] = {}
        wanted = {key.hex: (model, key) for model, key in keys}
        ids = list(wanted)
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, model, body FROM {self.table} WHERE id IN ({marks})", chunk
            ).fetchall()
            for doc_id, model, body in rows:
                key = wanted[doc_id]
                if key[0] == model:
                    found[key] = decode_doc(body)
        return found

    def commit(
        self,
        docs: Sequence[AnyDoc],
        *,
        expected_position: int,
        position: int,
        skipped: Mapping[str, int],
        at: datetime,
    ) -> None:
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            row = c.execute(
                f"SELECT position, skipped_types FROM {self.table}_tracking WHERE name = ?",
                (VIEWS_NAME,),
            ).fetchone()
            current = int(row[0]) if row else 0
            if current != expected_position:
                raise ReadModelsMovedOn(f"read models are at {current}, not {expected_position}")
            self._upsert(
                [
                    (d.id.hex, model_of(d), d.partnership_id.hex, d.position, encode_doc(d))
                    for d in docs
                ]
            )
            types = encode_skipped(add_skipped(decode_skipped(row[1] if row else None), skipped))
            c.execute(
                f"INSERT INTO {self.table}_tracking (name, position, schema_version, skipped, "
                "updated_at, skipped_types) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO "
                "UPDATE SET position = excluded.position, schema_version = "
                "excluded.schema_version, skipped = skipped + excluded.skipped, updated_at = "
                "excluded.updated_at, skipped_types = excluded.skipped_types",
                (
                    VIEWS_NAME,
                    position,
                    SCHEMA_VERSION,
                    sum(skipped.values()),
                    at.isoformat(),
                    types,
                ),
            )
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def write(self, rows: Sequence[DocRow]) -> None:
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            self._upsert([(i.hex, m, p.hex, pos, body) for i, m, p, pos, body in rows])
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def _upsert(self, rows: Sequence[tuple[str, str, str, int, bytes]]) -> None:
        self.conn.executemany(
            f"INSERT INTO {self.table} (id, model, partnership_id, position, body) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET model = excluded.model, "
            "partnership_id = excluded.partnership_id, position = excluded.position, "
            "body = excluded.body",
            rows,
        )

    def scan(self, model: str, partnership_id: UUID | None = None) -> list[AnyDoc]:
        if partnership_id is None:
            rows = self.conn.execute(
                f"SELECT body FROM {self.table} WHERE model = ?", (model,)
            ).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT body FROM {self.table} WHERE model = ? AND partnership_id = ?",
                (model, partnership_id.hex),
            ).fetchall()
        return [decode_doc(body) for (body,) in rows]

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            f"SELECT model, count(*) FROM {self.table} GROUP BY model"
        ).fetchall()
        return {str(model): int(n) for model, n in rows}

    def scopes_of(self, ids: Collection[UUID]) -> dict[UUID, UUID]:
        wanted = {i.hex: i for i in ids}
        hexes = list(wanted)
        found: dict[UUID, UUID] = {}
        partnerships: dict[str, UUID] = {}
        for n in range(0, len(hexes), CHUNK):
            chunk = hexes[n : n + CHUNK]
            rows = self.conn.execute(
                f"SELECT id, partnership_id FROM {self.table} "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for doc_id, partnership in rows:
                owner = partnerships.get(partnership)
                if owner is None:
                    owner = partnerships[partnership] = UUID(partnership)
                found[wanted[doc_id]] = owner
        return found

    def fork(self) -> SQLiteReadModelStore:
        return SQLiteReadModelStore(self.path, table=self.table)

    def fresh(self) -> SQLiteReadModelStore:
        return fresh_tables(self._drop, lambda: SQLiteReadModelStore(self.path, table=NEXT))

    def swap_in(self, fresh: object) -> None:
        assert isinstance(fresh, SQLiteReadModelStore)
        assert fresh.table == NEXT
        fresh._index()
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            c.execute(f"DROP TABLE IF EXISTS {LIVE}")
            c.execute(f"DROP TABLE IF EXISTS {LIVE}_tracking")
            c.execute(f"ALTER TABLE {NEXT} RENAME TO {LIVE}")
            c.execute(f"ALTER TABLE {NEXT}_tracking RENAME TO {LIVE}_tracking")
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def discard(self) -> None:
        self._drop(self.table)

    def _drop(self, table: str) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        self.conn.execute(f"DROP TABLE IF EXISTS {table}_tracking")

    def close(self) -> None:
        self.conn.close()
