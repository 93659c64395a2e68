"""Read-model benchmarks: rebuild throughput against stock eventsourcing, time-travel and
provenance read latencies, and the rebuild's peak memory at three log sizes.

Run:

    .venv/bin/python -m tests.benchmarks.projections [--events N] [--seed S]
        [--ledger sqlite:////path/ledger.db] [--backends sqlite,postgres]
        [--stock-events M] [--plan-reads R] [--decision-reads R] [--as-of-reads R]

Prints one JSON document on stdout (progress goes to stderr). The ledger is either
generated for the run (``--events`` and ``--seed``, a SQLite file in a temporary folder,
removed afterwards) or an existing SQLite ledger (``--ledger``). For each backend:

- ``rebuild``: every read model rebuilt from the start of the log with
  ``services.projection.projector.rebuild`` and the read-model store's own ``read_log``,
  timed, with the time spent reading the log, loading documents, writing documents and swapping the
  fresh tables in. Documents are mostly written on a thread of their own, overlapping
  the rest, so the parts add up to more than the whole; ``decode_and_apply`` is the
  total less reading, loading and swapping (decoding and applying events, the last
  write, and any wait for the writer thread). On SQLite the views are rebuilt inside the
  ledger file itself, as ``inclusion-ledger projections rebuild`` does; on PostgreSQL the
  SQLite ``stored_events`` rows are first copied with COPY into a fresh schema's events
  table (a ledger bootstrapped on that schema creates it; notification ids are the
  SQLite rowids), and the schema is dropped afterwards.
- ``stock``: eventsourcing's own way of keeping a view, on the same log in the same
  run (tests.benchmarks.stock_projection): a ``Projection`` keeping a decision register
  (one row per decision, updated per event) in a tracking recorder, one transaction per
  event, over the whole log (or its first ``--stock-events`` positions), read through
  eventsourcing's own plain recorder. Its ``topics`` select the register's events in the
  database, so it decodes only those; its view on SQLite gets the pragmas of the ledger's
  views. It is built before the clock starts (``built_in_s``). On PostgreSQL
  eventsourcing's ``ProjectionRunner`` drives it; on SQLite (whose recorder cannot
  subscribe) ``select_notifications`` with the same page size and topics. Its
  ``events_per_s`` counts the log positions it covers, as the rebuild's counts every
  event it reads, used or not; ``register_events_per_s`` counts the events it applied.
  The stock view keeps one model where the rebuild keeps all of them.
- ``reads``: ``plan(id, as_of=T)`` for random plans and dates after each plan was
  drafted, live ``decision(id)`` provenance for random decisions, and ``decision(id,
  as_of=T)``: p50 and p99 latency in milliseconds, after a few untimed warm-up reads.
- ``memory``: the rebuild run in a child process up to a quarter, half and all of the
  log; each child reports its resident set before the rebuild and its peak (``VmHWM``,
  reset just before the rebuild where Linux allows it) after. A rebuild's memory is
  bounded by its cache and parked documents, which a short log does not fill: the
  peak rises until they are full, then stays level (``growth_half_to_full``).

Targets from PERFORMANCE.md are printed next to each figure with ``meets_target``;
nothing is asserted. If the PostgreSQL server is not reachable that backend is reported
as skipped with the reason, except under CI (CI=true), where the run exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from adapters import persistence
from adapters.bootstrap import Ledger, bootstrap
from adapters.persistence import POSTGRES_EVENTS_TABLE
from adapters.read_model_store.postgres import PostgresReadModelStore
from adapters.read_model_store.sqlite import SQLiteReadModelStore
from adapters.settings import Settings
from domain.base import LedgerEvent
from projections.dispatch import Key
from projections.documents import AnyDoc, DecisionDoc, PlanDoc
from projections.store import DocRow, ReadModelStatus, ReadModelStore
from services.demo.cast import ScenarioClock
from services.ledger.application import LedgerApplication
from services.projection.log_rows import LogRow, ReadLog
from services.projection.projector import rebuild
from tests.benchmarks.generator import STORY_START, generate
from tests.benchmarks.stock_projection import register_span, run_stock_postgres, run_stock_sqlite

DEFAULT_EVENTS = 20_000
DEFAULT_SEED = 1
DEFAULT_BATCH_SIZE = 5000
DEFAULT_PLAN_READS = 200
DEFAULT_DECISION_READS = 1000
DEFAULT_AS_OF_READS = 200
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")
WARMUP_READS = 5
COPY_ROWS = 10_000  # SQLite rows per COPY write
PROGRESS_SECONDS = 5.0
ROOT = Path(__file__).resolve().parents[2]

# PERFORMANCE.md
REBUILD_TARGET = {"sqlite": 50_000, "postgres": 20_000}
RATIO_TARGET = 15.0
PLAN_AS_OF_P99_MS = 200.0
PROVENANCE_P99_MS = 25.0
PEAK_RSS_MB = 300.0

T = TypeVar("T")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Options


@dataclass(frozen=True)
class Options:
    events: int
    seed: int
    ledger: str | None
    backends: tuple[str, ...]
    stock_events: int | None
    batch_size: int
    plan_reads: int
    decision_reads: int
    as_of_reads: int
    postgres_url: str


# The ledger's rebuild, with the time split by stage


@dataclass
class Stages:
    read_log: float = 0.0
    load: float = 0.0
    write: float = 0.0
    swap: float = 0.0
    batches: int = 0


class TimedReadStore:
    """A read-model store that adds up the time spent loading, writing and swapping in documents."""

    def __init__(self, inner: ReadModelStore, stages: Stages) -> None:
        self.inner = inner
        self.stages = stages

    def status(self) -> ReadModelStatus | None:
        return self.inner.status()

    def load(self, keys: Sequence[Key]) -> dict[Key, AnyDoc]:
        started = time.perf_counter()
        try:
            return self.inner.load(keys)
        finally:
            self.stages.load += time.perf_counter() - started

    def commit(
        self,
        docs: Sequence[AnyDoc],
        *,
        expected_position: int,
        position: int,
        skipped: Mapping[str, int],
        at: datetime,
    ) -> None:
        started = time.perf_counter()
        try:
            self.inner.commit(
                docs, expected_position=expected_position, position=position, skipped=skipped, at=at
            )
        finally:
            self.stages.write += time.perf_counter() - started

    def write(self, rows: Sequence[DocRow]) -> None:
        started = time.perf_counter()
        try:
            self.inner.write(rows)
        finally:
            self.stages.write += time.perf_counter() - started

    def fork(self) -> ReadModelStore:
        return TimedReadStore(self.inner.fork(), self.stages)

    def scan(self, model: str, partnership_id: UUID | None = None) -> list[AnyDoc]:
        return self.inner.scan(model, partnership_id)

    def counts(self) -> dict[str, int]:
        return self.inner.counts()

    def scopes_of(self, ids: Collection[UUID]) -> dict[UUID, UUID]:
        return self.inner.scopes_of(ids)

    def fresh(self) -> ReadModelStore:
        return TimedReadStore(self.inner.fresh(), self.stages)

    def swap_in(self, fresh: ReadModelStore) -> None:
        started = time.perf_counter()
        try:
            self.inner.swap_in(fresh.inner if isinstance(fresh, TimedReadStore) else fresh)
        finally:
            self.stages.swap += time.perf_counter() - started

    def discard(self) -> None:
        self.inner.discard()

    def close(self) -> None:
        self.inner.close()


def fast_read_log(read_store: ReadModelStore) -> ReadLog:
    """The read-model store's own read of the events table (what bootstrap wires in)."""
    if isinstance(read_store, SQLiteReadModelStore | PostgresReadModelStore):
        return read_store.read_log
    raise TypeError(f"{type(read_store).__name__} has no read_log of its own")


