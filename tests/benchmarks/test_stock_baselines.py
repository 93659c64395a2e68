"""Each benchmark baseline runs on what it claims: stock eventsourcing on its own plain
recorders, default mapper and JSON transcoder and documented settings, its projection
selecting its topics in the database with the ledger views' SQLite pragmas; the ledger's
paths on the ledger's own chained recorders. The objects each path builds are inspected."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import get_topic

import domain.decision_events
from adapters.bootstrap import bootstrap
from adapters.chain import ChainedPostgresApplicationRecorder, ChainedSQLiteApplicationRecorder
from adapters.codec import MsgspecMapper
from adapters.read_model_store.sqlite import SQLiteReadModelStore
from adapters.settings import Settings
from domain.base import LedgerEvent
from tests.benchmarks import append
from tests.benchmarks.stock import VIEW_PRAGMAS, open_stock, sqlite_pragmas
from tests.benchmarks.stock_projection import open_stock_runner, open_stock_sqlite
from tests.benchmarks.stock_register import (
    REGISTER_EVENTS,
    REGISTER_TOPICS,
    DecisionRegisterProjection,
    PostgresDecisionRegisterView,
    SQLiteDecisionRegisterView,
)


def sqlite_datastore(recorder: object) -> SQLiteDatastore:
    datastore = getattr(recorder, "datastore", None)
    assert isinstance(datastore, SQLiteDatastore)
    return datastore


def postgres_datastore(recorder: object) -> PostgresDatastore:
    datastore = getattr(recorder, "datastore", None)
    assert isinstance(datastore, PostgresDatastore)
    return datastore


def connection_pragmas(conn: sqlite3.Connection) -> dict[str, Any]:
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in VIEW_PRAGMAS}


def test_stock_append_on_sqlite_uses_eventsourcings_own_recorder_and_json_transcoder(
    tmp_path: Path,
) -> None:
    app = open_stock(f"sqlite:///{tmp_path / 'stock.db'}")
    try:
        assert type(app.recorder) is SQLiteApplicationRecorder
        assert type(app.mapper) is Mapper
        assert type(app.mapper.transcoder) is JSONTranscoder
        datastore = sqlite_datastore(app.recorder)
        assert datastore.pool.db_name == str(tmp_path / "stock.db")
        assert datastore.pool.lock_timeout == 10
        assert sqlite_pragmas(datastore)["journal_mode"] == "wal"
    finally:
        app.close()


def test_stock_append_and_the_ledger_write_their_events_with_the_same_sqlite_pragmas(
    tmp_path: Path,
) -> None:
    stock = open_stock(f"sqlite:///{tmp_path / 'stock.db'}")
    ledger = append.open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        assert sqlite_pragmas(sqlite_datastore(stock.recorder)) == sqlite_pragmas(
            sqlite_datastore(ledger.app.recorder)
        )
    finally:
        stock.close()
        ledger.close()


def test_the_ledgers_append_paths_run_on_its_own_chained_recorder_and_msgspec_mapper(
    tmp_path: Path,
) -> None:
    ledger = append.open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        assert type(ledger.app.recorder) is ChainedSQLiteApplicationRecorder
        assert type(ledger.app.mapper) is MsgspecMapper
    finally:
        ledger.close()


@pytest.mark.postgres
def test_stock_append_on_postgres_uses_eventsourcings_own_recorder_and_pipelined_insert(
    postgres_url: str,
) -> None:
    app = open_stock(postgres_url)
    try:
        assert type(app.recorder) is PostgresApplicationRecorder
        assert type(app.mapper) is Mapper
        assert type(app.mapper.transcoder) is JSONTranscoder
        datastore = postgres_datastore(app.recorder)
        assert datastore.enable_db_functions is False
        assert datastore.pool.max_size == 1  # eventsourcing's speed runs, one client thread
        assert datastore.schema == postgres_url.rsplit("schema=", 1)[1]
    finally:
        app.close()


@pytest.mark.postgres
def test_stock_with_database_functions_differs_from_stock_only_in_its_insert_path(
    postgres_url: str,
) -> None:
    app = open_stock(postgres_url, db_functions=True)
    try:
        assert type(app.recorder) is PostgresApplicationRecorder
        assert type(app.mapper.transcoder) is JSONTranscoder
        datastore = postgres_datastore(app.recorder)
        assert datastore.enable_db_functions is True
        assert datastore.pool.max_size == 1
    finally:
        app.close()


@pytest.mark.postgres
def test_the_ledgers_append_paths_on_postgres_run_on_its_own_chained_recorder(
    postgres_url: str,
) -> None:
    ledger = append.open_ledger(postgres_url)
    try:
        assert type(ledger.app.recorder) is ChainedPostgresApplicationRecorder
    finally:
        ledger.close()


def test_the_register_projection_selects_exactly_the_event_types_it_handles() -> None:
    handlers = DecisionRegisterProjection.__dict__["process_event"].dispatcher.registry
    handled = {cls for cls in handlers if cls is not object}

    assert handled == set(REGISTER_EVENTS)
    assert DecisionRegisterProjection.topics == REGISTER_TOPICS
    assert set(REGISTER_TOPICS) == {get_topic(cls) for cls in handled}


def test_the_register_projection_handles_every_event_a_decision_records() -> None:
    decision_events = {
        cls
        for cls in vars(domain.decision_events).values()
        if isinstance(cls, type)
        and issubclass(cls, LedgerEvent)
        and cls.__module__ == domain.decision_events.__name__
    }

    assert decision_events
    assert decision_events <= set(REGISTER_EVENTS)


def test_stock_projection_on_sqlite_reads_through_its_own_recorder_with_the_views_pragmas(
    tmp_path: Path,
) -> None:
    ledger_path = tmp_path / "ledger.db"
    ledger = bootstrap(Settings(database_url=f"sqlite:///{ledger_path}"))
    app, view, projection = open_stock_sqlite(ledger_path, tmp_path / "view.db")
    try:
        assert isinstance(ledger.read_store, SQLiteReadModelStore)
        ledger_view_pragmas = connection_pragmas(ledger.read_store.conn)
        assert ledger_view_pragmas == VIEW_PRAGMAS

        assert type(app.recorder) is SQLiteApplicationRecorder
        assert sqlite_datastore(app.recorder).pool.db_name == str(ledger_path)
        assert type(view) is SQLiteDecisionRegisterView
        assert projection.view is view
        assert projection.topics == REGISTER_TOPICS
        assert sqlite_pragmas(sqlite_datastore(view)) == ledger_view_pragmas
        assert sqlite_pragmas(sqlite_datastore(app.recorder)) == ledger_view_pragmas
    finally:
        view.close()
        app.close()
        ledger.close()


@pytest.mark.postgres
def test_stock_projection_on_postgres_runs_under_eventsourcings_runner_on_its_own_recorder(
    postgres_url: str,
) -> None:
    bootstrap(Settings(database_url=postgres_url)).close()  # the ledger's tables
    runner = open_stock_runner(postgres_url)
    try:
        with runner:
            assert type(runner.app.recorder) is PostgresApplicationRecorder
            assert type(runner.app.mapper) is MsgspecMapper
            assert postgres_datastore(runner.app.recorder).enable_db_functions is False
            assert type(runner.view) is PostgresDecisionRegisterView
            assert runner.projection.topics == REGISTER_TOPICS
    finally:
        runner.view.close()
