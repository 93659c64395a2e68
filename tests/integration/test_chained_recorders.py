"""The chained recorders keep every promise of eventsourcing's recorders, and the chain.

`ChainedSQLiteApplicationRecorder` (a SQLite file in a temporary folder) and
`ChainedPostgresApplicationRecorder` (the local PostgreSQL server, a fresh schema
per test) run the recorder test cases eventsourcing ships for application
recorders: `ApplicationRecorderTestCase` (insert and select, notifications,
concurrent writers, throughput, and on PostgreSQL the LISTEN/NOTIFY subscription)
and `NonInterleavingNotificationIDsBaseCase` (two racing batches never interleave
their positions). `AggregateRecorderTestCase` runs too; its one test that asserts
the aggregate-recorder contract (inserts return no positions) is skipped, since an
application recorder returns them. The performance tests are kept: they insert
through the chain like any writer, and print their timings only into pytest's
captured output. After every upstream test, the chain each recorder wrote is
checked against its events as below.

The tracking and process recorder cases and the infrastructure factory case do not
apply: these recorders are neither, and the factory is eventsourcing's own.

Then the ledger's own checks: after concurrent inserts from several threads the
chain rows are gap-free by leaf index, in position order, with every leaf and chain
value equal to what is recomputed from the stored events; an insert that fails on
a uniqueness conflict leaves no chain row behind, and one whose chain row cannot be
written stores no events; and on PostgreSQL eventsourcing's database insert function
(an environment setting) must not store events outside the chain.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from unittest import skip
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from adapters.chain import (
    CHAIN_TABLE,
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)
from adapters.persistence import POSTGRES_EVENTS_TABLE, parse_database_url
from domain.audit import GENESIS, chain_next, event_leaf_hash


def _import_upstream_cases() -> ModuleType:
    """eventsourcing's recorder test cases. Their module imports eventsourcing's AES
    cipher (for its mapper tests, not run here), which needs pycryptodome, an extra
    the ledger does not install; without it a stand-in takes the cipher module's
    place for this import only."""
    try:
        from eventsourcing.tests import persistence
    except ModuleNotFoundError as e:
        if e.name != "Crypto":
            raise
    else:
        return persistence
    stand_in = ModuleType("eventsourcing.cipher")
    stand_in.AESCipher = type("AESCipher", (), {})  # type: ignore[attr-defined]
    sys.modules["eventsourcing.cipher"] = stand_in
    try:
        from eventsourcing.tests import persistence
    finally:
        del sys.modules["eventsourcing.cipher"]
    return persistence


if TYPE_CHECKING:
    from eventsourcing.tests import persistence as upstream
else:
    upstream = _import_upstream_cases()

ChainRow = tuple[int, int, bytes, bytes]
"""(position, leaf index, leaf hash, chain value)."""

FORGED = hashlib.sha256(b"forged").digest()

SKIP_AGGREGATE_CONTRACT = (
    "asserts that insert_events returns None, the aggregate-recorder contract; an "
    "application recorder returns the positions it assigned (ApplicationRecorderTestCase."
    "test_insert_select covers inserting, selecting and atomic conflicts)"
)


# Chained recorders on both backends, with their chain and events read back.


class Chained:
    """A chained recorder on one backend, with its chain table and events read back."""

    def __init__(
        self,
        recorder: ChainedSQLiteApplicationRecorder | ChainedPostgresApplicationRecorder,
        read_chain: Callable[[], list[ChainRow]],
        write_link: Callable[[ChainRow], None],
        close: Callable[[], None],
    ) -> None:
        self.recorder = recorder
        self.read_chain = read_chain
        self.write_link = write_link
        self.close = close

    def insert(self, events: Sequence[StoredEvent]) -> Sequence[int] | None:
        return self.recorder.insert_events(events)

    def stored(self) -> list[tuple[int, UUID, int, str, bytes]]:
        notifications = self.recorder.select_notifications(start=None, limit=1_000_000)
        return [
            (n.id, UUID(str(n.originator_id)), n.originator_version, n.topic, bytes(n.state))
            for n in notifications
        ]


def sqlite_chained(path: Path, *, pool_size: int = 20) -> Chained:
    datastore = SQLiteDatastore(db_name=str(path), pool_size=pool_size)
    recorder = ChainedSQLiteApplicationRecorder(datastore)
    recorder.create_table()

    def read_chain() -> list[ChainRow]:
        with datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT position, leaf_index, leaf_hash, chain_hash FROM {CHAIN_TABLE} "
                "ORDER BY leaf_index"
            )
            rows: list[Any] = c.fetchall()
        return [(int(r[0]), int(r[1]), bytes(r[2]), bytes(r[3])) for r in rows]

    def write_link(row: ChainRow) -> None:
        with datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {CHAIN_TABLE} (position, leaf_index, leaf_hash, chain_hash) "
                "VALUES (?, ?, ?, ?)",
                row,
            )

    return Chained(recorder, read_chain, write_link, datastore.close)


def postgres_chained(datastore: PostgresDatastore) -> Chained:
    """A chained recorder on the datastore; closing it closes the datastore."""
    recorder = ChainedPostgresApplicationRecorder(
        datastore, events_table_name=POSTGRES_EVENTS_TABLE
    )
    recorder.create_table()
    table = (Identifier(datastore.schema), Identifier(CHAIN_TABLE))
    select = SQL(
        "SELECT position, leaf_index, leaf_hash, chain_hash FROM {}.{} ORDER BY leaf_index"
    ).format(*table)
    insert = SQL(
        "INSERT INTO {}.{} (position, leaf_index, leaf_hash, chain_hash) VALUES (%s, %s, %s, %s)"
    ).format(*table)

    def read_chain() -> list[ChainRow]:
        with datastore.transaction(commit=False) as curs:
            curs.execute(select)
            rows = curs.fetchall()
        return [
            (
                int(r["position"]),
                int(r["leaf_index"]),
                bytes(r["leaf_hash"]),
                bytes(r["chain_hash"]),
            )
            for r in rows
        ]

    def write_link(row: ChainRow) -> None:
        with datastore.transaction(commit=True) as curs:
            curs.execute(insert, row)

    return Chained(recorder, read_chain, write_link, datastore.close)


@pytest.fixture(params=["sqlite", "postgres"])
def chained(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chained]:
    if request.param == "sqlite":
        found = sqlite_chained(tmp_path / "chained.db")
    else:
        url: str = request.getfixturevalue("postgres_url")
        store = parse_database_url(url)
        found = postgres_chained(postgres_datastore(url, store.schema, pool_size=10))
    try:
        yield found
    finally:
        found.close()


def an_event(originator_id: UUID, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=version,
        topic="tests.integration:Recorded",
        state=state,
    )


def assert_chain_matches_the_log(chained: Chained) -> list[ChainRow]:
    """Gap-free leaf indexes in position order, one per stored event, each leaf and
    chain value recomputed from the stored event and everything before it."""
    links = chained.read_chain()
    events = chained.stored()
    assert [index for _, index, _, _ in links] == list(range(len(links)))
    positions = [position for position, _, _, _ in links]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert positions == [e[0] for e in events]
    chain = GENESIS
    for (position, index, leaf, value), event in zip(links, events, strict=True):
        assert leaf == event_leaf_hash(*event), f"leaf {index} at position {position}"
        chain = chain_next(chain, leaf)
        assert value == chain, f"chain value of leaf {index} at position {position}"
    return links


# SQLite: a file in a temporary folder, a new file for every recorder a test makes.


class SQLiteFiles:
    """Mixin for eventsourcing's test cases: file-backed chained SQLite recorders."""

    folder: Path
    made: list[Chained]

    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="chained-sqlite-"))
        self.made = []

    def tearDown(self) -> None:
        try:
            for chained in self.made:
                assert_chain_matches_the_log(chained)
        finally:
            for chained in self.made:
                chained.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def create_recorder(self) -> ChainedSQLiteApplicationRecorder:
        chained = sqlite_chained(self.folder / f"ledger-{len(self.made)}.db", pool_size=100)
        self.made.append(chained)
        assert isinstance(chained.recorder, ChainedSQLiteApplicationRecorder)
        return chained.recorder


