"""The synthetic ledger generator: the same seed writes the same log, it stops at the size
asked for, every event type appears, the proportions are realistic, and the counts it
reports are the log's. A 20,000-event SQLite run shows its speed (printed, not asserted)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest

import domain
from adapters.bootstrap import bootstrap
from adapters.codec import MsgspecMapper
from adapters.settings import Settings
from domain.partnership import Partnership
from domain.values import Sector
from services.demo.cast import ScenarioClock
from services.ledger.application import LedgerApplication
from tests.benchmarks import generator
from tests.benchmarks.generator import GeneratedLedger, count_log, generate

SIZE = 3000
START = datetime(2025, 9, 1, 9, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]

# Event types a small ledger may lack. Every story beat is forced to happen at least once
# per partnership early on, so none is expected to be missing.
RARE: frozenset[str] = frozenset()

Row = tuple[str, UUID, int, bytes]


def in_memory() -> tuple[LedgerApplication, ScenarioClock]:
    clock = ScenarioClock(START)
    app = LedgerApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, mapper_factory=MsgspecMapper, clock=clock
    )
    return app, clock


def generate_in_memory(
    seed: int, events: int = SIZE, batch_events: int = generator.DEFAULT_BATCH_EVENTS
) -> tuple[GeneratedLedger, LedgerApplication]:
    app, clock = in_memory()
    return generate(app, clock, events=events, seed=seed, batch_events=batch_events), app


def log_of(app: LedgerApplication) -> list[Row]:
    rows: list[Row] = []
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=1000):
        rows.extend(
            (n.topic, UUID(str(n.originator_id)), n.originator_version, n.state) for n in page
        )
        start = page[-1].id + 1
    return rows


def digest(app: LedgerApplication) -> str:
    h = hashlib.sha256()
    for topic, originator_id, version, state in log_of(app):
        h.update(f"{topic}|{originator_id}|{version}|".encode())
        h.update(state)
    return h.hexdigest()


def states(rows: list[Row], topic: str) -> list[dict[str, Any]]:
    return [msgspec.json.decode(state) for t, _, _, state in rows if t == topic]


@pytest.fixture(scope="module")
def generated() -> Iterator[tuple[GeneratedLedger, LedgerApplication]]:
    result, app = generate_in_memory(seed=1)
    yield result, app
    app.close()


@pytest.fixture(scope="module")
def rows(generated: tuple[GeneratedLedger, LedgerApplication]) -> list[Row]:
    return log_of(generated[1])


# Reproducible


def test_the_same_seed_writes_the_same_log(rows: list[Row]) -> None:
    _, again = generate_in_memory(seed=1)

    assert log_of(again) == rows


def test_a_different_seed_writes_a_different_log(rows: list[Row]) -> None:
    _, other = generate_in_memory(seed=2)

    other_rows = log_of(other)
    assert other_rows != rows
    assert {r[1] for r in other_rows}.isdisjoint({r[1] for r in rows})


def test_the_log_does_not_depend_on_the_interpreter_or_its_hash_seed(
    generated: tuple[GeneratedLedger, LedgerApplication],
) -> None:
    code = (
        "from tests.benchmarks.test_generator import digest, generate_in_memory; "
        "print(digest(generate_in_memory(seed=1)[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == digest(generated[1])


def test_smaller_batches_store_the_same_events_one_batch_per_time(rows: list[Row]) -> None:
    result, app = generate_in_memory(seed=1, batch_events=40)

    small = log_of(app)  # it may stop earlier in the last day, so compare a prefix
    assert len(small) >= SIZE
    assert [r[:3] for r in small] == [r[:3] for r in rows[: len(small)]]
    per_time = Counter(msgspec.json.decode(r[3])["timestamp"] for r in small)
    assert max(per_time.values()) <= 40
    assert result.batches == len(per_time) > generate_in_memory(seed=1)[0].batches


# Size, time and counts


def test_it_stops_once_the_requested_size_is_stored(
    generated: tuple[GeneratedLedger, LedgerApplication], rows: list[Row]
) -> None:
    result, app = generated

    assert result.requested_events == SIZE
    assert result.events == len(rows) == app.recorder.max_notification_id()
    assert SIZE <= result.events < SIZE + 500  # at most one working day over


def test_stored_times_only_move_forward(rows: list[Row]) -> None:
    times = [datetime.fromisoformat(msgspec.json.decode(r[3])["timestamp"]) for r in rows]

    assert times == sorted(times)
    assert times[0] >= START
    assert len({t.date() for t in times}) > 100  # the story spans many working days
    assert all(t.weekday() < 5 for t in times)


def test_the_counts_it_reports_are_the_logs(
    generated: tuple[GeneratedLedger, LedgerApplication],
) -> None:
    result, app = generated

    event_types, aggregates = count_log(app)
    assert result.event_types == event_types
    assert result.aggregates == aggregates
    assert sum(event_types.values()) == result.events
    assert len(result.partnership_ids) == aggregates["partnership"]
    assert len(result.plan_ids) == aggregates["plan"]
    assert len(result.decision_ids) == aggregates["decision"]
    assert result.seed == 1


def test_it_refuses_a_size_below_one() -> None:
    app, clock = in_memory()

    with pytest.raises(ValueError, match="at least 1"):
        generate(app, clock, events=0, seed=1)


# Realistic content


def test_every_event_type_is_written(rows: list[Row]) -> None:
    written = {r[0] for r in rows}

    missing = {t.TOPIC for t in domain.event_types()} - written
    assert missing <= RARE, f"not written: {sorted(missing)}"


def test_contributions_outnumber_decisions_and_most_are_answered(
    generated: tuple[GeneratedLedger, LedgerApplication],
) -> None:
    counts = generated[0].event_types

    submitted = counts["ContributionSubmitted"]
    answered = counts["ResponseIssued"]
    routed = counts["ContributionRoutedToIndividualCase"]
    assert submitted > 5 * counts["DecisionProposed"]
    assert answered > 0.7 * submitted
    assert 0 < routed < 0.1 * submitted
    assert submitted - answered - routed > 0.05 * submitted  # some await a response
    assert counts["DeidentifiedSummaryRecorded"] > 0.7 * answered
    assert counts["ContributionReceived"] > 0.5 * submitted  # most concern a plan


def test_most_decisions_are_taken_after_votes_and_some_are_deferred(
    generated: tuple[GeneratedLedger, LedgerApplication],
) -> None:
    counts = generated[0].event_types

    proposed = counts["DecisionProposed"]
    assert counts["DecisionTaken"] > 0.8 * proposed
    assert 0 < counts["DecisionDeferred"] < 0.3 * proposed
    assert counts["VoteRecorded"] > 4 * counts["DecisionTaken"]
    assert 0 < counts["DecisionSuperseded"] < 0.2 * counts["DecisionTaken"]
    assert counts["ActionCommitted"] > 0.5 * counts["DecisionTaken"]
    assert counts["ProgressReported"] > counts["ActionCompleted"] > 0


def test_decisions_have_one_to_four_contributions_and_votes_with_reasons(
    rows: list[Row],
) -> None:
    linked = Counter(r[1] for r in rows if r[0] == "ContributionLinked")
    proposed = [r[1] for r in rows if r[0] == "DecisionProposed"]
    votes = states(rows, "VoteRecorded")
    stances = Counter(v["stance"] for v in votes)

    assert max(linked.values()) <= 4
    assert len(linked) > 0.7 * len(proposed)
    assert stances["for"] > 0.6 * len(votes)
    assert stances["against"] > 0
    assert stances["abstain"] > 0
    assert all(v["reason"] for v in votes if v["stance"] in ("against", "block"))


def test_contributions_come_from_every_kind_of_contributor_and_channel(rows: list[Row]) -> None:
    submitted = states(rows, "ContributionSubmitted")
    kinds = Counter(s["contributor_kind"] for s in submitted)
    channels = Counter(s["channel"] for s in submitted)
    depths = Counter(s["depth"] for s in submitted)

    assert set(kinds) == {"parent_carer", "young_person", "practitioner", "organisation"}
    assert kinds.most_common(1)[0][0] == "parent_carer"
    assert set(channels) == {"survey", "listening_event", "email", "meeting", "forum"}
    assert set(depths) == {"coproduction", "participation", "consultation", "information"}
    assert len({s["subject_ref"] for s in submitted}) > 0.8 * len(submitted)


def test_partnerships_have_8_to_14_members_including_the_parent_carer_forum(
    generated: tuple[GeneratedLedger, LedgerApplication], rows: list[Row]
) -> None:
    result, app = generated
    appointed_on_the_first_day: dict[UUID, Counter[str]] = defaultdict(Counter)
    for topic, partnership_id, _, state in rows:
        if topic == "MemberAppointed":
            appointed_on_the_first_day[partnership_id][msgspec.json.decode(state)["timestamp"]] += 1

    for partnership_id in result.partnership_ids:
        first = min(appointed_on_the_first_day[partnership_id].items())[1]
        assert 8 <= first <= 14
        partnership = app.load(Partnership, partnership_id)
        assert any(
            m.active and m.sector is Sector.PARENT_CARER_FORUM for m in partnership.members.values()
        )


def test_plans_are_consulted_on_quality_assured_published_and_superseded(
    rows: list[Row],
) -> None:
    stages: dict[UUID, list[str]] = defaultdict(list)
    for topic, plan_id, _, _ in rows:
        if topic in ("ConsultationOpened", "PlanSubmittedForQA", "PlanPublished", "PlanSuperseded"):
            stages[plan_id].append(topic)
    feedback = states(rows, "QAFeedbackReceived")

    published = [s for s in stages.values() if "PlanPublished" in s]
    assert published
    assert all(s[0] == "ConsultationOpened" and "PlanSubmittedForQA" in s for s in published)
    assert any(s[-1] == "PlanSuperseded" for s in stages.values())
    assert {f["outcome"] for f in feedback} == {"approved", "changes_requested"}
    revisions = states(rows, "SectionRevised")
    assert any(r["cited_decisions"] and r["cited_contributions"] for r in revisions)


# Speed, on a real database


@pytest.mark.benchmark
def test_twenty_thousand_events_into_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ScenarioClock(START)
    ledger = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}"), clock=clock)
    try:
        started = time.perf_counter()
        result = generate(ledger.app, clock, events=20_000, seed=7)
        seconds = time.perf_counter() - started
        assert result.events >= 20_000
        assert count_log(ledger.app) == (result.event_types, result.aggregates)
    finally:
        ledger.close()
    with capsys.disabled():
        print(
            f"\ngenerator: {result.events:,} events into SQLite in {seconds:.1f}s "
            f"({result.events / seconds:,.0f} events/s, {result.batches} batches, "
            f"{len(result.partnership_ids)} partnerships)"
        )


def test_the_command_line_prints_a_json_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    exit_code = generator.main(["--events", "500", "--seed", "3", "--db", url])

    report = json.loads(capsys.readouterr().out)
    assert exit_code == 0
    assert report["database"] == url
    assert report["seed"] == 3
    assert report["events"] >= 500
    assert report["events_per_s"] > 0
    assert sum(report["event_types"].values()) == report["events"]
    assert report["aggregates"]["partnership"] == 1
