"""Auditor-toolkit benchmarks: full-log verification, checkpoints, inclusion proofs, audit
bundle export, their peak memory at two log sizes, and what the hash chain costs appends.

Run:

    .venv/bin/python -m tests.benchmarks.audit [--events N | --ledger sqlite:////path.db]
        [--backends sqlite,postgres] [--proofs P] [--more-events M]
        [--append-events A] [--append-repeat R] [--batch B]

A 1M-event ledger, generated once (its chain is written as its events are stored) and
then reused:

    .venv/bin/python -m tests.benchmarks.generator --events 1000000 --db sqlite:////tmp/l.db
    .venv/bin/python -m tests.benchmarks.audit --ledger sqlite:////tmp/l.db

Prints one JSON document on stdout (progress goes to stderr). The ledger is either
generated for the run (``--events`` and ``--seed``, a SQLite file in a temporary folder,
removed afterwards; the chained recorder writes each event's leaf and chain link as it
is stored) or an existing SQLite ledger with its ``ledger_chain`` rows (``--ledger``),
which is only read. Each backend works on copies of it: on SQLite a new file, on
PostgreSQL a fresh schema filled with COPY (events and chain links keep their
positions), dropped afterwards. For each backend:

- ``checkpoint``: the first signed checkpoint over the whole log (``Auditor.checkpoint``
  builds and stores every perfect subtree of 256 leaves and up), and an incremental
  one after ``--more-events`` more events are appended through ``handle_all``.
- ``verify``: ``Auditor.verify`` over the whole log (every leaf, the chain and the
  checkpoint's root recomputed from the stored events), in events/s.
- ``proofs``: ``Auditor.prove`` for ``--proofs`` random positions against the latest
  checkpoint, each checked with ``domain.merkle.verify_inclusion`` (which must
  succeed): p50 and p99 latency of the two together, after a few untimed warm-ups.
- ``export``: ``services.audit.bundle_export.export_bundle`` writing a full audit
  bundle (every event up to the latest checkpoint) to a file, with each aggregate's
  partnership read from the read models as ``inclusion-ledger export`` does; the read
  models are brought up to date first, untimed. Reported as not available where
  services.audit.bundle_export is absent.
- ``memory``: verify and export, each in a child process, on a copy holding the first
  quarter of the log (checkpointed there) and on the whole log; each child reports its
  resident set before the work and its peak (``VmHWM``, reset just before the work
  where Linux allows it) after.
- ``chain_append_cost``: the ledger's batched command path (``LedgerApplication
  .handle_all``, ``--batch`` decisions of four events per call) into a fresh store with
  the chained recorder, the same with eventsourcing's plain recorder, and stock
  eventsourcing (one ``save()`` per decision-like aggregate on its own plain recorder
  and JSON transcoder, the append benchmark's ``stock``), side by side in every repeat
  in rotating order; medians of the rates and of the per-repeat ratios. Each path's
  ``recorder`` and ``setup`` are read off the application it built.

Targets from PERFORMANCE.md are printed next to each figure with ``meets_target``;
nothing is asserted. If the PostgreSQL server is not reachable that backend is reported
as skipped with the reason, except under CI (CI=true), where the run exits non-zero.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from adapters import persistence
from adapters.bootstrap import Ledger, bootstrap
from adapters.chain import CHAIN_TABLE
from adapters.codec import MsgspecMapper
from adapters.persistence import POSTGRES_EVENTS_TABLE
from adapters.settings import Settings
from domain.merkle import verify_inclusion
from domain.values import Channel, ContributorKind, Depth
from services.audit.auditor import Auditor
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.benchmarks import append
from tests.benchmarks.generator import STORY_START, generate
from tests.benchmarks.projections import (
    fresh_schema,
    percentile,
    postgres_server_version,
    postgres_unavailable,
    reporter,
    reset_peak_rss,
    rss_kb,
)

DEFAULT_EVENTS = 20_000
DEFAULT_SEED = 1
DEFAULT_PROOFS = 500
DEFAULT_MORE_EVENTS = 10_000
DEFAULT_APPEND_EVENTS = 4000
DEFAULT_APPEND_REPEAT = 3
DEFAULT_BATCH = 50
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")
WARMUP_PROOFS = 5
COPY_ROWS = 10_000
ROOT = Path(__file__).resolve().parents[2]

# PERFORMANCE.md
VERIFY_TARGET = 200_000.0  # events/s, full-log verification
PROOF_P99_MS = 5.0  # an inclusion proof on 1M events
PEAK_RSS_MB = 300.0  # verify and export stream, at 1M events
FLAT_GROWTH = 1.25  # "flat in log size": the peak on the whole log over the peak on a quarter
BATCHED_TO_STOCK = 2.0  # append with the hash chain, batched intake, against stock

CHAINED_RECORDERS = {
    "sqlite": "adapters.chain:ChainedSQLiteApplicationRecorder",
    "postgres": "adapters.chain:ChainedPostgresApplicationRecorder",
}
PLAIN_RECORDERS = {
    "sqlite": "eventsourcing.sqlite:SQLiteApplicationRecorder",
    "postgres": "eventsourcing.postgres:PostgresApplicationRecorder",
}
APPEND_PATHS = ("chained", "plain", "stock")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def now() -> datetime:
    return datetime.now(UTC)


# Options


@dataclass(frozen=True)
class Options:
    events: int
    seed: int
    ledger: str | None
    backends: tuple[str, ...]
    proofs: int
    more_events: int
    append_events: int
    append_repeat: int
    batch: int
    postgres_url: str

    def append_options(self, backend: str) -> append.Options:
        return append.Options(
            events=self.append_events,
            backends=(backend,),
            repeat=self.append_repeat,
            batch=self.batch,
            postgres_url=self.postgres_url,
        )


# The source ledger: generated for the run, or given


@dataclass(frozen=True)
class SourceLedger:
    path: Path
    events: int
    head: int
    origin: dict[str, Any] = field(default_factory=dict)


def describe_sqlite(path: Path) -> tuple[int, int, int]:
    """(events, head position, chain links) of a SQLite ledger."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        count, head = conn.execute(
            "SELECT count(*), coalesce(max(rowid), 0) FROM stored_events"
        ).fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        links = 0
        if CHAIN_TABLE in tables:
            links = int(conn.execute(f"SELECT count(*) FROM {CHAIN_TABLE}").fetchone()[0])
    conn.close()
    return int(count), int(head), links


