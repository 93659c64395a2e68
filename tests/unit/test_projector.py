"""The projector: unknown events, outdated views, interrupted rebuilds, two projectors
sharing one store, and time travel, all over the in-memory ledger and read-model store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.errors import NotFound
from projections.dispatch import SCHEMA_VERSION
from projections.documents import AnyDoc, DecisionDoc, PartnershipDoc
from projections.provenance import DecisionProvenance
from projections.store import MemoryReadModelStore, ReadModelsMovedOn, encode_doc
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import northmoor_steps, write_northmoor
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector, ReadModelsOutdated, RebuildInterrupted, rebuild
from services.projection.read_model_queries import ReadModelQueries
from tests.support.replay import ReplayQueries
from tests.unit.builders import a_board, a_clock, a_proposed_decision, an_app

FUTURE_TOPIC = "MotionWithdrawnInAFutureRelease"
A = TypeVar("A")


@pytest.fixture
def app() -> Iterator[LedgerApplication]:
    app = an_app(a_clock())
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def northmoor() -> Iterator[Ledger]:
    """The Northmoor scenario in an in-memory ledger with in-memory views."""
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url="memory://"), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        yield ledger
    finally:
        ledger.close()


def head_of(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def read_store_until(app: LedgerApplication, position: int | None = None) -> MemoryReadModelStore:
    """Views built from scratch by one projector, up to `position` (default: the head)."""
    store = MemoryReadModelStore()
    Projector(app, store).catch_up(until=position)
    return store


def snapshot(store: MemoryReadModelStore) -> dict[UUID, bytes]:
    return {doc_id: encode_doc(doc) for doc_id, doc in store.docs.items()}


def insert_future_event(app: LedgerApplication) -> int:
    """A stored event of a type a newer release defines and this one cannot read."""
    app.recorder.insert_events(
        [StoredEvent(originator_id=uuid4(), originator_version=1, topic=FUTURE_TOPIC, state=b"{}")]
    )
    return head_of(app)


# Events no view knows


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_an_event_whose_type_no_view_knows_is_skipped_counted_and_later_events_still_apply(
    app: LedgerApplication, batch_size: int
) -> None:
    partnership_id = a_board(app)
    unknown_at = insert_future_event(app)
    decision_id = a_proposed_decision(app, partnership_id)
    head = head_of(app)
    store = MemoryReadModelStore()

    result = Projector(app, store, batch_size=batch_size).catch_up()

    assert 1 < unknown_at < head
    assert (result.applied, result.skipped, result.position) == (head - 1, 1, head)
    assert result.skipped_types == {FUTURE_TOPIC: 1}
    status = store.status()
    assert status is not None
    assert (status.position, status.skipped, status.skipped_types) == (head, 1, {FUTURE_TOPIC: 1})
    decision = store.load([("decision", decision_id)])[("decision", decision_id)]
    assert isinstance(decision, DecisionDoc)
    assert decision.reference == "D-30-01"
    assert decision.position == head
    partnership = store.load([("partnership", partnership_id)])[("partnership", partnership_id)]
    assert isinstance(partnership, PartnershipDoc)
    assert len(partnership.members) == 6


def test_a_skipped_event_is_counted_once_however_the_catch_up_is_split(
    app: LedgerApplication,
) -> None:
    partnership_id = a_board(app)
    unknown_at = insert_future_event(app)
    a_proposed_decision(app, partnership_id)
    store = MemoryReadModelStore()
    projector = Projector(app, store, batch_size=3)

    first = projector.catch_up(until=unknown_at)
    second = projector.catch_up()
    third = projector.catch_up()

    assert (first.skipped, second.skipped, third.skipped) == (1, 0, 0)
    status = store.status()
    assert status is not None
    assert (status.skipped, status.skipped_types) == (1, {FUTURE_TOPIC: 1})
    rebuilt = MemoryReadModelStore()
    assert rebuild(app, rebuilt).skipped_types == {FUTURE_TOPIC: 1}
    rebuilt_status = rebuilt.status()
    assert rebuilt_status is not None
    assert (rebuilt_status.skipped, rebuilt_status.skipped_types) == (1, {FUTURE_TOPIC: 1})
    assert snapshot(store) == snapshot(rebuilt)


# Outdated views


def test_views_built_by_an_older_schema_version_make_the_projector_ask_for_a_rebuild(
    app: LedgerApplication,
) -> None:
    a_board(app)
    store = read_store_until(app)
    status = store.status()
    assert status is not None
    store._status = msgspec.structs.replace(status, schema_version=SCHEMA_VERSION - 1)
    projector = Projector(app, store)

    with pytest.raises(ReadModelsOutdated, match="inclusion-ledger projections rebuild") as raised:
        projector.catch_up()
    assert f"schema version {SCHEMA_VERSION - 1}" in str(raised.value)
    with pytest.raises(ReadModelsOutdated):
        projector.position()

    rebuild(app, store)
    rebuilt_status = store.status()
    assert rebuilt_status is not None
    assert rebuilt_status.schema_version == SCHEMA_VERSION
    assert projector.catch_up().position == head_of(app)


# Interrupted rebuilds


class RecordingReadStore(MemoryReadModelStore):
    """Memory views that keep each fresh store a rebuild asks for, to inspect after."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[MemoryReadModelStore] = []

    def fresh(self) -> MemoryReadModelStore:
        fresh = MemoryReadModelStore()
        self.made.append(fresh)
        return fresh


