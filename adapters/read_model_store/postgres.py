"""Read models in the ledger's PostgreSQL database, in its schema."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from adapters.persistence import POSTGRES_EVENTS_TABLE, Store, connect
from adapters.read_model_store.shared import LIVE, MAX_POSITION, NEXT, fresh_tables, view_status
from projections.dispatch import SCHEMA_VERSION, Key
from projections.documents import AnyDoc
from projections.store import (
    VIEWS_NAME,
    DocRow,
    ReadModelsMovedOn,
    ReadModelStatus,
    add_skipped,
    decode_doc,
    decode_skipped,
    encode_skipped,
    row_of,
)
from services.projection.log_rows import LogRow


class PostgresReadModelStore:
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

    def status(self) -> ReadModelStatus | None:
        row = self.conn.execute(
            sql.SQL(
                "SELECT position, schema_version, skipped, updated_at, skipped_types FROM {} "
                "WHERE name = %s"
            ).format(self._t("_tracking")),
            (VIEWS_NAME,),
        ).fetchone()
        return view_status(row)

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
            # One writer at a time per set of read models, the very first commit included.
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            row = self.conn.execute(
                sql.SQL("SELECT position, skipped_types FROM {} WHERE name = %s").format(
                    self._t("_tracking")
                ),
                (VIEWS_NAME,),
            ).fetchone()
            current = int(row[0]) if row else 0
            if current != expected_position:
                raise ReadModelsMovedOn(f"read models are at {current}, not {expected_position}")
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

    def fork(self) -> PostgresReadModelStore:
        return PostgresReadModelStore(self.store, table=self.table)

    def fresh(self) -> PostgresReadModelStore:
        return fresh_tables(self._drop, lambda: PostgresReadModelStore(self.store, table=NEXT))

    def swap_in(self, fresh: object) -> None:
        assert isinstance(fresh, PostgresReadModelStore)
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