def checked_source(path: Path, origin: dict[str, Any]) -> SourceLedger:
    count, head, links = describe_sqlite(path)
    if count == 0:
        raise SystemExit(f"{path} holds no events")
    if links != count:
        raise SystemExit(
            f"{path} holds {count:,} events but {links:,} chain links: generate the ledger "
            "with the chained recorder (python -m tests.benchmarks.generator)"
        )
    return SourceLedger(path=path, events=count, head=head, origin=origin)


@contextmanager
def source_ledger(options: Options) -> Iterator[SourceLedger]:
    if options.ledger is not None:
        store = persistence.parse_database_url(options.ledger)
        if store.kind != "sqlite" or not Path(store.path).is_file():
            raise SystemExit(f"--ledger must name an existing SQLite ledger, not {options.ledger}")
        path = Path(store.path).resolve()
        yield checked_source(path, {"source": "given", "url": options.ledger})
        return
    with tempfile.TemporaryDirectory(prefix="ledger-audit-source-") as tmp:
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
        yield checked_source(path, origin)


# Working copies: the log up to a position, with its chain links, and nothing else


def copy_to_sqlite(source: SourceLedger, target: Path, until: int) -> dict[str, Any]:
    """A new SQLite ledger holding the source's events and chain links up to `until`."""
    bootstrap(Settings(database_url=f"sqlite:///{target}"), in_process=False).close()
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{target}", uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{source.path}?mode=ro",))
        with conn:
            conn.execute(
                "INSERT INTO main.stored_events (rowid, originator_id, originator_version, "
                "topic, state) SELECT rowid, originator_id, originator_version, topic, state "
                "FROM src.stored_events WHERE rowid <= ? ORDER BY rowid",
                (until,),
            )
            conn.execute(
                f"INSERT INTO main.{CHAIN_TABLE} (position, leaf_index, leaf_hash, chain_hash) "
                f"SELECT position, leaf_index, leaf_hash, chain_hash FROM src.{CHAIN_TABLE} "
                "WHERE position <= ? ORDER BY position",
                (until,),
            )
        conn.execute("DETACH DATABASE src")
        events = int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])
        links = int(conn.execute(f"SELECT count(*) FROM {CHAIN_TABLE}").fetchone()[0])
    finally:
        conn.close()
    return copied(events, links, time.perf_counter() - started)


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def copy_to_postgres(
    source: SourceLedger, server_url: str, schema: str, until: int
) -> dict[str, Any]:
    """The source's events and chain links up to `until` copied with COPY into the schema's
    tables (a ledger bootstrapped on the schema creates them), positions kept."""
    bootstrap(Settings(database_url=f"{server_url}?schema={schema}"), in_process=False).close()
    events_table = sql.Identifier(schema, POSTGRES_EVENTS_TABLE)
    chain_table = sql.Identifier(schema, CHAIN_TABLE)
    started = time.perf_counter()
    with (
        sqlite3.connect(f"file:{source.path}?mode=ro", uri=True) as src,
        psycopg.connect(server_url) as conn,
    ):
        with conn.cursor() as cur:
            rows = src.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM "
                "stored_events WHERE rowid <= ? ORDER BY rowid",
                (until,),
            )
            with cur.copy(
                sql.SQL(
                    "COPY {} (notification_id, originator_id, originator_version, topic, state) "
                    "FROM STDIN"
                ).format(events_table)
            ) as copy:
                while chunk := rows.fetchmany(COPY_ROWS):
                    copy.write(
                        "".join(
                            f"{p}\t{o}\t{v}\t{_copy_text(t)}\t\\\\x{s.hex()}\n"
                            for p, o, v, t, s in chunk
                        )
                    )
            links = src.execute(
                f"SELECT position, leaf_index, leaf_hash, chain_hash FROM {CHAIN_TABLE} "
                "WHERE position <= ? ORDER BY position",
                (until,),
            )
            with cur.copy(
                sql.SQL("COPY {} (position, leaf_index, leaf_hash, chain_hash) FROM STDIN").format(
                    chain_table
                )
            ) as copy:
                while chunk := links.fetchmany(COPY_ROWS):
                    copy.write(
                        "".join(
                            f"{p}\t{i}\t\\\\x{leaf.hex()}\t\\\\x{chain.hex()}\n"
                            for p, i, leaf, chain in chunk
                        )
                    )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
            (f"{schema}.{POSTGRES_EVENTS_TABLE}", until),
        )
        events_row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(events_table))
        events = int(events_row.fetchone()[0])  # type: ignore[index]
        links_row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(chain_table))
        chained = int(links_row.fetchone()[0])  # type: ignore[index]
        conn.commit()
    src.close()
    seconds = time.perf_counter() - started
    with psycopg.connect(server_url, autocommit=True) as conn:
        for table in (events_table, chain_table):
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(table))
    result = copied(events, chained, seconds)
    result["vacuum_seconds"] = round(time.perf_counter() - started - seconds, 3)
    return result