class TestChainedSQLiteApplicationRecorder(
    SQLiteFiles, upstream.ApplicationRecorderTestCase[ChainedSQLiteApplicationRecorder]
):
    pass


class TestChainedSQLiteAsAggregateRecorder(SQLiteFiles, upstream.AggregateRecorderTestCase):
    @skip(SKIP_AGGREGATE_CONTRACT)
    def test_insert_and_select(self) -> None:
        """Not applicable to an application recorder."""


class TestChainedSQLiteNonInterleaving(
    SQLiteFiles, upstream.NonInterleavingNotificationIDsBaseCase
):
    insert_num = 1000


# PostgreSQL: the local server, a schema of its own for each test.


@pytest.fixture
def fresh_schema(request: pytest.FixtureRequest, postgres_server: str) -> Iterator[None]:
    """Hands a unittest-style test case a new, empty schema on the local server."""
    schema = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    request.instance.schema = schema
    request.instance.server_url = postgres_server
    try:
        yield
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def postgres_datastore(
    server_url: str, schema: str, *, pool_size: int = 1, enable_db_functions: bool = False
) -> PostgresDatastore:
    """A datastore as eventsourcing's own PostgreSQL tests make one: one pooled
    connection unless a test resizes the pool."""
    store = parse_database_url(server_url)
    return PostgresDatastore(
        store.dbname,
        store.host,
        store.port,
        store.user,
        store.password,
        pool_size=pool_size,
        max_overflow=0,
        max_waiting=0,
        schema=schema,
        enable_db_functions=enable_db_functions,
    )


