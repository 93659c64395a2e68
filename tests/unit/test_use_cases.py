"""Use cases every entry point shares, over the in-memory ledger: the last log position
at a time, where the read models stand, and writing the demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from projections.dispatch import SCHEMA_VERSION
from projections.documents import MODELS
from services.demo.cast import IDS, ScenarioClock
from services.demo.writing import SCENARIO_START, LedgerNotEmpty, write_demo
from services.projection.status import projection_status

NORTHMOOR_EVENTS = 56


class FakeStore:
    """A database as an operator sees it, holding a ledger or not."""

    def __init__(self, *, empty: bool) -> None:
        self.empty = empty
        self.resets = 0

    @property
    def label(self) -> str:
        return "the test database"

    def is_empty(self) -> bool:
        return self.empty

    def reset(self) -> None:
        self.resets += 1
        self.empty = True


def memory_ledger(clock: ScenarioClock) -> Ledger:
    return bootstrap(Settings(database_url="memory://"), clock=clock)


@pytest.fixture
def northmoor() -> Iterator[Ledger]:
    ledger, _ = write_demo(FakeStore(empty=True), memory_ledger, replace=False)
    yield ledger
    ledger.close()


def test_the_demo_goes_into_an_empty_ledger_on_the_scenarios_clock(northmoor: Ledger) -> None:
    first = northmoor.log.events(limit=1)[0]

    assert northmoor.app.recorder.max_notification_id() == NORTHMOOR_EVENTS
    assert first.occurred_at >= SCENARIO_START
    assert northmoor.read_models.plan(IDS.plan).id == IDS.plan


def test_the_demo_refuses_a_ledger_that_holds_one_and_leaves_it_untouched() -> None:
    store = FakeStore(empty=False)
    opened: list[Ledger] = []

    def open_ledger(clock: ScenarioClock) -> Ledger:
        opened.append(memory_ledger(clock))
        return opened[-1]

    with pytest.raises(LedgerNotEmpty, match="the test database already holds a ledger"):
        write_demo(store, open_ledger, replace=False)

    assert store.resets == 0
    assert opened == []


def test_the_demo_replaces_a_ledger_when_told_to() -> None:
    store = FakeStore(empty=False)

    ledger, ids = write_demo(store, memory_ledger, replace=True)

    assert store.resets == 1
    assert ids == IDS
    ledger.close()


def test_the_position_at_a_time_is_the_last_event_recorded_by_then(northmoor: Ledger) -> None:
    events = northmoor.log.events(limit=NORTHMOOR_EVENTS)
    before_all = events[0].occurred_at - timedelta(seconds=1)

    assert northmoor.log.position_at(before_all) == 0
    for entry in events:
        last_by_then = max(e.position for e in events if e.occurred_at <= entry.occurred_at)
        assert northmoor.log.position_at(entry.occurred_at) == last_by_then
    assert northmoor.log.position_at(events[-1].occurred_at + timedelta(days=1)) == len(events)


def test_projection_status_gives_each_model_against_the_head(northmoor: Ledger) -> None:
    before = projection_status(northmoor.projector, northmoor.read_store)
    northmoor.projector.catch_up()
    after = projection_status(northmoor.projector, northmoor.read_store)

    assert before.tracking is None
    assert [m.behind for m in before.models] == [NORTHMOOR_EVENTS] * len(MODELS)
    assert [m.model for m in after.models] == list(MODELS)
    assert all(m.position == m.head == NORTHMOOR_EVENTS and m.behind == 0 for m in after.models)
    assert after.tracking is not None
    assert after.tracking.schema_version == SCHEMA_VERSION
    assert not after.needs_rebuild
    assert sum(m.documents for m in after.models) > 0