def timed_read_log(read_log: ReadLog, stages: Stages) -> ReadLog:
    def read(after: int, limit: int, stop: int) -> Sequence[LogRow]:
        started = time.perf_counter()
        try:
            return read_log(after, limit, stop)
        finally:
            stages.read_log += time.perf_counter() - started
            stages.batches += 1

    return read


def reporter(label: str) -> Callable[[int, int], None]:
    started = time.perf_counter()
    last = [started]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_SECONDS or done >= total:
            last[0] = now
            rate = done / (now - started) if now > started else 0.0
            progress(f"{label}: {done:,}/{total:,} events ({rate:,.0f} events/s)")

    return report


def measure_rebuild(ledger: Ledger, batch_size: int, label: str) -> dict[str, Any]:
    stages = Stages()
    read_store = TimedReadStore(ledger.read_store, stages)
    read_log = timed_read_log(fast_read_log(ledger.read_store), stages)
    started, cpu = time.perf_counter(), time.process_time()
    result = rebuild(
        ledger.app,
        read_store,
        batch_size=batch_size,
        read_log=read_log,
        progress=reporter(label),
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    events = result.applied + result.skipped
    rest = max(seconds - stages.read_log - stages.load - stages.swap, 0.0)
    return {
        "events": events,
        "applied": result.applied,
        "skipped": result.skipped,
        "position": result.position,
        "batch_size": batch_size,
        "batches": stages.batches,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "events_per_s": round(events / seconds, 1) if seconds > 0 else None,
        "time_split_s": {
            "read_log": round(stages.read_log, 3),
            "load_documents": round(stages.load, 3),
            "write_documents": round(stages.write, 3),
            "swap_in": round(stages.swap, 3),
            "decode_and_apply": round(rest, 3),
        },
        "documents": dict(sorted(ledger.read_store.counts().items())),
    }


# Reads


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of values sorted ascending."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latencies(
    label: str, subjects: Sequence[T], reads: int, read: Callable[[T], object], rng: random.Random
) -> dict[str, Any]:
    if not subjects or reads < 1:
        return {"reads": 0, "reason": f"no {label} to read"}
    for subject in subjects[:WARMUP_READS]:
        read(subject)
    samples: list[float] = []
    for _ in range(reads):
        subject = rng.choice(subjects)
        started = time.perf_counter()
        read(subject)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "reads": reads,
        "p50_ms": round(percentile(samples, 50), 3),
        "p99_ms": round(percentile(samples, 99), 3),
        "mean_ms": round(sum(samples) / len(samples), 3),
        "max_ms": round(samples[-1], 3),
    }


