"""Time travel reads the events it folds straight from the store's events table, in one
query that leaves out events no view shows. It must answer exactly what folding the
aggregates' events through the application answers, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import pytest

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.errors import NotFound
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import northmoor_steps, write_northmoor
from services.projection.read_model_queries import ReadModelQueries

A = TypeVar("A")


@pytest.fixture(params=["sqlite", "postgres"])
def northmoor(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    url = request.getfixturevalue(f"{request.param}_url")
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        ledger.projector.catch_up()
        yield ledger
    finally:
        ledger.close()


def through_the_application(ledger: Ledger) -> ReadModelQueries:
    return ReadModelQueries(ledger.app, ledger.read_store, ledger.log)


def answer(ask: Callable[[], A]) -> A | str:
    try:
        return ask()
    except NotFound:
        return "not found"


def test_the_store_reads_history_for_time_travel(northmoor: Ledger) -> None:
    assert getattr(northmoor.read_store, "read_history", None) is not None


def test_every_position_answers_as_folding_through_the_application(northmoor: Ledger) -> None:
    read_models, reference = northmoor.read_models, through_the_application(northmoor)
    head = northmoor.app.recorder.max_notification_id() or 0
    found = 0

    for n in range(1, head + 1):
        plan = answer(partial(read_models.plan, IDS.plan, at_position=n))
        assert plan == answer(partial(reference.plan, IDS.plan, at_position=n)), n
        decision = answer(partial(read_models.decision, IDS.decision, at_position=n))
        assert decision == answer(partial(reference.decision, IDS.decision, at_position=n)), n
        found += not isinstance(decision, str)

    assert found > 20


def test_every_step_in_time_answers_as_folding_through_the_application(
    northmoor: Ledger,
) -> None:
    read_models, reference = northmoor.read_models, through_the_application(northmoor)

    for when in sorted({when for when, _ in northmoor_steps()}):
        plan = answer(partial(read_models.plan, IDS.plan, as_of=when))
        assert plan == answer(partial(reference.plan, IDS.plan, as_of=when)), when
        decision = answer(partial(read_models.decision, IDS.decision, as_of=when))
        assert decision == answer(partial(reference.decision, IDS.decision, as_of=when)), when
