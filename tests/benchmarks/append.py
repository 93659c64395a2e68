"""Append throughput: the ledger's write paths against stock eventsourcing, side by side.

Run:

    .venv/bin/python -m tests.benchmarks.append [--events N] [--backends sqlite,postgres]
                                                [--repeat R] [--batch B]

Prints one JSON document on stdout (progress goes to stderr). For each backend
(a SQLite file in a temporary folder; PostgreSQL in a fresh schema, dropped
afterwards) five paths append the same workload, a decision of four events
(six on PostgreSQL):

- ``stock``: eventsourcing's own ``Application`` with its default JSON
  transcoder and a decorator-style aggregate (proposed, two contributions
  linked, taken), one ``save()`` per aggregate: the baseline of PERFORMANCE.md.
  It runs on eventsourcing's own ``SQLiteApplicationRecorder`` or
  ``PostgresApplicationRecorder`` with the settings tests.benchmarks.stock
  describes, never on the ledger's chained recorder.
- ``stock_save_per_event``: the same, saved after every event: stock in the
  transaction shape of a command path that stores one event per command.
- ``stock_db_functions`` (PostgreSQL only): ``stock`` with
  ``POSTGRES_ENABLE_DB_FUNCTIONS``, the insert path of eventsourcing's own speed
  runs: one database-function call per save, without the table lock that keeps
  notification ids in commit order.
- ``ledger_commands``: ``LedgerApplication.handle`` with ProposeDecision,
  LinkContribution, RecordVote and TakeDecision, one command at a time.
- ``ledger_batched``: the same commands, ``--batch`` decisions' worth per
  ``LedgerApplication.handle_all`` call.
- ``ledger_domain_batched``: ``Decision`` driven directly and saved once per
  aggregate through the ledger's msgspec mapper: the same shape as ``stock``,
  so the difference is serialiser and store cost.

Every path runs in a store of its own, freshly made for each repeat; set-up
(partnership, members, terms of reference, meeting, contributions) and a few
warm-up decisions are not timed. The paths run side by side in every repeat,
in an order that rotates between repeats, and each figure is the median over
the repeats; ``ratio_to_stock`` (and on PostgreSQL ``ratio_to_stock_db_functions``)
is the median of the per-repeat ratios. The number of events each timed run
stored is checked against the notification log, so a path that loses events
fails instead of looking fast. Each path's ``setup`` names the recorder, mapper,
transcoder and store settings it ran on, read off the objects it built.

If the PostgreSQL server is not reachable the backend is reported as skipped
with the reason, except under CI (CI=true), where the run exits non-zero.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.decision import Decision
from domain.values import (
    Actor,
    Channel,
    ContributorKind,
    DecisionCategory,
    DecisionOutcome,
    Depth,
    Influence,
    MemberRecord,
    Sector,
    Stance,
    TermsOfReference,
)
from services.ledger import commands
from tests.benchmarks.stock import StockDecision, describe, open_stock

EVENTS_PER_DECISION = 4
WARMUP_DECISIONS = 5
CONTRIBUTION_POOL = 8
DEFAULT_EVENTS = 2000
DEFAULT_REPEAT = 3
DEFAULT_BATCH = 50
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres", "memory")
PATHS = (
    "stock",
    "stock_save_per_event",
    "ledger_commands",
    "ledger_batched",
    "ledger_domain_batched",
)
POSTGRES_PATHS = ("stock_db_functions",)
"""Paths measured on PostgreSQL only: stock with eventsourcing's database-function insert."""


def paths_for(backend: str) -> tuple[str, ...]:
    return PATHS + POSTGRES_PATHS if backend == "postgres" else PATHS


FIXED_NOW = datetime(2026, 1, 14, 16, 0, tzinfo=UTC)

SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
CHAIR_ID = "m-chair"
CHAIR = Actor(id=CHAIR_ID, role="chair")
MEMBERS = (
    MemberRecord(
        member_id=CHAIR_ID,
        name="Priya Shah",
        role="Director of Children's Services",
        sector=Sector.LOCAL_AUTHORITY,
        organisation="Benchmark Council",
        voting=True,
    ),
    MemberRecord(
        member_id="m-forum",
        name="Helen Marsh",
        role="Parent carer forum co-chair",
        sector=Sector.PARENT_CARER_FORUM,
        organisation="Benchmark Parent Carer Forum",
        voting=True,
    ),
    MemberRecord(
        member_id="m-health",
        name="Tom Okafor",
        role="ICB SEND lead",
        sector=Sector.HEALTH,
        organisation="Benchmark ICB",
        voting=True,
    ),
)
PRESENT = tuple(m.member_id for m in MEMBERS)
TERMS = TermsOfReference(version=1, quorum=1, forum_required=False, description="Quorum: 1.")

