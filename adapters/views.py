"""Read-model storage in the ledger's own database: SQLite and PostgreSQL.

One table holds every document (id, model, partnership, position, msgspec JSON
body); a tracking table holds the position the documents reflect and the events
skipped on the way (of types the views do not know), counted by topic. A batch's
documents and its position are written in one transaction, guarded by the
position it started from. A rebuild writes into `..._next` tables and swaps
them in with renames inside one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from adapters.persistence import (
    NEXT_VIEWS_TABLE,
    POSTGRES_EVENTS_TABLE,
    VIEWS_TABLE,
    Store,
    connect,
)
from projections.documents import AnyDoc, model_of
from projections.ledger_views import SCHEMA_VERSION, Key
from projections.store import (
    VIEWS_NAME,
    DocRow,
    ViewsMovedOn,
    ViewStatus,
    add_skipped,
    decode_doc,
    decode_skipped,
    encode_doc,
    encode_skipped,
    row_of,
)
from services.log_rows import LogRow

LIVE = VIEWS_TABLE
MAX_POSITION = 2**63 - 1
NEXT = NEXT_VIEWS_TABLE
CHUNK = 500


def _status(row: tuple[Any, ...] | None) -> ViewStatus | None:
    if row is None:
        return None
    position, schema_version, skipped, updated_at, skipped_types = row
    if isinstance(updated_at, str):
        updated_at = datetime.fromisoformat(updated_at)
    return ViewStatus(
        position=int(position),
        schema_version=int(schema_version),
        skipped=int(skipped),
        updated_at=updated_at,
        skipped_types=decode_skipped(skipped_types),
    )


V = TypeVar("V")


def _fresh(drop: Callable[[str], None], open_next: Callable[[], V]) -> V:
    """Empty fresh tables, opened; stopped part way (a Ctrl-C, say), none are left behind."""
    drop(NEXT)
    try:
        return open_next()
    except BaseException:
        with suppress(Exception):
            drop(NEXT)
        raise


class SQLiteLedgerViews:
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

    def status(self) -> ViewStatus | None:
        row = self.conn.execute(
            "SELECT position, schema_version, skipped, updated_at, skipped_types FROM "
            f"{self.table}_tracking WHERE name = ?",
            (VIEWS_NAME,),
        ).fetchone()
        return _status(row)

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
                raise ViewsMovedOn(f"views are at {current}, not {expected_position}")
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

    def fork(self) -> SQLiteLedgerViews:
        return SQLiteLedgerViews(self.path, table=self.table)

    def fresh(self) -> SQLiteLedgerViews:
        return _fresh(self._drop, lambda: SQLiteLedgerViews(self.path, table=NEXT))

    def swap_in(self, fresh: object) -> None:
        assert isinstance(fresh, SQLiteLedgerViews)
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


class PostgresLedgerViews:
    """Views in the ledger's PostgreSQL database (and schema), on a connection of their own."""

    def __init__(self, store: Store, *, table: str = LIVE) -> None:
        self.store = store
        self.table = table
        self.schema = store.schema or "public"
        digest = hashlib.sha256(f"{store.dbname}.{self.schema}.{table}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self.conn = self._connect()
        self._create()

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return connect(self.store, autocommit=True)

    def _t(self, suffix: str = "") -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.schema), sql.Identifier(self.table + suffix)
        )

    def _create(self) -> None:
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, model text NOT NULL, "
                    "partnership_id uuid NOT NULL, position bigint NOT NULL, body bytea NOT NULL)"
                ).format(self._t())
            )
            if self.table == LIVE:
                self._index()
            self.conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, position bigint NOT "
                    "NULL, schema_version int NOT NULL, skipped bigint NOT NULL, updated_at "
                    "timestamptz NOT NULL, skipped_types text NOT NULL DEFAULT '{{}}')"
                ).format(self._t("_tracking"))
            )
            named = self.conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND "
                "table_name = %s AND column_name = 'skipped_types'",
                (self.schema, self.table + "_tracking"),
            ).fetchone()
            if named is None:  # tracked by a release that did not name them
                self.conn.execute(
                    sql.SQL(
                        "ALTER TABLE {} ADD COLUMN skipped_types text NOT NULL DEFAULT '{{}}'"
                    ).format(self._t("_tracking"))
                )

    def _index(self) -> None:
        """Tables other than the live ones get their scope index when swapped in:
        building it once at the end is cheaper than keeping it up to date."""
        self.conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (model, partnership_id)").format(
                sql.Identifier(f"{self.table}_by_scope"), self._t()
            )
        )

    def read_log(self, after: int, limit: int, stop: int) -> list[LogRow]:
        """The event log's rows straight from the events table, for the projector."""
        rows = self.conn.execute(
            sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {}.{} WHERE notification_id > %s AND notification_id <= %s "
                "ORDER BY notification_id LIMIT %s"
            ).format(sql.Identifier(self.schema), sql.Identifier(POSTGRES_EVENTS_TABLE)),
            (after, stop, limit),
        ).fetchall()
        return [(int(p), oid, int(v), str(t), bytes(st)) for p, oid, v, t, st in rows]

    def read_history(
        self, aggregate_ids: Sequence[UUID], stop: int | None, skip_topics: Collection[str]
    ) -> list[LogRow]:
        """Some aggregates' rows from the events table in log order, for time travel."""
        rows = self.conn.execute(
            sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {}.{} WHERE originator_id = ANY(%s) AND NOT topic = ANY(%s) "
                "AND notification_id <= %s ORDER BY notification_id"
            ).format(sql.Identifier(self.schema), sql.Identifier(POSTGRES_EVENTS_TABLE)),
            (list(aggregate_ids), list(skip_topics), MAX_POSITION if stop is None else stop),
        ).fetchall()
        return [(int(p), oid, int(v), str(t), bytes(st)) for p, oid, v, t, st in rows]

    def status(self) -> ViewStatus | None:
        row = self.conn.execute(
            sql.SQL(
                "SELECT position, schema_version, skipped, updated_at, skipped_types FROM {} "
                "WHERE name = %s"
            ).format(self._t("_tracking")),
            (VIEWS_NAME,),
        ).fetchone()
        return _status(row)

    def load(self, keys: Sequence[Key]) -> dict[Key, AnyDoc]:
        wanted = {key: (model, key) for model, key in keys}
        found: dict[Key, AnyDoc] = {}
        rows = self.conn.execute(
            sql.SQL("SELECT id, model, body FROM {} WHERE id = ANY(%s)").format(self._t()),
            (list(wanted),),
        ).fetchall()
        for doc_id, model, body in rows:
            key = wanted[doc_id]
            if key[0] == model:
                found[key] = decode_doc(bytes(body))
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
        with self.conn.transaction():
            # One writer at a time per set of views, the very first commit included.
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            row = self.conn.execute(
                sql.SQL("SELECT position, skipped_types FROM {} WHERE name = %s").format(
                    self._t("_tracking")
                ),
                (VIEWS_NAME,),
            ).fetchone()
            current = int(row[0]) if row else 0
            if current != expected_position:
                raise ViewsMovedOn(f"views are at {current}, not {expected_position}")
            self._upsert([row_of(d) for d in docs])
            types = encode_skipped(add_skipped(decode_skipped(row[1] if row else None), skipped))
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {} (name, position, schema_version, skipped, updated_at, "
                    "skipped_types) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE "
                    "SET position = excluded.position, schema_version = excluded.schema_version, "
                    "skipped = {}.skipped + excluded.skipped, updated_at = excluded.updated_at, "
                    "skipped_types = excluded.skipped_types"
                ).format(self._t("_tracking"), sql.Identifier(self.table + "_tracking")),
                (VIEWS_NAME, position, SCHEMA_VERSION, sum(skipped.values()), at, types),
            )

    def write(self, rows: Sequence[DocRow]) -> None:
        with self.conn.transaction():
            self._upsert(rows)

    def _upsert(self, rows: Sequence[DocRow]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (id, model, partnership_id, position, body) VALUES "
                    "(%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET model = "
                    "excluded.model, partnership_id = excluded.partnership_id, position = "
                    "excluded.position, body = excluded.body"
                ).format(self._t()),
                rows,
            )

    def scan(self, model: str, partnership_id: UUID | None = None) -> list[AnyDoc]:
        if partnership_id is None:
            rows = self.conn.execute(
                sql.SQL("SELECT body FROM {} WHERE model = %s").format(self._t()), (model,)
            ).fetchall()
        else:
            rows = self.conn.execute(
                sql.SQL("SELECT body FROM {} WHERE model = %s AND partnership_id = %s").format(
                    self._t()
                ),
                (model, partnership_id),
            ).fetchall()
        return [decode_doc(bytes(body)) for (body,) in rows]

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            sql.SQL("SELECT model, count(*) FROM {} GROUP BY model").format(self._t())
        ).fetchall()
        return {str(model): int(n) for model, n in rows}

    def scopes_of(self, ids: Collection[UUID]) -> dict[UUID, UUID]:
        rows = self.conn.execute(
            sql.SQL("SELECT id, partnership_id FROM {} WHERE id = ANY(%s)").format(self._t()),
            (list(ids),),
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def fork(self) -> PostgresLedgerViews:
        return PostgresLedgerViews(self.store, table=self.table)

    def fresh(self) -> PostgresLedgerViews:
        return _fresh(self._drop, lambda: PostgresLedgerViews(self.store, table=NEXT))

    def swap_in(self, fresh: object) -> None:
        assert isinstance(fresh, PostgresLedgerViews)
        fresh._index()
        schema = sql.Identifier(self.schema)
        with self.conn.transaction():
            for suffix in ("", "_tracking"):
                self.conn.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}.{}").format(
                        schema, sql.Identifier(LIVE + suffix)
                    )
                )
                self.conn.execute(
                    sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(
                        schema, sql.Identifier(NEXT + suffix), sql.Identifier(LIVE + suffix)
                    )
                )
            # Index names survive a table rename; give the live ones their own names back.
            for suffix in ("_pkey", "_tracking_pkey", "_by_scope"):
                self.conn.execute(
                    sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
                        schema, sql.Identifier(NEXT + suffix), sql.Identifier(LIVE + suffix)
                    )
                )

    def discard(self) -> None:
        # Called when a rebuild stops, perhaps mid-statement (Ctrl-C): end that
        # connection's transaction and its locks first, then drop on a fresh one.
        self.conn.close()
        self.conn = self._connect()
        self._drop(self.table)

    def _drop(self, table: str) -> None:
        schema = sql.Identifier(self.schema)
        for suffix in ("", "_tracking"):
            self.conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {}.{}").format(schema, sql.Identifier(table + suffix))
            )

    def close(self) -> None:
        self.conn.close()