class PostgresSchema:
    """Mixin for eventsourcing's test cases: chained recorders in a fresh schema."""

    schema: str
    server_url: str
    datastore: PostgresDatastore
    made: list[Chained]
    pool_size = 1

    def setUp(self) -> None:
        self.datastore = postgres_datastore(self.server_url, self.schema, pool_size=self.pool_size)
        self.made = []

    def tearDown(self) -> None:
        try:
            for chained in self.made:
                assert_chain_matches_the_log(chained)
        finally:
            self.datastore.close()

    def create_recorder(self) -> ChainedPostgresApplicationRecorder:
        chained = postgres_chained(self.datastore)
        self.made.append(chained)
        assert isinstance(chained.recorder, ChainedPostgresApplicationRecorder)
        return chained.recorder


@pytest.mark.usefixtures("fresh_schema")
class TestChainedPostgresApplicationRecorder(
    PostgresSchema, upstream.ApplicationRecorderTestCase[ChainedPostgresApplicationRecorder]
):
    # Enough connections for the concurrent writers and readers, and for a
    # subscription's listener beside the writer (eventsourcing's own PostgreSQL
    # tests resize the pool to 12, 10 and 2 for these).
    pool_size = 12

    def test_insert_subscribe(self) -> None:
        """The LISTEN/NOTIFY subscription, optional in the upstream case."""
        self.optional_test_insert_subscribe()


@pytest.mark.usefixtures("fresh_schema")
class TestChainedPostgresAsAggregateRecorder(PostgresSchema, upstream.AggregateRecorderTestCase):
    @skip(SKIP_AGGREGATE_CONTRACT)
    def test_insert_and_select(self) -> None:
        """Not applicable to an application recorder."""


@pytest.mark.usefixtures("fresh_schema")
class TestChainedPostgresNonInterleaving(
    PostgresSchema, upstream.NonInterleavingNotificationIDsBaseCase
):
    insert_num = 1000


# The ledger's own checks, on both backends.


def test_concurrent_inserts_from_several_threads_leave_a_gap_free_chain_in_position_order(
    chained: Chained,
) -> None:
    writers, batches_each = 6, 8
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for batch in range(batches_each):
                aggregate = uuid4()
                size = 1 + (writer + batch) % 4
                chained.insert(
                    [
                        an_event(aggregate, v, f'{{"w":{writer},"b":{batch}}}'.encode())
                        for v in range(size)
                    ]
                )
        except BaseException as e:  # reported below, on the test's own thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    expected = sum(1 + (w + b) % 4 for w in range(writers) for b in range(batches_each))
    links = assert_chain_matches_the_log(chained)
    assert len(links) == expected