def copied(events: int, links: int, seconds: float) -> dict[str, Any]:
    if events != links:
        raise RuntimeError(f"copied {events:,} events but {links:,} chain links")
    return {
        "events": events,
        "seconds": round(seconds, 3),
        "rows_per_s": round(2 * events / seconds, 1) if seconds > 0 else None,
    }


@contextmanager
def working_copy(
    backend: str, source: SourceLedger, options: Options, folder: Path, name: str, until: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A ledger URL holding the source's log up to `until`, removed afterwards (the SQLite
    file, or the PostgreSQL schema)."""
    progress(f"{backend}: copying the log up to position {until:,} ({name})")
    if backend == "sqlite":
        path = folder / f"{name}.db"
        try:
            result = copy_to_sqlite(source, path, until)
            yield f"sqlite:///{path}", result
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with fresh_schema(options.postgres_url) as schema:
        result = copy_to_postgres(source, options.postgres_url, schema, until)
        yield f"{options.postgres_url}?schema={schema}", result


# The signing key


def write_signing_key(path: Path) -> None:
    """A fresh Ed25519 key in the file the ledger reads (PEM, PKCS#8)."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def open_ledger(url: str, key: Path) -> Ledger:
    return bootstrap(
        Settings(database_url=url, signing_key_file=str(key)),
        clock=append.fixed_clock,
        in_process=False,
    )


# Audit bundles: measured where services.audit.bundle_export provides them


EXPORT_MODULE = "services.audit.bundle_export"


def export_api() -> tuple[ModuleType | None, str | None]:
    """The bundle export module if it offers what the export command uses, else why not."""
    try:
        module = importlib.import_module(EXPORT_MODULE)
    except ImportError as e:
        return None, f"{EXPORT_MODULE} is not available: {e}"
    needed = ("export_bundle", "Selection", "aggregate_partnerships", "stored_event_time")
    missing = [name for name in needed if not hasattr(module, name)]
    if missing:
        return None, f"{EXPORT_MODULE} lacks {', '.join(missing)}"
    return module, None


# The whole log: checkpoints, verification, proofs


def timed_checkpoint(ledger: Ledger, auditor: Auditor) -> dict[str, Any]:
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    checkpoint = auditor.checkpoint(ledger.signer(), now())
    seconds = time.perf_counter() - started
    return {
        "sequence": checkpoint.sequence,
        "tree_size": checkpoint.tree_size,
        "seconds": round(seconds, 4),
        "cpu_seconds": round(time.process_time() - cpu, 4),
    }


def measure_verify(auditor: Auditor, label: str) -> dict[str, Any]:
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    report = auditor.verify(progress=reporter(label))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    if not report.ok:
        raise RuntimeError(f"{label}: the copied ledger fails verification: {report.summary()}")
    rate = report.events / seconds if seconds > 0 else 0.0
    return {
        "events": report.events,
        "checkpoints": report.checkpoints,
        "ok": report.ok,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "events_per_s": round(rate, 1),
        "target_events_per_s": {"at_least": VERIFY_TARGET},
        "meets_target": rate >= VERIFY_TARGET,
    }


def measure_proofs(auditor: Auditor, count: int, rng: random.Random) -> dict[str, Any]:
    """Prove random positions against the latest checkpoint and check every proof."""
    checkpoint = auditor.log.checkpoints()[-1]
    size = checkpoint.tree_size
    positions: list[int] = []
    for index in rng.sample(range(size), min(count + WARMUP_PROOFS, size)):
        link = auditor.log.link_at_leaf(index)
        if link is None:
            raise RuntimeError(f"no chain link for leaf {index}")
        positions.append(link[0])
    samples: list[float] = []
    path_lengths: list[int] = []
    for n, position in enumerate(positions):
        started = time.perf_counter()
        proof = auditor.prove(position)
        ok = verify_inclusion(
            proof.leaf_index,
            proof.tree_size,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.path],
            bytes.fromhex(proof.root_hash),
        )
        elapsed = (time.perf_counter() - started) * 1000
        if not ok:
            raise RuntimeError(f"the inclusion proof of position {position} does not verify")
        if n >= WARMUP_PROOFS or len(positions) <= WARMUP_PROOFS:
            samples.append(elapsed)
            path_lengths.append(len(proof.path))
    samples.sort()
    p99 = percentile(samples, 99)
    return {
        "proofs": len(samples),
        "tree_size": size,
        "checkpoint": checkpoint.sequence,
        "all_verified": True,
        "path_length": {"min": min(path_lengths), "max": max(path_lengths)},
        "p50_ms": round(percentile(samples, 50), 3),
        "p99_ms": round(p99, 3),
        "mean_ms": round(sum(samples) / len(samples), 3),
        "max_ms": round(samples[-1], 3),
        "target_p99_ms": {"below": PROOF_P99_MS, "at_events": 1_000_000},
        "meets_target": p99 < PROOF_P99_MS,
    }