def stop_after(checks: int) -> Callable[[], bool]:
    asked = 0

    def should_stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > checks

    return should_stop


def test_a_rebuild_stopped_part_way_raises_and_leaves_the_previous_views_serving(
    northmoor: Ledger,
) -> None:
    app = northmoor.app
    live = RecordingReadStore()
    Projector(app, live).catch_up(until=40)
    before, status_before = snapshot(live), live.status()

    with pytest.raises(RebuildInterrupted, match="previous read models are still in use"):
        rebuild(app, live, batch_size=5, should_stop=stop_after(3))

    assert snapshot(live) == before
    assert live.status() == status_before
    assert len(live.made) == 1
    assert live.made[0].docs == {}
    assert live.made[0].status() is None

    result = rebuild(app, live, batch_size=5)
    assert result.position == head_of(app)
    assert snapshot(live) == snapshot(read_store_until(app))


def test_a_rebuild_that_fails_part_way_leaves_the_previous_views_serving(
    northmoor: Ledger,
) -> None:
    app = northmoor.app
    live = RecordingReadStore()
    Projector(app, live).catch_up()
    before = snapshot(live)

    def failing(done: int, total: int) -> None:
        if done >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(app, live, batch_size=10, progress=failing)

    assert snapshot(live) == before
    assert live.made[0].docs == {}


# Two projectors on one store


def test_two_projectors_taking_turns_on_one_store_build_the_same_views_as_one(
    northmoor: Ledger,
) -> None:
    app = northmoor.app
    shared = MemoryReadModelStore()
    first = Projector(app, shared, batch_size=7)
    second = Projector(app, shared, batch_size=4)

    first.catch_up(until=20)
    second.catch_up(until=40)
    first.catch_up()

    assert snapshot(shared) == snapshot(read_store_until(app))


class RacingReadStore(MemoryReadModelStore):
    """Memory views where, once, another projector commits just before this one does."""

    def __init__(self) -> None:
        super().__init__()
        self.before_commit: Callable[[], object] | None = None
        self.moved_on = 0

    def commit(
        self,
        docs: Sequence[AnyDoc],
        *,
        expected_position: int,
        position: int,
        skipped: Mapping[str, int],
        at: datetime,
    ) -> None:
        hook, self.before_commit = self.before_commit, None
        if hook is not None:
            hook()
        try:
            super().commit(
                docs,
                expected_position=expected_position,
                position=position,
                skipped=skipped,
                at=at,
            )
        except ReadModelsMovedOn:
            self.moved_on += 1
            raise


@pytest.mark.parametrize("other_reaches", [12, 25, 54])
def test_a_batch_another_projector_committed_first_is_not_applied_twice(
    northmoor: Ledger, other_reaches: int
) -> None:
    app = northmoor.app
    shared = RacingReadStore()
    mine = Projector(app, shared, batch_size=10)
    Projector(app, shared, batch_size=10).catch_up(until=5)
    shared.before_commit = lambda: Projector(app, shared, batch_size=3).catch_up(
        until=other_reaches
    )

    result = mine.catch_up()

    assert shared.moved_on == 1
    assert result.position == head_of(app)
    assert snapshot(shared) == snapshot(read_store_until(app))
    decision = shared.load([("decision", IDS.decision)])[("decision", IDS.decision)]
    assert isinstance(decision, DecisionDoc)
    assert len(decision.votes) == 8
    assert len(decision.links) == 2