def last_event_at(app: LedgerApplication) -> datetime:
    head = app.recorder.max_notification_id() or 0
    notes = app.recorder.select_notifications(head, 1)
    if not notes:
        raise RuntimeError("the ledger is empty")
    event = cast(LedgerEvent, app.mapper.to_domain_event(notes[0]))
    return event.timestamp


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + (end - start) * rng.random()


def measure_reads(ledger: Ledger, options: Options) -> dict[str, Any]:
    rng = random.Random(options.seed)
    end = last_event_at(ledger.app)
    plans = [d for d in ledger.read_store.scan("plan") if isinstance(d, PlanDoc)]
    decisions = [d for d in ledger.read_store.scan("decision") if isinstance(d, DecisionDoc)]
    plans.sort(key=lambda d: d.id)
    decisions.sort(key=lambda d: d.id)
    read_models = ledger.read_models

    def plan_as_of(plan: PlanDoc) -> object:
        return read_models.plan(plan.id, as_of=between(rng, plan.drafted_at, end))

    def decision_live(decision: DecisionDoc) -> object:
        return read_models.decision(decision.id)

    def decision_as_of(decision: DecisionDoc) -> object:
        return read_models.decision(decision.id, as_of=between(rng, decision.proposed_at, end))

    plan_figures = latencies("plans", plans, options.plan_reads, plan_as_of, rng)
    live_figures = latencies("decisions", decisions, options.decision_reads, decision_live, rng)
    as_of_figures = latencies("decisions", decisions, options.as_of_reads, decision_as_of, rng)
    return {
        "plans": len(plans),
        "decisions": len(decisions),
        "story_ends_at": end.isoformat(),
        "plan_as_of": with_target(plan_figures, "p99_ms", PLAN_AS_OF_P99_MS, at_most=True),
        "decision_provenance": with_target(live_figures, "p99_ms", PROVENANCE_P99_MS, at_most=True),
        "decision_provenance_as_of": with_target(
            as_of_figures, "p99_ms", PROVENANCE_P99_MS, at_most=True
        ),
    }