def append_more(ledger: Ledger, events: int, batch: int) -> dict[str, Any]:
    """Decisions of four events each, `batch` decisions per handle_all call."""
    decisions = max(1, events // append.EVENTS_PER_DECISION)
    setup = append.set_up_ledger(ledger)
    per_decision = append.decision_commands(setup, 0, decisions)
    batches = [
        [cmd for cmds in per_decision[start : start + batch] for cmd in cmds]
        for start in range(0, len(per_decision), batch)
    ]

    def run() -> None:
        for chunk in batches:
            ledger.app.handle_all(chunk)

    m = append.timed(ledger.app, sum(len(b) for b in batches), run)
    return {
        "events": m.events,
        "seconds": round(m.seconds, 3),
        "events_per_s": round(m.rate, 1),
        "path": f"LedgerApplication.handle_all, {batch} decisions per call, chained recorder",
    }


def catch_up_read_models(ledger: Ledger, label: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = ledger.projector.catch_up(progress=reporter(label))
    return {
        "events": result.applied + result.skipped,
        "seconds": round(time.perf_counter() - started, 3),
    }


# Memory: verify and export in child processes


def peak_kb() -> int:
    peak = rss_kb("VmHWM")
    if peak is None:  # ru_maxrss is in kB on Linux, bytes on macOS
        scale = 1024 if sys.platform == "darwin" else 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
    return peak


def child_verify(url: str, key: Path) -> dict[str, Any]:
    ledger = open_ledger(url, key)
    try:
        auditor = ledger.auditor()
        gc.collect()
        baseline = rss_kb("VmRSS")
        reset = reset_peak_rss()
        started = time.perf_counter()
        report = auditor.verify()
        seconds = time.perf_counter() - started
        peak = peak_kb()
    finally:
        ledger.close()
    return {
        "events": report.events,
        "ok": report.ok,
        "checkpoints": report.checkpoints,
        "seconds": round(seconds, 3),
        "events_per_s": round(report.events / seconds, 1) if seconds > 0 else None,
        "baseline_rss_kb": baseline,
        "peak_rss_kb": peak,
        "peak_reset_before_work": reset,
    }


def child_export(url: str, key: Path, out: Path) -> dict[str, Any]:
    bundle, reason = export_api()
    if bundle is None:
        raise SystemExit(reason)
    ledger = open_ledger(url, key)
    try:
        auditor = ledger.auditor()
        signer = ledger.signer()
        gc.collect()
        baseline = rss_kb("VmRSS")
        reset = reset_peak_rss()
        started = time.perf_counter()
        with out.open("xb") as f:
            summary = bundle.export_bundle(
                f,
                auditor.log,
                signer,
                selection=bundle.Selection.of(None, None, None),
                ledger=ledger.store.label,
                created_at=now(),
                event_time=bundle.stored_event_time(ledger.app.mapper),
                partnerships=bundle.aggregate_partnerships(ledger.read_store),
            )
        finished = time.perf_counter()
        peak = peak_kb()
    finally:
        ledger.close()
    events = int(summary.events)
    stream = finished - started
    return {
        "events": events,
        "tree_size": int(summary.tree_size),
        "bundle_bytes": out.stat().st_size,
        "stream_seconds": round(stream, 3),
        "seconds": round(finished - started, 3),
        "events_per_s": round(events / stream, 1) if stream > 0 else None,
        "baseline_rss_kb": baseline,
        "peak_rss_kb": peak,
        "peak_reset_before_work": reset,
    }


def run_child(kind: str, url: str, key: Path, out: Path | None = None) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "tests.benchmarks.audit",
        "--child",
        kind,
        "--url",
        url,
        "--key",
        str(key),
    ]
    if out is not None:
        argv += ["--out", str(out)]
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def mb(kb: object) -> float | None:
    return round(kb / 1024, 1) if isinstance(kb, int) else None


def memory_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    quarter, full = runs[0]["peak_rss_mb"], runs[-1]["peak_rss_mb"]
    growth = round(full / quarter, 3) if quarter else None
    flat = growth is not None and growth <= FLAT_GROWTH
    return {
        "runs": runs,
        "peak_rss_mb": full,
        "growth_quarter_to_full": growth,
        "target": {"peak_rss_mb_below": PEAK_RSS_MB, "growth_at_most": FLAT_GROWTH},
        "flat": flat,
        "meets_target": full < PEAK_RSS_MB and flat,
    }


def child_run_figures(child: dict[str, Any], size: str) -> dict[str, Any]:
    figures = {k: v for k, v in child.items() if not k.endswith("_kb")}
    for name in ("baseline_rss", "peak_rss"):
        if f"{name}_kb" in child:
            figures[f"{name}_mb"] = mb(child[f"{name}_kb"])
    return {"log": size, **figures}


# The chain's cost to appends: chained and plain recorders side by side


def set_up(app: LedgerApplication) -> append.LedgerSetup:
    """The append benchmark's partnership, members, terms, meeting and contributions."""
    partnership_id = app.handle(
        commands.EstablishPartnership(
            actor=append.SECRETARIAT,
            name="Benchmark SEND and AP Partnership",
            kind="local_send_ap_partnership",
            la_code="Z98",
            icb_code="QZY",
        )
    )
    for member in append.MEMBERS:
        app.handle(
            commands.AppointMember(
                actor=append.SECRETARIAT,
                partnership_id=partnership_id,
                member_id=member.member_id,
                name=member.name,
                role=member.role,
                sector=member.sector,
                organisation=member.organisation,
                voting=member.voting,
            )
        )
    app.handle(
        commands.AdoptTermsOfReference(
            actor=append.CHAIR,
            partnership_id=partnership_id,
            quorum=append.TERMS.quorum,
            forum_required=append.TERMS.forum_required,
            description=append.TERMS.description,
        )
    )
    meeting_id = app.handle(
        commands.ScheduleMeeting(
            actor=append.SECRETARIAT,
            partnership_id=partnership_id,
            title="Partnership board",
            held_at=append.FIXED_NOW,
        )
    )
    app.handle(
        commands.RecordAttendance(
            actor=append.SECRETARIAT, meeting_id=meeting_id, present=append.PRESENT
        )
    )
    contribution_ids = tuple(
        app.handle(
            commands.SubmitContribution(
                actor=append.SECRETARIAT,
                partnership_id=partnership_id,
                reference=f"C-{n:03d}",
                subject_ref=f"subj-{n:04x}",
                contributor_kind=ContributorKind.PARENT_CARER,
                contributor_name="Parent of a four-year-old (name held)",
                channel=Channel.SURVEY,
                depth=Depth.CONSULTATION,
                themes=("speech and language", "waiting times"),
                text="We have waited 18 months for a speech and language therapy assessment.",
            )
        )
        for n in range(append.CONTRIBUTION_POOL)
    )
    return append.LedgerSetup(partnership_id, meeting_id, contribution_ids)


def run_batched(
    url: str, options: append.Options, recorder_topic: str | None
) -> append.Measurement:
    """handle_all batches into a fresh store, with the ledger's own recorder (None) or
    the given one; the events stored are counted and, when chained, their links."""
    store = persistence.parse_database_url(url)
    persistence.prepare(store)
    env = persistence.eventsourcing_env(store)
    if recorder_topic is not None:
        env["APPLICATION_RECORDER_TOPIC"] = recorder_topic
    app = LedgerApplication(env, mapper_factory=MsgspecMapper, clock=append.fixed_clock)
    try:
        setup = set_up(app)
        app.handle_all(
            [
                cmd
                for cmds in append.decision_commands(setup, 0, append.WARMUP_DECISIONS)
                for cmd in cmds
            ]
        )
        per_decision = append.decision_commands(setup, append.WARMUP_DECISIONS, options.decisions)
        batches = [
            [cmd for cmds in per_decision[start : start + options.batch] for cmd in cmds]
            for start in range(0, len(per_decision), options.batch)
        ]

        def run() -> None:
            for batch in batches:
                app.handle_all(batch)

        m = append.timed(app, sum(len(b) for b in batches), run)
        head = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    links = chain_links(store)
    expected = head if recorder_topic is None else 0
    if links != expected:
        raise RuntimeError(f"{head:,} events stored with {links:,} chain links, not {expected:,}")
    return m


def chain_links(store: persistence.Store) -> int:
    """Rows in the store's chain table (0 where there is no such table)."""
    if store.kind == "sqlite":
        with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (CHAIN_TABLE,)
            ).fetchone()
            count = (
                conn.execute(f"SELECT count(*) FROM {CHAIN_TABLE}").fetchone() if exists else None
            )
        conn.close()
        return int(count[0]) if count else 0
    table = sql.Identifier(*((store.schema, CHAIN_TABLE) if store.schema else (CHAIN_TABLE,)))
    name = f"{store.schema}.{CHAIN_TABLE}" if store.schema else CHAIN_TABLE
    with psycopg.connect(
        host=store.host,
        port=store.port,
        dbname=store.dbname,
        user=store.user,
        password=store.password or None,
    ) as pg:
        exists = pg.execute("SELECT to_regclass(%s)", (name,)).fetchone()
        if not exists or exists[0] is None:
            return 0
        counted = pg.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        return int(str(counted[0])) if counted else 0


