"""Stock eventsourcing's way of keeping a view, the projection benchmark's baseline: a
``Projection`` keeping a decision register (one row per decision, updated per event) in a
tracking recorder, one transaction per event, on the ledger's log.

It reads the log through eventsourcing's own ``SQLiteApplicationRecorder`` or
``PostgresApplicationRecorder`` with the settings of ``tests.benchmarks.stock``, never the
ledger's chained recorders. Its ``topics`` are the register's event types, so only those
are selected (eventsourcing filters by topic in the database) and decoded. Only the mapper
is the ledger's: stored states are msgspec JSON, which the default transcoder cannot read.
On SQLite the view and the reading connection get the ledger views' pragmas.

Each run is built before it is timed. On PostgreSQL eventsourcing's ``ProjectionRunner``
drives it; the clock starts when the runner's application has been built (its pool open)
and its subscription is about to start, and stops when the view has committed the last
register event at or before the target position. On SQLite (whose recorder cannot
subscribe) it is driven by ``select_notifications`` with the same page size and topics.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory, Mapper, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteDatastore, SQLiteFactory
from eventsourcing.utils import Environment, EnvType, get_topic

from adapters import persistence
from adapters.codec import MsgspecMapper
from services.ledger.application import LedgerApplication
from tests.benchmarks.stock import describe, sqlite_pragmas, stock_env, with_view_pragmas
from tests.benchmarks.stock_register import (
    REGISTER_TOPICS,
    DecisionRegisterProjection,
    DecisionRegisterView,
    PostgresDecisionRegisterView,
    SQLiteDecisionRegisterView,
)

PAGE = 500  # notifications per select: the page eventsourcing's subscriptions read
POLL_SECONDS = 0.01  # how often the main thread looks at the runner's progress


class StockLedgerReader(Application[UUID]):
    """eventsourcing's Application as shipped, reading the ledger's events table with the
    ledger's mapper; on SQLite its connections get the ledger views' pragmas. It notes
    when it is ready (on PostgreSQL, every connection of its pool open), which is where
    the runner's clock starts."""

    name = LedgerApplication.name

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        datastore = getattr(self.recorder, "datastore", None)
        if isinstance(datastore, PostgresDatastore):
            datastore.pool.wait()
        self.ready_at = time.perf_counter()
        self.ready_cpu = time.process_time()

    def construct_factory(self, env: Environment) -> InfrastructureFactory[TrackingRecorder]:
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if isinstance(datastore, SQLiteDatastore):
            with_view_pragmas(datastore)
        return factory

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()


@dataclass(frozen=True)
class Span:
    """The stretch of the log the stock projection covers: positions 1 to ``end``, the
    last register event at or before the target, ``register_events`` of them its topics'."""

    end: int
    register_events: int


def register_span(ledger_path: Path, target: int) -> Span:
    """The span of the first ``target`` positions of a SQLite ledger (a PostgreSQL copy
    keeps the same positions)."""
    marks = ",".join("?" * len(REGISTER_TOPICS))
    with sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT coalesce(max(rowid), 0), count(*) FROM stored_events "
            f"WHERE rowid <= ? AND topic IN ({marks})",
            (target, *REGISTER_TOPICS),
        ).fetchone()
    conn.close()
    end, count = int(row[0]), int(row[1])
    if end == 0:
        raise RuntimeError(f"the first {target:,} events of {ledger_path} hold no decision events")
    return Span(end=end, register_events=count)


@dataclass(frozen=True)
class StockRun:
    driver: str
    events: int
    """Log positions covered (1 to the span's end), counted as the rebuild counts its own."""
    register_events: int
    seconds: float
    cpu_seconds: float
    decisions: int
    built_in_s: float
    setup: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    @property
    def register_rate(self) -> float:
        return self.register_events / self.seconds if self.seconds > 0 else float("inf")


def stock_setup(
    app: StockLedgerReader, projection: Projection[DecisionRegisterView], view: DecisionRegisterView
) -> dict[str, Any]:
    """What the stock projection runs on, read off the objects it built."""
    info = describe(app)
    info["view"] = get_topic(type(view))
    info["topics"] = list(projection.topics)
    datastore = getattr(view, "datastore", None)
    if isinstance(datastore, SQLiteDatastore):
        info["view_pragmas"] = sqlite_pragmas(datastore)
    return info