def test_each_batch_gets_consecutive_leaves_in_the_order_its_events_were_given(
    chained: Chained,
) -> None:
    aggregate = uuid4()
    positions = chained.insert([an_event(aggregate, v) for v in range(1, 6)])

    links = assert_chain_matches_the_log(chained)

    assert positions is not None
    assert [p for p, _, _, _ in links] == list(positions)
    assert [e[2] for e in chained.stored()] == [1, 2, 3, 4, 5]


def test_an_insert_that_fails_on_a_uniqueness_conflict_leaves_no_chain_row_behind(
    chained: Chained,
) -> None:
    aggregate = uuid4()
    chained.insert([an_event(aggregate, 1)])
    before = chained.read_chain()

    with pytest.raises(IntegrityError):
        chained.insert([an_event(uuid4(), 1), an_event(aggregate, 2), an_event(aggregate, 1)])
    with pytest.raises(IntegrityError):
        chained.insert([an_event(aggregate, 1)])

    assert chained.read_chain() == before
    assert len(chained.stored()) == 1


def test_when_the_chain_row_cannot_be_written_the_events_are_not_stored_either(
    chained: Chained,
) -> None:
    aggregate = uuid4()
    positions = chained.insert([an_event(aggregate, 1)])
    assert positions is not None
    first = positions[0]
    stray = (first + 1, 1_000_000, FORGED, FORGED)  # takes the next event's place in the chain
    chained.write_link(stray)

    with pytest.raises(IntegrityError):
        chained.insert([an_event(aggregate, 2)])

    assert [e[0] for e in chained.stored()] == [first]
    assert chained.read_chain()[-1] == stray


def test_after_a_failed_insert_the_next_event_takes_the_next_leaf_and_chains_on(
    chained: Chained,
) -> None:
    aggregate = uuid4()
    chained.insert([an_event(aggregate, 1)])
    with pytest.raises(IntegrityError):
        chained.insert([an_event(uuid4(), 1), an_event(aggregate, 1)])

    positions = chained.insert([an_event(aggregate, 2), an_event(uuid4(), 1)])

    links = assert_chain_matches_the_log(chained)
    assert positions is not None
    assert [(p, i) for p, i, _, _ in links][1:] == [(positions[0], 1), (positions[1], 2)]


def test_concurrent_writers_whose_inserts_conflict_leave_only_the_stored_events_chained(
    chained: Chained,
) -> None:
    shared = uuid4()
    writers = 5
    outcomes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for version in range(1, 6):
                own = an_event(uuid4(), 1, f'{{"w":{writer}}}'.encode())
                try:
                    chained.insert([own, an_event(shared, version)])
                    outcomes.append("stored")
                except IntegrityError:
                    outcomes.append("conflict")
        except BaseException as e:  # reported below, on the test's own thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    links = assert_chain_matches_the_log(chained)
    assert outcomes.count("stored") == 5  # each version of the shared aggregate once
    assert outcomes.count("conflict") == writers * 5 - 5
    assert len(links) == 2 * 5


def test_with_the_database_insert_function_enabled_postgres_still_chains_or_refuses(
    postgres_url: str,
) -> None:
    """eventsourcing inserts through a PL/pgSQL function when POSTGRES_ENABLE_DB_FUNCTIONS
    is set in the environment, which the application reads besides the ledger's own
    settings. Every event stored that way must still get its chain link, or the insert
    must be refused: an event outside the chain is indistinguishable from a forgery."""
    store = parse_database_url(postgres_url)
    chained = postgres_chained(
        postgres_datastore(postgres_url, store.schema, pool_size=2, enable_db_functions=True)
    )
    try:
        try:
            chained.insert([an_event(uuid4(), 1), an_event(uuid4(), 1)])
        except Exception:  # refusing is one of the two correct outcomes
            assert chained.stored() == []
        assert_chain_matches_the_log(chained)
    finally:
        chained.close()