def measure_chain_cost(backend: str, options: Options, folder: Path) -> dict[str, Any]:
    opts = options.append_options(backend)
    runners: dict[str, Callable[[str], append.Measurement]] = {
        "chained": lambda url: run_batched(url, opts, None),
        "plain": lambda url: run_batched(url, opts, PLAIN_RECORDERS[backend]),
        "stock": lambda url: append.run_stock(url, opts),
    }
    runs: dict[str, list[append.Measurement]] = {path: [] for path in APPEND_PATHS}
    for r in range(opts.repeat):
        order = APPEND_PATHS[r % len(APPEND_PATHS) :] + APPEND_PATHS[: r % len(APPEND_PATHS)]
        for path in order:
            with append.fresh_store(backend, opts, folder) as url:
                m = runners[path](url)
            runs[path].append(m)
            progress(
                f"{backend} append repeat {r + 1}/{opts.repeat} {path}: {m.rate:,.0f} events/s "
                f"({m.events} events in {m.seconds:.3f}s)"
            )
    rates = {path: [m.rate for m in runs[path]] for path in APPEND_PATHS}

    def ratios(top: str, bottom: str) -> list[float]:
        return [a / b for a, b in zip(rates[top], rates[bottom], strict=True)]

    to_plain = ratios("chained", "plain")
    to_stock = ratios("chained", "stock")
    plain_to_stock = ratios("plain", "stock")
    chained_to_stock = statistics.median(to_stock)
    paths = {
        path: {
            "events": runs[path][0].events,
            "events_per_s": round(statistics.median(rates[path]), 1),
            "seconds": round(statistics.median(m.seconds for m in runs[path]), 4),
            "cpu_seconds": round(statistics.median(m.cpu_seconds for m in runs[path]), 4),
            "runs_events_per_s": [round(rate, 1) for rate in rates[path]],
        }
        for path in APPEND_PATHS
    }
    for path in APPEND_PATHS:  # as built: read off each run's application
        paths[path]["recorder"] = runs[path][0].setup["recorder"]
        paths[path]["setup"] = runs[path][0].setup
    return {
        "path": f"LedgerApplication.handle_all, {opts.batch} decisions of "
        f"{append.EVENTS_PER_DECISION} events per call, a fresh store per run",
        "repeat": opts.repeat,
        "paths": paths,
        "ratio_chained_to_plain": {
            "value": round(statistics.median(to_plain), 3),
            "runs": [round(x, 3) for x in to_plain],
            "chain_overhead_pct": round((1 / statistics.median(to_plain) - 1) * 100, 1),
        },
        "ratio_plain_to_stock": round(statistics.median(plain_to_stock), 3),
        "ratio_chained_to_stock": {
            "value": round(chained_to_stock, 3),
            "runs": [round(x, 3) for x in to_stock],
            "target": {"at_least": BATCHED_TO_STOCK},
            "meets_target": chained_to_stock >= BATCHED_TO_STOCK,
        },
    }