def with_target(
    figures: dict[str, Any], key: str, target: float, *, at_most: bool
) -> dict[str, Any]:
    value = figures.get(key)
    if isinstance(value, int | float):
        meets = value < target if at_most else value >= target
        figures[f"target_{key}"] = {"below": target} if at_most else {"at_least": target}
        figures["meets_target"] = meets
    return figures


# Memory: the rebuild in a child process


def rss_kb(field_name: str) -> int | None:
    """A field of /proc/self/status in kB (VmRSS, VmHWM), or None off Linux."""
    with suppress(OSError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the peak is the rebuild's."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def child_rebuild(url: str, until: int, batch_size: int) -> int:
    ledger = bootstrap(Settings(database_url=url), in_process=False)
    try:
        baseline = rss_kb("VmRSS")
        reset = reset_peak_rss()
        started = time.perf_counter()
        result = rebuild(
            ledger.app,
            ledger.read_store,
            until=until,
            batch_size=batch_size,
            read_log=fast_read_log(ledger.read_store),
        )
        seconds = time.perf_counter() - started
        peak = rss_kb("VmHWM")
        if peak is None:  # ru_maxrss is in kB on Linux, bytes on macOS
            scale = 1024 if sys.platform == "darwin" else 1
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
    finally:
        ledger.close()
    print(
        json.dumps(
            {
                "until": until,
                "events": result.applied + result.skipped,
                "seconds": round(seconds, 3),
                "baseline_rss_kb": baseline,
                "peak_rss_kb": peak,
                "peak_reset_before_rebuild": reset,
            }
        )
    )
    return 0


def measure_memory(url: str, events: int, batch_size: int, label: str) -> dict[str, Any]:
    sizes = sorted({max(1, events // 4), max(1, events // 2), events})
    runs: list[dict[str, Any]] = []
    for until in sizes:
        progress(f"{label}: rebuild up to {until:,} in a child process")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.projections",
                "--child-rebuild",
                url,
                "--until",
                str(until),
                "--batch-size",
                str(batch_size),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        child = json.loads(done.stdout.strip().splitlines()[-1])
        baseline, peak = child["baseline_rss_kb"], child["peak_rss_kb"]
        runs.append(
            {
                "until": until,
                "events": child["events"],
                "seconds": child["seconds"],
                "baseline_rss_mb": round(baseline / 1024, 1) if baseline else None,
                "peak_rss_mb": round(peak / 1024, 1),
                "peak_reset_before_rebuild": child["peak_reset_before_rebuild"],
            }
        )
    peak_full = runs[-1]["peak_rss_mb"]
    peak_quarter, peak_half = runs[0]["peak_rss_mb"], runs[len(runs) // 2]["peak_rss_mb"]
    return {
        "method": "child process; /proc/self/status VmHWM after the rebuild",
        "runs": runs,
        "peak_rss_mb": peak_full,
        "growth_quarter_to_full": round(peak_full / peak_quarter, 3) if peak_quarter else None,
        "growth_half_to_full": round(peak_full / peak_half, 3) if peak_half else None,
        "target_peak_rss_mb": {"below": PEAK_RSS_MB},
        "meets_target": peak_full < PEAK_RSS_MB,
    }


# Ledgers: generated or given; PostgreSQL copies


@dataclass(frozen=True)
class SourceLedger:
    path: Path
    events: int
    head: int
    origin: dict[str, Any] = field(default_factory=dict)


def describe_sqlite(path: Path) -> tuple[int, int, dict[str, int]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        count, head = conn.execute(
            "SELECT count(*), coalesce(max(rowid), 0) FROM stored_events"
        ).fetchone()
        topics = dict(
            conn.execute(
                "SELECT topic, count(*) FROM stored_events GROUP BY topic ORDER BY topic"
            ).fetchall()
        )
    conn.close()
    return int(count), int(head), {str(k): int(v) for k, v in topics.items()}


@contextmanager
def source_ledger(options: Options) -> Iterator[tuple[SourceLedger, dict[str, int]]]:
    if options.ledger is not None:
        store = persistence.parse_database_url(options.ledger)
        if store.kind != "sqlite" or not Path(store.path).is_file():
            raise SystemExit(f"--ledger must name an existing SQLite ledger, not {options.ledger}")
        path = Path(store.path).resolve()
        count, head, topics = describe_sqlite(path)
        origin: dict[str, Any] = {"source": "given", "url": options.ledger}
        yield SourceLedger(path=path, events=count, head=head, origin=origin), topics
        return
    with tempfile.TemporaryDirectory(prefix="ledger-projections-") as tmp:
        path = Path(tmp) / "ledger.db"
        clock = ScenarioClock(STORY_START)
        ledger = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
        progress(f"generating {options.events:,} events (seed {options.seed}) in {path}")
        started = time.perf_counter()
        try:
            generated = generate(
                ledger.app,
                clock,
                events=options.events,
                seed=options.seed,
                progress=reporter("generate"),
            )
        finally:
            ledger.close()
        origin = {
            "source": "generated",
            "seed": options.seed,
            "requested_events": options.events,
            "seconds": round(time.perf_counter() - started, 3),
            "partnerships": len(generated.partnership_ids),
        }
        count, head, topics = describe_sqlite(path)
        yield SourceLedger(path=path, events=count, head=head, origin=origin), topics


@contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    schema = f"bench_{uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_to_postgres(source: SourceLedger, server_url: str, schema: str) -> dict[str, Any]:
    """Copy the SQLite log into the schema's events table, keeping each event's
    position, and move the table's sequence past them."""
    url = f"{server_url}?schema={schema}"
    bootstrap(Settings(database_url=url), in_process=False).close()  # creates the tables
    table = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(POSTGRES_EVENTS_TABLE))
    started = time.perf_counter()
    with (
        sqlite3.connect(f"file:{source.path}?mode=ro", uri=True) as src,
        psycopg.connect(server_url) as conn,
    ):
        rows = src.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        )
        with (
            conn.cursor() as cur,
            cur.copy(
                sql.SQL(
                    "COPY {} (notification_id, originator_id, originator_version, topic, state) "
                    "FROM STDIN"
                ).format(table)
            ) as copy,
        ):
            while chunk := rows.fetchmany(COPY_ROWS):
                copy.write(
                    "".join(
                        f"{p}\t{o}\t{v}\t{_copy_text(t)}\t\\\\x{s.hex()}\n"
                        for p, o, v, t, s in chunk
                    )
                )
        if source.head:
            conn.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
                (f"{schema}.{POSTGRES_EVENTS_TABLE}", source.head),
            )
        row = conn.execute(
            sql.SQL("SELECT count(*), coalesce(max(notification_id), 0) FROM {}").format(table)
        ).fetchone()
        conn.commit()
    src.close()
    copied = time.perf_counter() - started
    count, head = (int(row[0]), int(row[1])) if row else (0, 0)
    if (count, head) != (source.events, source.head):
        raise RuntimeError(
            f"copied {count} events up to {head}, the SQLite log has {source.events} up to "
            f"{source.head}"
        )
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(table))
    return {
        "events": count,
        "seconds": round(copied, 3),
        "rows_per_s": round(count / copied, 1) if copied > 0 else None,
        "vacuum_seconds": round(time.perf_counter() - started - copied, 3),
    }


# Per backend


def measure_backend(
    backend: str, source: SourceLedger, options: Options, url: str
) -> dict[str, Any]:
    ledger = bootstrap(Settings(database_url=url), in_process=False)
    try:
        progress(f"{backend}: rebuilding every read model from {source.events:,} events")
        rebuilt = measure_rebuild(ledger, options.batch_size, f"{backend} rebuild")
        progress(
            f"{backend}: rebuild {rebuilt['events_per_s']:,.0f} events/s ({rebuilt['seconds']}s)"
        )
        stock_until = source.head if options.stock_events is None else options.stock_events
        span = register_span(source.path, min(stock_until, source.head))
        progress(
            f"{backend}: stock projection over the first {span.end:,} events "
            f"({span.register_events:,} of them decision events)"
        )
        stock = (
            run_stock_postgres(url, span)
            if backend == "postgres"
            else run_stock_sqlite(source.path, span)
        )
        progress(f"{backend}: stock {stock.rate:,.0f} events/s ({stock.seconds:.3f}s)")
        progress(f"{backend}: reads")
        reads = measure_reads(ledger, options)
    finally:
        ledger.close()
    memory = measure_memory(url, source.head, options.batch_size, backend)
    rate = rebuilt["events_per_s"] or 0.0
    ratio = rate / stock.rate if stock.rate > 0 else None
    rebuilt["target_events_per_s"] = {"at_least": REBUILD_TARGET[backend]}
    rebuilt["meets_target"] = rate >= REBUILD_TARGET[backend]
    return {
        "status": "ok",
        "rebuild": rebuilt,
        "stock": {
            "driver": stock.driver,
            "projection": "decision register: one row per decision, one transaction per event, "
            "the register's topics selected in the database",
            "events": stock.events,
            "register_events": stock.register_events,
            "decisions": stock.decisions,
            "seconds": round(stock.seconds, 3),
            "cpu_seconds": round(stock.cpu_seconds, 3),
            "events_per_s": round(stock.rate, 1),
            "register_events_per_s": round(stock.register_rate, 1),
            "built_in_s": round(stock.built_in_s, 3),
            "setup": stock.setup,
        },
        "ratio_to_stock": {
            "value": round(ratio, 2) if ratio is not None else None,
            "target": {"at_least": RATIO_TARGET},
            "meets_target": ratio is not None and ratio >= RATIO_TARGET,
        },
        "reads": reads,
        "memory": memory,
    }


def run_backend(backend: str, source: SourceLedger, options: Options) -> dict[str, Any]:
    if backend == "sqlite":
        return measure_backend(backend, source, options, f"sqlite:///{source.path}")
    with fresh_schema(options.postgres_url) as schema:
        progress(f"postgres: copying {source.events:,} events into schema {schema}")
        copied = copy_to_postgres(source, options.postgres_url, schema)
        progress(f"postgres: copied in {copied['seconds']}s")
        result = measure_backend(
            backend, source, options, f"{options.postgres_url}?schema={schema}"
        )
    return {"status": result.pop("status"), "copy": copied, **result}


def summary(backends: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with a target, in one list."""
    rows: list[dict[str, Any]] = []

    def add(what: str, backend: str, value: object, target: str, meets: object) -> None:
        rows.append(
            {"what": what, "backend": backend, "value": value, "target": target, "meets": meets}
        )

    for backend, result in backends.items():
        if result.get("status") != "ok":
            continue
        rebuilt = result["rebuild"]
        add(
            "rebuild events/s",
            backend,
            rebuilt["events_per_s"],
            f">= {REBUILD_TARGET[backend]}",
            rebuilt["meets_target"],
        )
        ratio = result["ratio_to_stock"]
        add(
            "rebuild / stock runner",
            backend,
            ratio["value"],
            f">= {RATIO_TARGET:g}",
            ratio["meets_target"],
        )
        for key, label, limit in (
            ("plan_as_of", "plan as of a date, p99 ms", PLAN_AS_OF_P99_MS),
            ("decision_provenance", "decision provenance, p99 ms", PROVENANCE_P99_MS),
            ("decision_provenance_as_of", "decision provenance as of, p99 ms", PROVENANCE_P99_MS),
        ):
            figures = result["reads"][key]
            add(label, backend, figures.get("p99_ms"), f"< {limit:g}", figures.get("meets_target"))
        memory = result["memory"]
        add(
            "rebuild peak RSS MB",
            backend,
            memory["peak_rss_mb"],
            f"< {PEAK_RSS_MB:g} (flat in log size)",
            memory["meets_target"],
        )
    for row in rows:
        row["meets_target"] = row.pop("meets")
    return rows


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "eventsourcing": version("eventsourcing"),
        "msgspec": version("msgspec"),
        "psycopg": version("psycopg"),
        "psycopg_impl": psycopg.pq.__impl__,
        "sqlite": sqlite3.sqlite_version,
    }


def postgres_unavailable(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"PostgreSQL at {url} is not available: {str(e).strip()[:200]}"


def postgres_server_version(url: str) -> str:
    with psycopg.connect(url, connect_timeout=3) as conn:
        number = conn.info.server_version
    return f"{number // 10000}.{number % 10000}"


# The command line


def parse_options(argv: Sequence[str] | None) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.projections",
        description="Read-model rebuild throughput against stock eventsourcing, read "
        "latencies and rebuild memory, measured side by side; prints JSON.",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help=f"generate a ledger of this many events for the run (default {DEFAULT_EVENTS:,} "
        "unless --ledger is given)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="generator and sampling seed"
    )
    parser.add_argument(
        "--ledger", default=None, help="an existing SQLite ledger: sqlite:////path/ledger.db"
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgres",
        help=f"comma-separated, from {', '.join(BACKENDS)} (default sqlite,postgres)",
    )
    parser.add_argument(
        "--stock-events",
        type=int,
        default=None,
        help="log positions the stock per-event projection covers (default: the whole log, "
        "as the rebuild does)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"events per rebuild batch (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument("--plan-reads", type=int, default=DEFAULT_PLAN_READS)
    parser.add_argument("--decision-reads", type=int, default=DEFAULT_DECISION_READS)
    parser.add_argument("--as-of-reads", type=int, default=DEFAULT_AS_OF_READS)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL server to use (default $LEDGER_TEST_POSTGRES_URL or the local "
        "server's test database); the run gets a fresh schema, dropped afterwards",
    )
    parser.add_argument("--child-rebuild", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--until", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ledger is not None and args.events is not None:
        parser.error("give --events (generate a ledger) or --ledger (use one), not both")
    backends = tuple(b.strip() for b in str(args.backends).split(",") if b.strip())
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        parser.error(f"--backends takes names from {', '.join(BACKENDS)}, not {args.backends!r}")
    for name in ("stock_events", "batch_size"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("plan_reads", "decision_reads", "as_of_reads"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    events = DEFAULT_EVENTS if args.events is None else int(args.events)
    if events < 1:
        parser.error("--events must be at least 1")
    options = Options(
        events=events,
        seed=int(args.seed),
        ledger=args.ledger,
        backends=backends,
        stock_events=None if args.stock_events is None else int(args.stock_events),
        batch_size=int(args.batch_size),
        plan_reads=int(args.plan_reads),
        decision_reads=int(args.decision_reads),
        as_of_reads=int(args.as_of_reads),
        postgres_url=str(args.postgres_url),
    )
    return options, args


def main(argv: Sequence[str] | None = None) -> int:
    options, args = parse_options(argv)
    if args.child_rebuild is not None:
        return child_rebuild(str(args.child_rebuild), int(args.until), options.batch_size)
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    env = environment()
    backends: dict[str, Any] = {}
    exit_code = 0
    with source_ledger(options) as (source, topics):
        progress(f"ledger: {source.events:,} events at {source.path}")
        for backend in options.backends:
            if backend == "postgres":
                reason = postgres_unavailable(options.postgres_url)
                if reason:
                    backends[backend] = {
                        "status": "failed" if in_ci else "skipped",
                        "reason": reason,
                    }
                    progress(f"postgres: {reason}")
                    if in_ci:
                        exit_code = 1
                    continue
                env["postgres_server"] = postgres_server_version(options.postgres_url)
            backends[backend] = run_backend(backend, source, options)
        ledger_info = {
            **source.origin,
            "path": str(source.path),
            "events": source.events,
            "head_position": source.head,
            "event_types": topics,
        }
    report = {
        "benchmark": "projections",
        "environment": env,
        "parameters": {
            "backends": list(options.backends),
            "stock_events": options.stock_events,
            "batch_size": options.batch_size,
            "plan_reads": options.plan_reads,
            "decision_reads": options.decision_reads,
            "as_of_reads": options.as_of_reads,
            "warmup_reads": WARMUP_READS,
            "seed": options.seed,
            "percentiles": "nearest rank over the timed reads",
        },
        "ledger": ledger_info,
        "targets": summary(backends),
        "backends": backends,
    }
    print(json.dumps(report, indent=2))
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
