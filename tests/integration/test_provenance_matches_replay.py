"""The read models answer exactly what replaying the aggregates answers.

`ReadModelQueries` reads the projected documents; the oracle, `ReplayQueries`, replays
the events of the aggregates involved. On a generated ledger both must agree for every
decision and plan, now and at earlier points in time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from services.demo.cast import ScenarioClock
from tests.benchmarks.generator import GeneratedLedger, generate
from tests.support.replay import ReplayQueries

EVENTS = 12_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ledger, GeneratedLedger]]:
    path = tmp_path_factory.mktemp("generated") / "ledger.db"
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    result = generate(ledger.app, clock, events=EVENTS, seed=3)
    ledger.projector.catch_up()
    yield ledger, result
    ledger.close()


def test_the_provenance_of_every_decision_equals_replaying_its_aggregates(
    generated: tuple[Ledger, GeneratedLedger],
) -> None:
    ledger, result = generated
    assert len(result.decision_ids) > 50

    for decision_id in result.decision_ids:
        assert ledger.read_models.decision(decision_id) == ReplayQueries(ledger.app).decision(
            decision_id
        )


def test_every_plan_equals_replaying_it(generated: tuple[Ledger, GeneratedLedger]) -> None:
    ledger, result = generated
    oracle = ReplayQueries(ledger.app)

    for plan_id in result.plan_ids:
        assert ledger.read_models.plan(plan_id) == oracle.plan(plan_id)


def test_provenance_and_plans_as_of_earlier_dates_equal_replaying_up_to_them(
    generated: tuple[Ledger, GeneratedLedger],
) -> None:
    ledger, result = generated
    assert result.first_at is not None
    assert result.last_at is not None
    span = result.last_at - result.first_at
    oracle = ReplayQueries(ledger.app)
    moments = [result.first_at + span * k / 6 + timedelta(hours=1) for k in range(1, 6)]

    compared = 0
    for moment in moments:
        for decision_id in result.decision_ids[::7]:
            proposed = ledger.log.history(decision_id)[0].occurred_at
            if proposed > moment:
                continue
            assert ledger.read_models.decision(decision_id, as_of=moment) == ReplayQueries(
                ledger.app
            ).decision(decision_id, as_of=moment)
            compared += 1
        for plan_id in result.plan_ids:
            if ledger.log.history(plan_id)[0].occurred_at > moment:
                continue
            assert ledger.read_models.plan(plan_id, as_of=moment) == oracle.plan(
                plan_id, as_of=moment
            )
    assert compared > 20


def test_the_generated_ledger_exercises_what_provenance_shows(
    generated: tuple[Ledger, GeneratedLedger],
) -> None:
    _, result = generated
    for topic in (
        "ContributionLinked",
        "ContributionUnlinked",
        "DecisionAmended",
        "InterestDeclared",
        "DecisionTaken",
        "DecisionDeferred",
        "ReviewScheduled",
        "DecisionSuperseded",
        "SectionRevised",
        "ActionCommitted",
        "ProgressReported",
    ):
        assert result.event_types[topic] > 0, topic
