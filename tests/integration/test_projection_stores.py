"""One contract for the read-model stores, held by memory, SQLite and PostgreSQL.

Each test runs on `MemoryReadModelStore`, `SQLiteReadModelStore` on a real file and
`PostgresReadModelStore` in a fresh PostgreSQL schema. The documents are the ones
the Northmoor scenario projects, so every model and field shape goes through
each store's encoding.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
import pytest
from psycopg import sql

from adapters import persistence
from adapters.read_model_store.postgres import PostgresReadModelStore
from adapters.read_model_store.sqlite import SQLiteReadModelStore
from projections.dispatch import SCHEMA_VERSION
from projections.documents import AnyDoc, MeetingDoc, model_of
from projections.store import MemoryReadModelStore, ReadModelsMovedOn, ReadModelStore, encode_doc
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector, RebuildInterrupted, rebuild
from tests.unit.builders import an_app

AT = datetime(2030, 6, 3, 9, 30, tzinfo=UTC)


class Backend:
    """A read-model store backend: opens stores on one database and lists its tables."""

    def __init__(self, kind: str, open_store: Callable[[str], ReadModelStore]) -> None:
        self.kind = kind
        self._open = open_store
        self.opened: list[ReadModelStore] = []
        self._memory: MemoryReadModelStore | None = None

    def open(self, table: str = "ledger_views") -> ReadModelStore:
        """Another store on the same database (another connection, where there is one);
        `table` names the tables of views other than the live ones."""
        if self.kind == "memory":
            if self._memory is None:
                self._memory = MemoryReadModelStore()
            return self._memory
        store = self._open(table)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend(request, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def stored_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from open_backend(request, tmp_path)


def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        found = Backend("memory", lambda table: MemoryReadModelStore())
    elif request.param == "sqlite":
        path = str(tmp_path / "views.db")
        found = Backend("sqlite", lambda table: SQLiteReadModelStore(path, table=table))
    else:
        url: str = request.getfixturevalue("postgres_url")
        store = persistence.parse_database_url(url)
        found = Backend("postgres", lambda table: PostgresReadModelStore(store, table=table))
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def read_store(backend: Backend) -> ReadModelStore:
    return backend.open()


@pytest.fixture(scope="module")
def northmoor_app() -> Iterator[LedgerApplication]:
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    app = an_app(clock)
    write_northmoor(app, clock)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="module")
def northmoor_docs(northmoor_app: LedgerApplication) -> list[AnyDoc]:
    store = MemoryReadModelStore()
    Projector(northmoor_app, store).catch_up()
    return list(store.docs.values())


def commit(
    store: ReadModelStore,
    docs: Sequence[AnyDoc],
    expected: int,
    position: int,
    *,
    skipped: Mapping[str, int] | None = None,
    at: datetime = AT,
) -> None:
    store.commit(docs, expected_position=expected, position=position, skipped=skipped or {}, at=at)


def everything(store: ReadModelStore) -> dict[UUID, bytes]:
    """Every document in the store, encoded, by id."""
    return {
        doc.id: encode_doc(doc)
        for model in ("partnership", "plan", "decision", "contribution", "meeting", "action")
        for doc in store.scan(model)
    }


def encoded(docs: Sequence[AnyDoc]) -> dict[UUID, bytes]:
    return {doc.id: encode_doc(doc) for doc in docs}


def a_meeting(partnership_id: UUID, title: str = "Board") -> MeetingDoc:
    return MeetingDoc(
        id=uuid4(), partnership_id=partnership_id, title=title, held_at=AT, position=1
    )


def catalog(read_store: ReadModelStore, kind: str) -> set[str]:
    """Names of the read-model store's tables (kind "table") or of the indexes on its live
    documents table (kind "index"); empty for the memory store."""
    if isinstance(read_store, SQLiteReadModelStore):
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger_views%'"
            if kind == "table"
            else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
            "'ledger_views' AND sql LIKE '%(model, partnership_id)%'"
        )
        with closing(sqlite3.connect(read_store.path)) as conn:
            return {str(name) for (name,) in conn.execute(query).fetchall()}
    if isinstance(read_store, PostgresReadModelStore):
        query = (
            "SELECT tablename FROM pg_tables WHERE schemaname = %s"
            if kind == "table"
            else "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = "
            "'ledger_views' AND indexdef LIKE '%%(model, partnership_id)%%'"
        )
        store = read_store.store
        with psycopg.connect(
            host=store.host,
            port=store.port,
            dbname=store.dbname,
            user=store.user,
            password=store.password or None,
        ) as conn:
            rows = conn.execute(query, (read_store.schema,)).fetchall()
            return {str(name) for (name,) in rows if str(name).startswith("ledger_views")}
    return set()


LIVE_TABLES = {"ledger_views", "ledger_views_tracking"}


def assert_only_live_tables(backend: Backend, read_store: ReadModelStore) -> None:
    if backend.kind != "memory":
        assert catalog(read_store, "table") == LIVE_TABLES
        assert len(catalog(read_store, "index")) == 1


# Reading and writing


def test_a_store_never_built_has_no_status_documents_or_counts(read_store: ReadModelStore) -> None:
    assert read_store.status() is None
    assert read_store.counts() == {}
    assert read_store.scan("decision") == []
    assert read_store.load([("decision", IDS.decision)]) == {}


def test_a_commit_writes_the_documents_and_the_position_together(
    backend: Backend, read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs, 0, 54, skipped={"VoteWithdrawn": 2})

    status = read_store.status()
    assert status is not None
    assert (status.position, status.schema_version, status.skipped) == (54, SCHEMA_VERSION, 2)
    assert status.skipped_types == {"VoteWithdrawn": 2}
    assert status.updated_at == AT
    assert everything(read_store) == encoded(northmoor_docs)
    assert everything(backend.open()) == encoded(northmoor_docs)


def test_skipped_events_add_up_by_type_over_commits_and_documents_are_replaced_by_id(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs, 0, 54, skipped={"VoteWithdrawn": 1})
    changed = [
        msgspec.structs.replace(doc, position=60)
        for doc in northmoor_docs
        if model_of(doc) == "decision"
    ]

    commit(
        read_store,
        changed,
        54,
        60,
        skipped={"VoteWithdrawn": 1, "DecisionTakenAtMeeting": 1},
        at=AT + timedelta(hours=1),
    )
    commit(read_store, [], 60, 61, at=AT + timedelta(hours=1))

    status = read_store.status()
    assert status is not None
    assert (status.position, status.skipped) == (61, 3)
    assert status.skipped_types == {"VoteWithdrawn": 2, "DecisionTakenAtMeeting": 1}
    assert status.updated_at == AT + timedelta(hours=1)
    decisions = read_store.scan("decision")
    assert [d.position for d in decisions] == [60]
    assert len(everything(read_store)) == len(northmoor_docs)


def test_views_tracked_before_skipped_types_were_named_keep_their_count_and_name_new_ones(
    stored_backend: Backend, northmoor_docs: list[AnyDoc]
) -> None:
    read_store = stored_backend.open()
    commit(read_store, northmoor_docs, 0, 54, skipped={"VoteWithdrawn": 2})
    # The tracking table as a release that counted skipped events without naming them left it.
    if isinstance(read_store, SQLiteReadModelStore):
        read_store.conn.execute("ALTER TABLE ledger_views_tracking DROP COLUMN skipped_types")
    else:
        assert isinstance(read_store, PostgresReadModelStore)
        read_store.conn.execute(
            sql.SQL("ALTER TABLE {}.ledger_views_tracking DROP COLUMN skipped_types").format(
                sql.Identifier(read_store.schema)
            )
        )

    reopened = stored_backend.open()
    before = reopened.status()
    commit(reopened, [], 54, 55, skipped={"VoteWithdrawn": 1})
    after = reopened.status()

    assert before is not None
    assert (before.position, before.skipped, before.skipped_types) == (54, 2, {})
    assert after is not None
    assert (after.position, after.skipped, after.skipped_types) == (55, 3, {"VoteWithdrawn": 1})


def test_a_stale_expected_position_raises_views_moved_on_and_writes_nothing(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs[:3], 0, 10)
    before, status = everything(read_store), read_store.status()
    newcomer = a_meeting(northmoor_docs[0].partnership_id)
    moved = msgspec.structs.replace(northmoor_docs[0], position=11)

    for stale in (0, 5, 11):
        with pytest.raises(ReadModelsMovedOn):
            commit(read_store, [newcomer, moved], stale, 11)

    assert everything(read_store) == before
    assert read_store.status() == status


def test_a_first_commit_that_expects_a_position_raises_views_moved_on(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    with pytest.raises(ReadModelsMovedOn):
        commit(read_store, northmoor_docs, 3, 54)

    assert read_store.status() is None
    assert read_store.counts() == {}


class Unwritable:
    """A commit time no store can write."""

    def isoformat(self) -> str:
        raise RuntimeError("this time cannot be written")


def test_a_commit_that_fails_part_way_writes_nothing(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs[:2], 0, 10)
    before, status = everything(read_store), read_store.status()
    replaced = msgspec.structs.replace(northmoor_docs[0], position=11)
    unencodable = msgspec.structs.replace(a_meeting(IDS.partnership), title=object())

    with pytest.raises(TypeError):
        commit(read_store, [replaced, *northmoor_docs[2:], unencodable], 10, 11)

    assert everything(read_store) == before
    assert read_store.status() == status


def test_a_commit_whose_position_cannot_be_written_leaves_the_documents_unwritten(
    backend: Backend, read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    if backend.kind == "memory":
        pytest.skip("the memory store keeps any value as the commit time")
    commit(read_store, northmoor_docs[:2], 0, 10)
    before, status = everything(read_store), read_store.status()

    with pytest.raises((RuntimeError, psycopg.Error)):
        commit(read_store, northmoor_docs[2:], 10, 11, at=Unwritable())  # type: ignore[arg-type]

    assert everything(read_store) == before
    assert read_store.status() == status
    commit(read_store, northmoor_docs[2:], 10, 11)
    assert everything(read_store) == encoded(northmoor_docs)


def test_load_returns_the_documents_asked_for_under_their_model_only(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs, 0, 54)
    by_id = {doc.id: doc for doc in northmoor_docs}

    found = read_store.load([("decision", IDS.decision), ("plan", IDS.plan), ("meeting", uuid4())])

    assert read_store.load([("plan", IDS.decision), ("meeting", IDS.plan)]) == {}
    assert set(found) == {("decision", IDS.decision), ("plan", IDS.plan)}
    assert encode_doc(found[("decision", IDS.decision)]) == encode_doc(by_id[IDS.decision])
    assert encode_doc(found[("plan", IDS.plan)]) == encode_doc(by_id[IDS.plan])


def test_load_finds_more_documents_than_fit_in_one_query(read_store: ReadModelStore) -> None:
    partnership_id = uuid4()
    meetings = [a_meeting(partnership_id, f"Meeting {i}") for i in range(1200)]
    commit(read_store, meetings, 0, 1200)

    wanted = [("meeting", m.id) for m in meetings] + [("meeting", uuid4()) for _ in range(30)]
    found = read_store.load(wanted)

    assert len(found) == 1200
    assert {key: encode_doc(doc) for key, doc in found.items()} == {
        ("meeting", m.id): encode_doc(m) for m in meetings
    }


def test_scopes_of_gives_the_partnership_of_each_document_there_is(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs, 0, 54)
    others = [a_meeting(uuid4(), f"Meeting {i}") for i in range(1200)]
    commit(read_store, others, 54, 60)
    unknown = uuid4()

    scopes = read_store.scopes_of(
        [IDS.decision, IDS.plan, IDS.partnership, unknown, *(m.id for m in others)]
    )

    assert scopes[IDS.decision] == scopes[IDS.plan] == scopes[IDS.partnership] == IDS.partnership
    assert unknown not in scopes
    assert {m.id: scopes[m.id] for m in others} == {m.id: m.partnership_id for m in others}
    assert len(scopes) == 3 + len(others)
    assert read_store.scopes_of([]) == {}


def test_scan_and_counts_go_by_model_and_partnership(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    other = uuid4()
    elsewhere = [a_meeting(other), a_meeting(other)]
    commit(read_store, [*northmoor_docs, *elsewhere], 0, 60)

    expected_counts: dict[str, int] = {}
    for doc in northmoor_docs:
        expected_counts[model_of(doc)] = expected_counts.get(model_of(doc), 0) + 1
    expected_counts["meeting"] += 2
    assert read_store.counts() == expected_counts
    assert len(read_store.scan("meeting")) == expected_counts["meeting"]
    assert encoded(read_store.scan("meeting", other)) == encoded(elsewhere)
    assert encoded(read_store.scan("meeting", IDS.partnership)) == encoded(
        [d for d in northmoor_docs if model_of(d) == "meeting"]
    )
    assert encoded(read_store.scan("decision", IDS.partnership)) == encoded(
        [d for d in northmoor_docs if model_of(d) == "decision"]
    )
    assert read_store.scan("action", other) == []


# Rebuilding beside the live views


def test_a_fresh_store_is_empty_and_invisible_until_swapped_in(
    backend: Backend, read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    old = [a_meeting(IDS.partnership, "Old meeting")]
    commit(read_store, old, 0, 5)
    fresh = read_store.fresh()
    try:
        assert fresh.status() is None
        assert fresh.counts() == {}
        commit(fresh, northmoor_docs, 0, 54)
        assert everything(read_store) == encoded(old)
        assert everything(backend.open()) == encoded(old)

        read_store.swap_in(fresh)
    finally:
        fresh.close()

    status = read_store.status()
    assert status is not None
    assert status.position == 54
    assert everything(read_store) == encoded(northmoor_docs)
    reader = backend.open()
    assert everything(reader) == encoded(northmoor_docs)
    assert reader.load([("decision", IDS.decision)]).keys() == {("decision", IDS.decision)}


def test_swapping_in_twice_in_a_row_works_and_leaves_only_the_live_names(
    backend: Backend, read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    # Use the live store often first, so any statement a connection keeps prepared
    # refers to the tables the swaps replace.
    commit(read_store, northmoor_docs[:1], 0, 1)
    for _ in range(8):
        read_store.status()
        read_store.load([("decision", IDS.decision)])
        read_store.scan("decision")
    assert_only_live_tables(backend, read_store)

    for round_, docs in enumerate((northmoor_docs[:5], northmoor_docs), start=1):
        fresh = read_store.fresh()
        try:
            commit(fresh, docs, 0, 50 + round_)
            read_store.swap_in(fresh)
        finally:
            fresh.close()
        status = read_store.status()
        assert status is not None
        assert status.position == 50 + round_
        assert everything(read_store) == encoded(docs)

    assert_only_live_tables(backend, read_store)
    commit(read_store, [a_meeting(IDS.partnership)], 52, 53)
    assert read_store.counts()["meeting"] == 2
    assert everything(backend.open()) == everything(read_store)


def test_discard_removes_the_fresh_tables_and_leaves_the_live_views(
    backend: Backend, read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    commit(read_store, northmoor_docs[:3], 0, 3)
    fresh = read_store.fresh()
    try:
        commit(fresh, northmoor_docs, 0, 54)
        if backend.kind != "memory":
            assert catalog(read_store, "table") > LIVE_TABLES
        fresh.discard()
    finally:
        fresh.close()

    assert_only_live_tables(backend, read_store)
    assert everything(read_store) == encoded(northmoor_docs[:3])
    status = read_store.status()
    assert status is not None
    assert status.position == 3


def test_a_fresh_store_starts_empty_even_after_an_abandoned_rebuild(
    read_store: ReadModelStore, northmoor_docs: list[AnyDoc]
) -> None:
    abandoned = read_store.fresh()
    commit(abandoned, northmoor_docs, 0, 54)
    abandoned.close()

    fresh = read_store.fresh()
    try:
        assert fresh.status() is None
        assert fresh.counts() == {}
    finally:
        fresh.close()


def test_an_interrupted_rebuild_leaves_the_live_views_and_no_fresh_tables(
    backend: Backend, read_store: ReadModelStore, northmoor_app: LedgerApplication
) -> None:
    Projector(northmoor_app, read_store).catch_up(until=30)
    before, status = everything(read_store), read_store.status()
    checks = iter(range(100))

    with pytest.raises(RebuildInterrupted):
        rebuild(northmoor_app, read_store, batch_size=4, should_stop=lambda: next(checks) >= 3)

    assert everything(read_store) == before
    assert read_store.status() == status
    assert_only_live_tables(backend, read_store)

    result = rebuild(northmoor_app, read_store, batch_size=4)
    expected = MemoryReadModelStore()
    Projector(northmoor_app, expected).catch_up()
    assert result.position == northmoor_app.recorder.max_notification_id()
    assert everything(read_store) == everything(expected)
    assert_only_live_tables(backend, read_store)


def test_a_rebuild_that_writes_documents_part_way_builds_the_same_views_as_a_projector(
    backend: Backend, read_store: ReadModelStore, northmoor_app: LedgerApplication
) -> None:
    result = rebuild(northmoor_app, read_store, batch_size=4, cache_size=3, park_bytes=3000)

    expected = MemoryReadModelStore()
    Projector(northmoor_app, expected).catch_up()
    assert result.position == northmoor_app.recorder.max_notification_id()
    assert everything(read_store) == everything(expected)
    assert read_store.status() is not None
    assert_only_live_tables(backend, read_store)


def test_projectors_racing_on_one_database_apply_every_batch_once(
    backend: Backend, northmoor_app: LedgerApplication
) -> None:
    if backend.kind == "memory":
        pytest.skip("the memory store serves one thread")
    stores = [backend.open() for _ in range(3)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def follow(store: ReadModelStore, batch_size: int) -> None:
        try:
            start.wait()
            Projector(northmoor_app, store, batch_size=batch_size).catch_up()
        except BaseException as e:  # reported below, with the thread's own traceback
            errors.append(e)

    threads = [
        threading.Thread(target=follow, args=(store, size))
        for store, size in zip(stores, (1, 2, 3), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    expected = MemoryReadModelStore()
    Projector(northmoor_app, expected).catch_up()
    status = stores[0].status()
    assert status is not None
    assert status.position == northmoor_app.recorder.max_notification_id()
    assert everything(stores[0]) == everything(expected)


def race_first_commits(racers: Sequence[ReadModelStore]) -> list[str]:
    """Each store makes its first commit at the same moment, in a thread of its own;
    the sorted outcomes."""
    start = threading.Barrier(len(racers))
    results: list[str] = []

    def first_commit(store: ReadModelStore) -> None:
        start.wait()
        try:
            commit(store, [a_meeting(uuid4())], 0, 1)
            results.append("committed")
        except ReadModelsMovedOn:
            results.append("views moved on")
        except Exception as e:  # the outcome is what the test checks
            results.append(type(e).__name__)

    threads = [threading.Thread(target=first_commit, args=(r,)) for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_two_first_commits_racing_on_empty_views_end_in_one_commit_and_one_views_moved_on(
    backend: Backend,
) -> None:
    if backend.kind == "memory":
        pytest.skip("the memory store serves one thread")
    outcomes = []
    for round_ in range(10):
        racers = [backend.open(f"race_{round_}") for _ in range(2)]
        outcomes.append(race_first_commits(racers))
        status = racers[0].status()
        assert status is not None
        assert status.position == 1
        assert racers[0].counts() == {"meeting": 1}

    assert outcomes == [["committed", "views moved on"]] * 10


# Ctrl-C on SQLite


class InterruptedAtCommit:
    """A SQLite connection on which Ctrl-C arrives just as a COMMIT returns."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, statement: str, *args: Any) -> sqlite3.Cursor:
        cursor = self.conn.execute(statement, *args)
        if statement == "COMMIT":
            raise KeyboardInterrupt
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_ctrl_c_as_a_sqlite_commit_returns_surfaces_as_an_interruption(
    tmp_path: Path, northmoor_docs: list[AnyDoc]
) -> None:
    read_store = SQLiteReadModelStore(str(tmp_path / "views.db"))
    real = read_store.conn
    try:
        read_store.conn = InterruptedAtCommit(real)  # type: ignore[assignment]
        with pytest.raises(KeyboardInterrupt):
            commit(read_store, northmoor_docs, 0, 54)
        read_store.conn = real

        status = read_store.status()
        assert status is not None
        assert status.position == 54
        assert everything(read_store) == encoded(northmoor_docs)
        commit(read_store, [], 54, 55)
    finally:
        real.close()