DECISION_TEXT = (
    "Commission 6 full-time speech and language therapy assistants in an early-language "
    "model across early years settings, schools and further education colleges."
)
RATIONALE = "Long waits for SaLT across ages; the model meets the need families described."


def fixed_clock() -> datetime:
    """A clock that costs nothing, so the figures are the ledger's, not the system clock's."""
    return FIXED_NOW


# Options and results


@dataclass(frozen=True)
class Options:
    events: int
    backends: tuple[str, ...]
    repeat: int
    batch: int
    postgres_url: str

    @property
    def decisions(self) -> int:
        return max(1, self.events // EVENTS_PER_DECISION)


@dataclass(frozen=True)
class Measurement:
    events: int
    seconds: float
    cpu_seconds: float
    setup: dict[str, Any] = field(default_factory=dict)
    """What the path ran on: recorder, mapper, transcoder and store settings."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


# Stores: each timed run gets a fresh one


@contextmanager
def fresh_store(backend: str, options: Options, folder: Path) -> Iterator[str]:
    """A database URL nothing has written to; PostgreSQL schemas are dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'append-{uuid4().hex[:12]}.db'}"
    elif backend == "postgres":
        schema = f"bench_{uuid4().hex[:16]}"
        with psycopg.connect(options.postgres_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{options.postgres_url}?schema={schema}"
        finally:
            with psycopg.connect(options.postgres_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    else:
        yield "memory://"


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


def stored_count(app: Application[UUID]) -> int:
    return app.recorder.max_notification_id() or 0


def timed(app: Application[UUID], expected_events: int, run: Callable[[], None]) -> Measurement:
    """Time `run`, then check it stored exactly the events it should have."""
    gc.collect()
    before = stored_count(app)
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    seconds = time.perf_counter() - wall
    cpu_seconds = time.process_time() - cpu
    stored = stored_count(app) - before
    if stored != expected_events:
        msg = f"expected {expected_events} stored events, the notification log gained {stored}"
        raise RuntimeError(msg)
    return Measurement(events=stored, seconds=seconds, cpu_seconds=cpu_seconds, setup=describe(app))


# Paths a: stock eventsourcing


def run_stock(
    url: str, options: Options, *, save_each_event: bool = False, db_functions: bool = False
) -> Measurement:
    app = open_stock(url, db_functions=db_functions)
    try:
        partnership_id, meeting_id = uuid4(), uuid4()
        pool = [uuid4() for _ in range(CONTRIBUTION_POOL)]

        def decide(count: int) -> None:
            for i in range(count):
                decision = StockDecision(
                    partnership_id=partnership_id,
                    reference=f"D-{i:06d}",
                    title="Early-language SaLT assistants",
                    text=DECISION_TEXT,
                    proposer_id=CHAIR_ID,
                )
                if save_each_event:
                    app.save(decision)
                decision.link_contribution(
                    pool[i % CONTRIBUTION_POOL], "informed", "Evidence of waiting times."
                )
                if save_each_event:
                    app.save(decision)
                decision.link_contribution(
                    pool[(i + 1) % CONTRIBUTION_POOL], "amended", "Asks for post-16 settings."
                )
                if save_each_event:
                    app.save(decision)
                decision.take("approved", RATIONALE, meeting_id)
                app.save(decision)

        decide(WARMUP_DECISIONS)
        return timed(
            app, options.decisions * EVENTS_PER_DECISION, lambda: decide(options.decisions)
        )
    finally:
        app.close()


# Paths b and c: the ledger's command path


@dataclass(frozen=True)
class LedgerSetup:
    partnership_id: UUID
    meeting_id: UUID
    contribution_ids: tuple[UUID, ...]


def set_up_ledger(ledger: Ledger) -> LedgerSetup:
    """A partnership that can take decisions: members, terms, a meeting, contributions."""
    app = ledger.app
    partnership_id = app.handle(
        commands.EstablishPartnership(
            actor=SECRETARIAT,
            name="Benchmark SEND and AP Partnership",
            kind="local_send_ap_partnership",
            la_code="Z98",
            icb_code="QZY",
        )
    )
    for member in MEMBERS:
        app.handle(
            commands.AppointMember(
                actor=SECRETARIAT,
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
            actor=CHAIR,
            partnership_id=partnership_id,
            quorum=TERMS.quorum,
            forum_required=TERMS.forum_required,
            description=TERMS.description,
        )
    )
    meeting_id = app.handle(
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            title="Partnership board",
            held_at=FIXED_NOW,
        )
    )
    app.handle(commands.RecordAttendance(actor=SECRETARIAT, meeting_id=meeting_id, present=PRESENT))
    contribution_ids = tuple(
        app.handle(
            commands.SubmitContribution(
                actor=SECRETARIAT,
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
        for n in range(CONTRIBUTION_POOL)
    )
    return LedgerSetup(partnership_id, meeting_id, contribution_ids)


def decision_commands(
    setup: LedgerSetup, first: int, count: int
) -> list[list[commands.AnyCommand]]:
    """The four commands of each decision, one list per decision."""
    voter = Actor(id=CHAIR_ID, role="member")
    result: list[list[commands.AnyCommand]] = []
    for i in range(first, first + count):
        decision_id = uuid4()
        result.append(
            [
                commands.ProposeDecision(
                    actor=CHAIR,
                    partnership_id=setup.partnership_id,
                    decision_id=decision_id,
                    reference=f"D-{i:06d}",
                    title="Early-language SaLT assistants",
                    category=DecisionCategory.HEALTH_COMMISSIONING,
                    text=DECISION_TEXT,
                    proposer_id=CHAIR_ID,
                ),
                commands.LinkContribution(
                    actor=SECRETARIAT,
                    decision_id=decision_id,
                    contribution_id=setup.contribution_ids[i % CONTRIBUTION_POOL],
                    influence=Influence.INFORMED,
                    note="Evidence of waiting times.",
                ),
                commands.RecordVote(
                    actor=voter,
                    decision_id=decision_id,
                    member_id=CHAIR_ID,
                    stance=Stance.FOR,
                    reason="Meets the need families described.",
                ),
                commands.TakeDecision(
                    actor=CHAIR,
                    decision_id=decision_id,
                    meeting_id=setup.meeting_id,
                    outcome=DecisionOutcome.APPROVED,
                    rationale=RATIONALE,
                ),
            ]
        )
    return result


def open_ledger(url: str) -> Ledger:
    """The ledger as it ships on the store: its own chained recorder and msgspec mapper."""
    return bootstrap(Settings(database_url=url), clock=fixed_clock)


def run_ledger_commands(url: str, options: Options) -> Measurement:
    ledger = open_ledger(url)
    try:
        app = ledger.app
        setup = set_up_ledger(ledger)
        for commands in decision_commands(setup, 0, WARMUP_DECISIONS):
            for command in commands:
                app.handle(command)
        flat = [
            command
            for commands in decision_commands(setup, WARMUP_DECISIONS, options.decisions)
            for command in commands
        ]

        def run() -> None:
            for command in flat:
                app.handle(command)

        return timed(app, len(flat), run)
    finally:
        ledger.close()


def run_ledger_batched(url: str, options: Options) -> Measurement:
    ledger = open_ledger(url)
    try:
        app = ledger.app
        setup = set_up_ledger(ledger)
        app.handle_all(
            [cmd for cmds in decision_commands(setup, 0, WARMUP_DECISIONS) for cmd in cmds]
        )
        per_decision = decision_commands(setup, WARMUP_DECISIONS, options.decisions)
        batches = [
            [cmd for cmds in per_decision[start : start + options.batch] for cmd in cmds]
            for start in range(0, len(per_decision), options.batch)
        ]

        def run() -> None:
            for batch in batches:
                app.handle_all(batch)

        return timed(app, sum(len(b) for b in batches), run)
    finally:
        ledger.close()


# Path d: the ledger's domain objects, one save per aggregate


def run_ledger_domain_batched(url: str, options: Options) -> Measurement:
    ledger = open_ledger(url)
    try:
        app = ledger.app
        partnership_id, meeting_id = uuid4(), uuid4()
        pool = [uuid4() for _ in range(CONTRIBUTION_POOL)]
        roster = {m.member_id: m for m in MEMBERS}
        proposer = roster[CHAIR_ID]
        voter = Actor(id=CHAIR_ID, role="member")
        no_interests: frozenset[str] = frozenset()

        def decide(first: int, count: int) -> None:
            for i in range(first, first + count):
                decision = Decision.propose(
                    decision_id=uuid4(),
                    partnership_id=partnership_id,
                    reference=f"D-{i:06d}",
                    title="Early-language SaLT assistants",
                    category=DecisionCategory.HEALTH_COMMISSIONING,
                    text=DECISION_TEXT,
                    options=(),
                    evidence=(),
                    proposer=proposer,
                    actor=CHAIR,
                    at=FIXED_NOW,
                )
                decision.link_contribution(
                    contribution_id=pool[i % CONTRIBUTION_POOL],
                    influence=Influence.INFORMED,
                    note="Evidence of waiting times.",
                    actor=SECRETARIAT,
                    at=FIXED_NOW,
                )
                decision.record_vote(
                    voter=proposer,
                    stance=Stance.FOR,
                    reason="Meets the need families described.",
                    actor=voter,
                    at=FIXED_NOW,
                )
                decision.take(
                    outcome=DecisionOutcome.APPROVED,
                    rationale=RATIONALE,
                    meeting_id=meeting_id,
                    held_at=FIXED_NOW,
                    present=PRESENT,
                    roster=roster,
                    terms=TERMS,
                    interested=no_interests,
                    coproduced=False,
                    actor=CHAIR,
                    at=FIXED_NOW,
                )
                app.save_all(decision)

        decide(0, WARMUP_DECISIONS)
        return timed(
            app,
            options.decisions * EVENTS_PER_DECISION,
            lambda: decide(WARMUP_DECISIONS, options.decisions),
        )
    finally:
        ledger.close()


RUNNERS: dict[str, Callable[[str, Options], Measurement]] = {
    "stock": run_stock,
    "stock_save_per_event": partial(run_stock, save_each_event=True),
    "stock_db_functions": partial(run_stock, db_functions=True),
    "ledger_commands": run_ledger_commands,
    "ledger_batched": run_ledger_batched,
    "ledger_domain_batched": run_ledger_domain_batched,
}


# The run


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_backend(backend: str, options: Options) -> dict[str, Any]:
    names = paths_for(backend)
    runs: dict[str, list[Measurement]] = {path: [] for path in names}
    with tempfile.TemporaryDirectory(prefix="ledger-append-") as tmp:
        for r in range(options.repeat):
            order = names[r % len(names) :] + names[: r % len(names)]
            for path in order:
                with fresh_store(backend, options, Path(tmp)) as url:
                    m = RUNNERS[path](url, options)
                runs[path].append(m)
                progress(
                    f"{backend} repeat {r + 1}/{options.repeat} {path}: "
                    f"{m.rate:,.0f} events/s ({m.events} events in {m.seconds:.3f}s)"
                )
    baselines = [b for b in ("stock", "stock_db_functions") if b in names]
    paths: dict[str, Any] = {}
    for path in names:
        rates = [m.rate for m in runs[path]]
        figures: dict[str, Any] = {
            "events": runs[path][0].events,
            "events_per_s": round(statistics.median(rates), 1),
            "seconds": round(statistics.median(m.seconds for m in runs[path]), 4),
            "cpu_seconds": round(statistics.median(m.cpu_seconds for m in runs[path]), 4),
            "runs": {"events_per_s": [round(rate, 1) for rate in rates]},
            "setup": runs[path][0].setup,
        }
        for baseline in baselines:
            base_rates = [m.rate for m in runs[baseline]]
            ratios = [rate / base for rate, base in zip(rates, base_rates, strict=True)]
            figures[f"ratio_to_{baseline}"] = round(statistics.median(ratios), 3)
            figures["runs"][f"ratio_to_{baseline}"] = [round(ratio, 3) for ratio in ratios]
        paths[path] = figures
    return {"status": "ok", "paths": paths}


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "eventsourcing": version("eventsourcing"),
        "msgspec": version("msgspec"),
        "psycopg": version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
    }


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.append",
        description="Append throughput of the ledger's write paths against stock "
        "eventsourcing, measured side by side; prints JSON.",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events per path, per backend and repeat (default {DEFAULT_EVENTS}; "
        f"rounded down to whole decisions of {EVENTS_PER_DECISION})",
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgres",
        help=f"comma-separated, from {', '.join(BACKENDS)} (default sqlite,postgres)",
    )
    parser.add_argument(
        "--repeat", type=int, default=DEFAULT_REPEAT, help="repeats; figures are medians"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"decisions per handle_all call on the batched path (default {DEFAULT_BATCH})",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL server to use (default $LEDGER_TEST_POSTGRES_URL or the local "
        "server's test database); each run gets a fresh schema",
    )
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in str(args.backends).split(",") if b.strip())
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        parser.error(f"--backends takes names from {', '.join(BACKENDS)}, not {args.backends!r}")
    for name in ("events", "repeat", "batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(
        events=int(args.events),
        backends=backends,
        repeat=int(args.repeat),
        batch=int(args.batch),
        postgres_url=str(args.postgres_url),
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    env = environment()
    backends: dict[str, Any] = {}
    exit_code = 0
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
        backends[backend] = measure_backend(backend, options)
    report = {
        "benchmark": "append",
        "environment": env,
        "parameters": {
            "events_per_path": options.decisions * EVENTS_PER_DECISION,
            "events_per_decision": EVENTS_PER_DECISION,
            "decisions_per_path": options.decisions,
            "batch_decisions": options.batch,
            "warmup_decisions": WARMUP_DECISIONS,
            "repeat": options.repeat,
            "statistic": "median of repeats; ratio_to_<baseline> is the median of per-repeat "
            "ratios",
            "backends": list(options.backends),
            "paths": {backend: list(paths_for(backend)) for backend in options.backends},
        },
        "backends": backends,
    }
    print(json.dumps(report, indent=2))
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