# Per backend


def measure_backend(
    backend: str, source: SourceLedger, options: Options, folder: Path, key: Path
) -> dict[str, Any]:
    rng = random.Random(options.seed)
    bundle, export_reason = export_api()
    quarter_until = max(1, source.head // 4)
    with working_copy(backend, source, options, folder, "full", source.head) as (url, copy_info):
        ledger = open_ledger(url, key)
        try:
            auditor = ledger.auditor()
            progress(f"{backend}: first checkpoint over {source.events:,} events")
            first = timed_checkpoint(ledger, auditor)
            progress(f"{backend}: first checkpoint in {first['seconds']}s")
            verified = measure_verify(auditor, f"{backend} verify")
            progress(f"{backend}: verify {verified['events_per_s']:,.0f} events/s")
            progress(f"{backend}: {options.proofs} inclusion proofs")
            proofs = measure_proofs(auditor, options.proofs, rng)
            progress(f"{backend}: proofs p50 {proofs['p50_ms']} ms, p99 {proofs['p99_ms']} ms")
            progress(f"{backend}: appending {options.more_events:,} more events")
            more = append_more(ledger, options.more_events, options.batch)
            incremental = timed_checkpoint(ledger, auditor)
            incremental["events_since_previous"] = incremental["tree_size"] - first["tree_size"]
            progress(f"{backend}: incremental checkpoint in {incremental['seconds']}s")
            read_models = (
                catch_up_read_models(ledger, f"{backend} read models")
                if bundle is not None
                else None
            )
        finally:
            ledger.close()
        with working_copy(backend, source, options, folder, "quarter", quarter_until) as (
            quarter_url,
            _,
        ):
            ledger = open_ledger(quarter_url, key)
            try:
                quarter_checkpoint = ledger.auditor().checkpoint(ledger.signer(), now())
                if bundle is not None:
                    catch_up_read_models(ledger, f"{backend} quarter read models")
            finally:
                ledger.close()
            sizes = (("quarter", quarter_url), ("full", url))
            verify_runs: list[dict[str, Any]] = []
            for size, at in sizes:
                progress(f"{backend}: verify in a child process ({size} log)")
                verify_runs.append(child_run_figures(run_child("verify", at, key), size))
            export_runs: list[dict[str, Any]] = []
            if bundle is not None:
                for size, at in sizes:
                    progress(f"{backend}: export in a child process ({size} log)")
                    out = folder / f"{backend}-{size}.zip"
                    try:
                        child = run_child("export", at, key, out)
                    finally:
                        out.unlink(missing_ok=True)
                    export_runs.append(child_run_figures(child, size))
    export: dict[str, Any]
    if bundle is None:
        export = {"available": False, "reason": export_reason}
    else:
        full_export = export_runs[-1]
        export = {
            "available": True,
            "bundle": "full (every event up to the latest checkpoint), ZIP with deflate",
            "events": full_export["events"],
            "events_per_s": full_export["events_per_s"],
            "stream_seconds": full_export["stream_seconds"],
            "bundle_bytes": full_export["bundle_bytes"],
            "bundle_bytes_per_event": round(full_export["bundle_bytes"] / full_export["events"], 1)
            if full_export["events"]
            else None,
            "read_models_caught_up_before": read_models,
        }
    memory: dict[str, Any] = {
        "method": "child process per run; /proc/self/status VmHWM after the work, reset to the "
        "resident set just before it",
        "quarter_log": {
            "position": quarter_until,
            "checkpoint_tree_size": quarter_checkpoint.tree_size,
        },
        "verify": memory_summary(verify_runs),
        "export": memory_summary(export_runs)
        if export_runs
        else {"available": False, "reason": export_reason},
    }
    progress(f"{backend}: chain cost to appends, side by side")
    chain_cost = measure_chain_cost(backend, options, folder)
    return {
        "status": "ok",
        "copy": copy_info,
        "events": source.events,
        "checkpoint": {"first": first, "incremental": incremental},
        "verify": verified,
        "proofs": proofs,
        "append_more": more,
        "export": export,
        "memory": memory,
        "chain_append_cost": chain_cost,
        "load_average_after": load_average(),
    }


def summary(backends: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with a target, in one list."""
    rows: list[dict[str, Any]] = []

    def add(what: str, backend: str, value: object, target: str, meets: object) -> None:
        rows.append(
            {
                "what": what,
                "backend": backend,
                "value": value,
                "target": target,
                "meets_target": meets,
            }
        )

    for backend, result in backends.items():
        if result.get("status") != "ok":
            continue
        verified = result["verify"]
        add(
            "verify events/s",
            backend,
            verified["events_per_s"],
            f">= {VERIFY_TARGET:,.0f}",
            verified["meets_target"],
        )
        proofs = result["proofs"]
        add(
            f"inclusion proof p99 ms (tree of {proofs['tree_size']:,})",
            backend,
            proofs["p99_ms"],
            f"< {PROOF_P99_MS:g} at 1M events",
            proofs["meets_target"],
        )
        for work in ("verify", "export"):
            memory = result["memory"][work]
            if "runs" not in memory:
                continue
            add(
                f"{work} peak RSS MB (quarter -> full: x{memory['growth_quarter_to_full']})",
                backend,
                memory["peak_rss_mb"],
                f"< {PEAK_RSS_MB:g} and flat (growth <= {FLAT_GROWTH:g})",
                memory["meets_target"],
            )
        ratio = result["chain_append_cost"]["ratio_chained_to_stock"]
        add(
            "append, chained batched / stock",
            backend,
            ratio["value"],
            f">= {BATCHED_TO_STOCK:g}",
            ratio["meets_target"],
        )
    return rows


def load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": load_average(),
        "eventsourcing": version("eventsourcing"),
        "msgspec": version("msgspec"),
        "cryptography": version("cryptography"),
        "psycopg": version("psycopg"),
        "psycopg_impl": psycopg.pq.__impl__,
        "sqlite": sqlite3.sqlite_version,
    }


# The command line


def parse_options(argv: Sequence[str] | None) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.audit",
        description="Auditor toolkit: verification, checkpoints, inclusion proofs, export, "
        "their memory, and the hash chain's cost to appends; prints JSON.",
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
        "--ledger",
        default=None,
        help="an existing SQLite ledger with its chain: sqlite:////path/ledger.db (only read)",
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgres",
        help=f"comma-separated, from {', '.join(BACKENDS)} (default sqlite,postgres)",
    )
    parser.add_argument(
        "--proofs",
        type=int,
        default=DEFAULT_PROOFS,
        help=f"inclusion proofs timed (default {DEFAULT_PROOFS})",
    )
    parser.add_argument(
        "--more-events",
        type=int,
        default=DEFAULT_MORE_EVENTS,
        help=f"events appended before the incremental checkpoint (default {DEFAULT_MORE_EVENTS:,})",
    )
    parser.add_argument(
        "--append-events",
        type=int,
        default=DEFAULT_APPEND_EVENTS,
        help=f"events per append path and repeat (default {DEFAULT_APPEND_EVENTS:,})",
    )
    parser.add_argument(
        "--append-repeat",
        type=int,
        default=DEFAULT_APPEND_REPEAT,
        help=f"append repeats; figures are medians (default {DEFAULT_APPEND_REPEAT})",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"decisions per handle_all call (default {DEFAULT_BATCH})",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL server to use (default $LEDGER_TEST_POSTGRES_URL or the local "
        "server's test database); the run gets fresh schemas, dropped afterwards",
    )
    parser.add_argument("--child", choices=("verify", "export"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ledger is not None and args.events is not None:
        parser.error("give --events (generate a ledger) or --ledger (use one), not both")
    backends = tuple(b.strip() for b in str(args.backends).split(",") if b.strip())
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        parser.error(f"--backends takes names from {', '.join(BACKENDS)}, not {args.backends!r}")
    for name in ("proofs", "more_events", "append_events", "append_repeat", "batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    events = DEFAULT_EVENTS if args.events is None else int(args.events)
    if events < 1:
        parser.error("--events must be at least 1")
    options = Options(
        events=events,
        seed=int(args.seed),
        ledger=args.ledger,
        backends=backends,
        proofs=int(args.proofs),
        more_events=int(args.more_events),
        append_events=int(args.append_events),
        append_repeat=int(args.append_repeat),
        batch=int(args.batch),
        postgres_url=str(args.postgres_url),
    )
    return options, args


def main(argv: Sequence[str] | None = None) -> int:
    options, args = parse_options(argv)
    if args.child is not None:
        key = Path(str(args.key))
        if args.child == "verify":
            result = child_verify(str(args.url), key)
        else:
            result = child_export(str(args.url), key, Path(str(args.out)))
        print(json.dumps(result))
        return 0
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    env = environment()
    backends: dict[str, Any] = {}
    exit_code = 0
    runnable: list[str] = []
    for backend in options.backends:
        if backend == "postgres":
            reason = postgres_unavailable(options.postgres_url)
            if reason:
                backends[backend] = {"status": "failed" if in_ci else "skipped", "reason": reason}
                progress(f"postgres: {reason}")
                if in_ci:
                    exit_code = 1
                continue
            env["postgres_server"] = postgres_server_version(options.postgres_url)
        runnable.append(backend)
    ledger_info: dict[str, Any] = {}
    if runnable:
        with (
            source_ledger(options) as source,
            tempfile.TemporaryDirectory(prefix="ledger-audit-") as tmp,
        ):
            folder = Path(tmp)
            key = folder / "signing-key.pem"
            write_signing_key(key)
            progress(f"ledger: {source.events:,} events at {source.path}")
            for backend in runnable:
                backends[backend] = measure_backend(backend, source, options, folder, key)
            ledger_info = {
                **source.origin,
                "path": str(source.path),
                "events": source.events,
                "head_position": source.head,
            }
    report = {
        "benchmark": "audit",
        "environment": env,
        "parameters": {
            "backends": list(options.backends),
            "seed": options.seed,
            "proofs": options.proofs,
            "warmup_proofs": WARMUP_PROOFS,
            "more_events": options.more_events,
            "append_events_per_path": options.append_options("sqlite").decisions
            * append.EVENTS_PER_DECISION,
            "append_repeat": options.append_repeat,
            "batch_decisions": options.batch,
            "percentiles": "nearest rank over the timed proofs",
        },
        "ledger": ledger_info,
        "targets": summary(backends),
        "backends": backends,
    }
    print(json.dumps(report, indent=2))
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