# Time travel


def read_models_at(ledger: Ledger, position: int) -> ReadModelQueries:
    """Queries over views built from scratch up to `position`, read live."""
    return ReadModelQueries(ledger.app, read_store_until(ledger.app, position), ledger.log)


def answer(ask: Callable[[], A]) -> A | str:
    """The answer, or "not found" when the thing did not exist (yet)."""
    try:
        return ask()
    except NotFound:
        return "not found"


def test_time_travel_to_every_position_equals_views_built_up_to_that_position(
    northmoor: Ledger,
) -> None:
    read_models = northmoor.read_models
    head = head_of(northmoor.app)
    found = 0

    for n in range(1, head + 1):
        reference = read_models_at(northmoor, n)
        plan = answer(partial(read_models.plan, IDS.plan, at_position=n))
        assert plan == answer(partial(reference.plan, IDS.plan)), f"plan at position {n}"
        decision = answer(partial(read_models.decision, IDS.decision, at_position=n))
        expected = answer(partial(reference.decision, IDS.decision))
        assert decision == expected, f"decision at position {n}"
        found += isinstance(decision, DecisionProvenance)

    assert found > 20
    assert read_models.plan(IDS.plan, at_position=head) == read_models.plan(IDS.plan)
    assert read_models.decision(IDS.decision, at_position=head) == read_models.decision(
        IDS.decision
    )


def test_time_travel_does_not_touch_the_live_views(northmoor: Ledger) -> None:
    read_models = northmoor.read_models
    read_models.plan(IDS.plan)
    read_store = northmoor.read_store
    assert isinstance(read_store, MemoryReadModelStore)
    before = snapshot(read_store)

    read_models.plan(IDS.plan, at_position=20)
    read_models.decision(IDS.decision, at_position=40)
    read_models.decision(IDS.decision, as_of=datetime(2026, 1, 10, tzinfo=UTC))

    assert snapshot(read_store) == before


def test_the_plan_as_of_before_the_qa_feedback_is_submitted_with_the_earlier_section_text(
    northmoor: Ledger,
) -> None:
    before_feedback = northmoor.read_models.plan(IDS.plan, as_of=datetime(2026, 2, 20, tzinfo=UTC))
    now = northmoor.read_models.plan(IDS.plan)

    assert before_feedback.stage == "submitted_for_qa"
    assert now.stage == "published"
    earlier = {s.key: s for s in before_feedback.sections}["health_commissioning"]
    latest = {s.key: s for s in now.sections}["health_commissioning"]
    assert (earlier.revision, latest.revision) == (2, 3)
    assert "Success:" not in earlier.text
    assert "Success:" in latest.text
    assert [r.revision for r in earlier.revisions] == [1, 2]
    assert before_feedback.as_of == datetime(2026, 2, 20, tzinfo=UTC)


def test_time_travel_by_date_agrees_with_the_replayed_log_at_every_step_of_northmoor(
    northmoor: Ledger,
) -> None:
    times = sorted({when for when, _ in northmoor_steps()})

    for when in times:
        plan = answer(partial(northmoor.read_models.plan, IDS.plan, as_of=when))
        assert plan == answer(partial(ReplayQueries(northmoor.app).plan, IDS.plan, as_of=when)), (
            when
        )
        decision = answer(partial(northmoor.read_models.decision, IDS.decision, as_of=when))
        assert decision == answer(
            partial(ReplayQueries(northmoor.app).decision, IDS.decision, as_of=when)
        ), when


def test_time_travel_to_a_position_before_a_decision_existed_says_so(northmoor: Ledger) -> None:
    with pytest.raises(NotFound, match="did not exist yet at position 3"):
        northmoor.read_models.decision(IDS.decision, at_position=3)
    with pytest.raises(NotFound, match="did not exist yet at position 3"):
        northmoor.read_models.plan(IDS.plan, at_position=3)