def open_stock_runner(url: str) -> ProjectionRunner[StockLedgerReader, DecisionRegisterView]:
    """eventsourcing's ProjectionRunner on the ledger's PostgreSQL log: it starts
    processing as soon as it is built."""
    return ProjectionRunner(
        application_class=StockLedgerReader,
        projection_class=DecisionRegisterProjection,
        view_class=PostgresDecisionRegisterView,
        env=stock_env(persistence.parse_database_url(url)),
    )


def run_stock_postgres(url: str, span: Span) -> StockRun:
    """Timed from the moment the runner's application is ready until the view has
    committed the span's last event (the runner is stopped there)."""
    started = time.perf_counter()
    runner = open_stock_runner(url)
    view = runner.view
    try:
        with runner:
            app = runner.app
            while not view.stamps or view.stamps[-1][0] < span.end:
                if runner.is_interrupted.is_set():
                    runner.run_forever(timeout=0)  # raises what stopped it
                    raise RuntimeError("the stock projection runner stopped before the target")
                time.sleep(POLL_SECONDS)
            position, finished, finished_cpu = next(
                s for s in list(view.stamps) if s[0] >= span.end
            )
        if position != span.end:
            raise RuntimeError(f"the stock projection passed {span.end} without stopping at it")
        reached = view.max_tracking_id(app.name) or 0
        if reached < span.end:
            raise RuntimeError(f"the stock projection tracked {reached} of {span.end}")
        decisions = view.proposed_up_to(span.end)
        setup = stock_setup(app, runner.projection, view)
    finally:
        view.close()
    return StockRun(
        driver="eventsourcing.projection.ProjectionRunner (PostgresTrackingRecorder subclass)",
        events=span.end,
        register_events=span.register_events,
        seconds=finished - app.ready_at,
        cpu_seconds=finished_cpu - app.ready_cpu,
        decisions=decisions,
        built_in_s=app.ready_at - started,
        setup=setup,
    )


def open_stock_sqlite(
    ledger_path: Path, view_path: Path
) -> tuple[StockLedgerReader, SQLiteDecisionRegisterView, DecisionRegisterProjection]:
    """The reader on the ledger's file and the view in a file of its own beside it (the
    ledger's schema is left as it was), both with the ledger views' pragmas."""
    app = StockLedgerReader(stock_env(persistence.parse_database_url(f"sqlite:///{ledger_path}")))
    view_env = stock_env(persistence.parse_database_url(f"sqlite:///{view_path}"))
    factory = SQLiteFactory(Environment(DecisionRegisterProjection.name, view_env))
    with_view_pragmas(factory.datastore)
    view = factory.tracking_recorder(SQLiteDecisionRegisterView)
    if not isinstance(view, SQLiteDecisionRegisterView):
        raise TypeError(f"expected the register view, built {type(view).__name__}")
    return app, view, DecisionRegisterProjection(view=view)


def run_stock_sqlite(ledger_path: Path, span: Span) -> StockRun:
    """The projection driven the only way a SQLite recorder allows: selecting the
    notification log in order, a page at a time, with the projection's topics."""
    with tempfile.TemporaryDirectory(prefix="stock-view-", dir=ledger_path.parent) as tmp:
        started = time.perf_counter()
        app, view, projection = open_stock_sqlite(ledger_path, Path(tmp) / "view.db")
        try:
            built_in = time.perf_counter() - started
            setup = stock_setup(app, projection, view)
            wall, cpu = time.perf_counter(), time.process_time()
            position = view.max_tracking_id(app.name) or 0
            while position < span.end:
                page = app.recorder.select_notifications(
                    position,
                    PAGE,
                    stop=span.end,
                    topics=projection.topics,
                    inclusive_of_start=False,
                )
                if not page:
                    break
                for notification in page:
                    projection.process_event(
                        app.mapper.to_domain_event(notification),
                        Tracking(app.name, notification.id),
                    )
                position = page[-1].id
            seconds = time.perf_counter() - wall
            cpu_seconds = time.process_time() - cpu
            reached = view.max_tracking_id(app.name) or 0
            if reached != span.end:
                raise RuntimeError(f"the stock projection stopped at {reached} of {span.end}")
            decisions = view.proposed_up_to(span.end)
        finally:
            view.close()
            app.close()
    return StockRun(
        driver="select_notifications in order, process_event per event "
        "(SQLiteTrackingRecorder subclass)",
        events=span.end,
        register_events=span.register_events,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        decisions=decisions,
        built_in_s=built_in,
        setup=setup,
    )
