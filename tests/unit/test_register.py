"""The decision register and the action tracker: on the Northmoor scenario's
documents, and on small ledgers built to exercise one edge at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import pytest

from projections.documents import ActionDoc, DecisionDoc, Doc
from projections.register import action_tracker, decision_register
from projections.store import MemoryReadModelStore
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector
from tests.unit.builders import (
    CHAIR_ACTOR,
    NOW,
    SECRETARIAT,
    a_clock,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    an_app,
)

D = TypeVar("D", bound=Doc)


class Views:
    def __init__(self, app: LedgerApplication, partnership_id: UUID) -> None:
        self.store = MemoryReadModelStore()
        Projector(app, self.store).catch_up()
        self.partnership_id = partnership_id

    def all(self, kind: type[D], model: str) -> list[D]:
        return [d for d in self.store.scan(model, self.partnership_id) if isinstance(d, kind)]

    @property
    def decisions(self) -> list[DecisionDoc]:
        return self.all(DecisionDoc, "decision")

    @property
    def actions(self) -> list[ActionDoc]:
        return self.all(ActionDoc, "action")


@pytest.fixture(scope="module")
def northmoor() -> Views:
    clock = ScenarioClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = an_app(clock)
    write_northmoor(app, clock)
    return Views(app, IDS.partnership)


@pytest.fixture
def clock() -> ScenarioClock:
    return a_clock()


@pytest.fixture
def app(clock: ScenarioClock) -> LedgerApplication:
    return an_app(clock)


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def schedule_review(decision_id: UUID, review_on: date) -> commands.ScheduleReview:
    return commands.ScheduleReview(
        actor=CHAIR_ACTOR, decision_id=decision_id, review_on=review_on, reason="Annual review."
    )


def commit_action(
    decision_id: UUID, reference: str, due_on: date, *, owner: str = "Eastvale ICB"
) -> commands.CommitAction:
    return commands.CommitAction(
        actor=CHAIR_ACTOR,
        decision_id=decision_id,
        reference=reference,
        title=f"Action {reference}",
        owner=owner,
        due_on=due_on,
        measure="Done and evidenced.",
    )


# The decision register


def test_the_northmoor_register_lists_d_24_07_as_taken_approved_and_coproduced(
    northmoor: Views,
) -> None:
    register = decision_register(northmoor.decisions, today=date(2026, 6, 1))

    (entry,) = register.entries
    assert entry.reference == "D-24-07"
    assert entry.title == "Early-language SaLT assistants"
    assert entry.category == "health_commissioning"
    assert entry.status == "taken"
    assert entry.outcome == "approved"
    assert entry.coproduced is True
    assert entry.taken_at == datetime(2026, 1, 14, 14, tzinfo=UTC)  # the meeting's time
    assert entry.recorded_at == datetime(2026, 1, 14, 16, tzinfo=UTC)
    assert entry.next_review_on == date(2027, 5, 1)
    assert entry.review_due is False
    assert entry.actions == 1
    assert (register.total, register.taken, register.reviews_due) == (1, 1, 0)
    assert register.position == entry.position == northmoor.decisions[0].position


def test_a_review_falls_due_when_it_comes_within_the_window(northmoor: Views) -> None:
    a_day_outside = decision_register(northmoor.decisions, today=date(2027, 3, 31))
    on_the_edge = decision_register(northmoor.decisions, today=date(2027, 4, 1))
    just_inside = decision_register(northmoor.decisions, today=date(2027, 4, 15))
    wider_window = decision_register(
        northmoor.decisions, today=date(2027, 2, 1), review_window_days=90
    )

    assert a_day_outside.entries[0].review_due is False
    assert on_the_edge.entries[0].review_due is True
    assert just_inside.entries[0].review_due is True
    assert just_inside.entries[0].review_overdue is False
    assert just_inside.reviews_due == 1
    assert wider_window.entries[0].review_due is True


def test_a_review_date_that_has_passed_stays_due_and_overdue(northmoor: Views) -> None:
    register = decision_register(northmoor.decisions, today=date(2027, 6, 1))

    assert register.entries[0].next_review_on == date(2027, 5, 1)
    assert register.entries[0].review_due is True
    assert register.entries[0].review_overdue is True


def test_the_next_review_is_the_earliest_still_to_come(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    app.handle(schedule_review(decision_id, date(2031, 6, 1)))
    app.handle(schedule_review(decision_id, date(2032, 6, 1)))
    decisions = Views(app, partnership_id).decisions

    before_first = decision_register(decisions, today=date(2031, 1, 1))
    after_first = decision_register(decisions, today=date(2031, 7, 1))

    assert before_first.entries[0].next_review_on == date(2031, 6, 1)
    assert after_first.entries[0].next_review_on == date(2032, 6, 1)
    assert after_first.entries[0].review_due is False


def test_a_superseded_decision_is_never_due_a_review(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    old = a_taken_decision(app, partnership_id, reference="D-30-01")
    app.handle(schedule_review(old, NOW.date() + timedelta(days=10)))
    new = a_taken_decision(app, partnership_id, reference="D-30-02")
    app.handle(
        commands.SupersedeDecision(
            actor=CHAIR_ACTOR, decision_id=old, superseded_by=new, rationale="Replaced."
        )
    )

    register = decision_register(Views(app, partnership_id).decisions, today=NOW.date())
    by_reference = {e.reference: e for e in register.entries}

    assert by_reference["D-30-01"].status == "superseded"
    assert by_reference["D-30-01"].superseded_by == new
    assert by_reference["D-30-01"].outcome == "approved"
    assert by_reference["D-30-01"].review_due is False
    assert (register.superseded, register.taken, register.reviews_due) == (1, 1, 0)


def test_a_deferred_decision_is_listed_with_its_reason_and_no_outcome(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(
        commands.DeferDecision(
            actor=SECRETARIAT, decision_id=decision_id, reason="Await the costed options."
        )
    )

    register = decision_register(Views(app, partnership_id).decisions, today=NOW.date())

    (entry,) = register.entries
    assert entry.status == "deferred"
    assert entry.deferrals == ["Await the costed options."]
    assert entry.outcome is None
    assert entry.taken_at is None
    assert entry.coproduced is False
    assert entry.next_review_on is None
    assert entry.review_due is False
    assert (register.deferred, register.proposed, register.taken) == (1, 0, 0)


def test_the_register_lists_decisions_in_the_order_they_were_proposed(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    a_proposed_decision(app, partnership_id, reference="D-30-02")
    clock.set(NOW - timedelta(days=3))
    a_proposed_decision(app, partnership_id, reference="D-30-01")
    clock.set(NOW + timedelta(days=3))
    a_proposed_decision(app, partnership_id, reference="D-30-03")

    register = decision_register(Views(app, partnership_id).decisions, today=NOW.date())

    assert [e.reference for e in register.entries] == ["D-30-01", "D-30-02", "D-30-03"]
    assert register.proposed == 3


def test_an_empty_register_has_no_entries_and_reflects_no_position() -> None:
    register = decision_register([], today=NOW.date())

    assert register.entries == []
    assert (register.total, register.reviews_due, register.position) == (0, 0, 0)


# The action tracker


def test_northmoor_action_a_31_is_overdue_after_its_march_due_date(northmoor: Views) -> None:
    tracker = action_tracker(northmoor.actions, northmoor.decisions, today=date(2026, 6, 1))

    (entry,) = tracker.entries
    assert entry.reference == "A-31"
    assert entry.decision_reference == "D-24-07"
    assert entry.owner == "Northmoor and Dale ICB"
    assert entry.due_on == date(2026, 3, 31)
    assert entry.percent_complete == 50
    assert entry.completed is False
    assert entry.overdue is True
    assert entry.days_overdue == 62
    assert [p.note for p in entry.progress] == ["3 of 6 SaLT assistants recruited."]
    assert (tracker.total, tracker.open, tracker.completed, tracker.overdue) == (1, 1, 0, 1)


def test_an_action_is_not_overdue_on_its_due_date(northmoor: Views) -> None:
    tracker = action_tracker(northmoor.actions, northmoor.decisions, today=date(2026, 3, 31))

    assert tracker.entries[0].overdue is False
    assert tracker.entries[0].days_overdue == 0
    assert tracker.overdue == 0


def test_a_completed_action_is_never_overdue_and_says_whether_it_was_late(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    on_time = app.handle(commit_action(decision_id, "A-1", NOW.date() + timedelta(days=5)))
    late = app.handle(commit_action(decision_id, "A-2", NOW.date() + timedelta(days=1)))
    clock.set(NOW + timedelta(days=3))
    app.handle(commands.CompleteAction(actor=SECRETARIAT, action_id=on_time, note="Done."))
    app.handle(commands.CompleteAction(actor=SECRETARIAT, action_id=late, note="Done late."))
    read_store = Views(app, partnership_id)

    tracker = action_tracker(
        read_store.actions, read_store.decisions, today=NOW.date() + timedelta(days=30)
    )
    by_reference = {e.reference: e for e in tracker.entries}

    assert by_reference["A-1"].completed is True
    assert by_reference["A-1"].percent_complete == 100
    assert by_reference["A-1"].completed_late is False
    assert by_reference["A-2"].completed_late is True
    assert not any(e.overdue for e in tracker.entries)
    assert (tracker.completed, tracker.open, tracker.overdue) == (2, 0, 0)


def test_actions_are_tracked_soonest_due_first(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    app.handle(commit_action(decision_id, "A-late", NOW.date() + timedelta(days=90)))
    app.handle(commit_action(decision_id, "A-soon", NOW.date() + timedelta(days=9)))
    read_store = Views(app, partnership_id)

    tracker = action_tracker(read_store.actions, read_store.decisions, today=NOW.date())

    assert [e.reference for e in tracker.entries] == ["A-soon", "A-late"]
    assert tracker.position == max(
        max(a.position for a in read_store.actions), max(d.position for d in read_store.decisions)
    )


def test_an_action_whose_decision_is_not_given_has_no_decision_reference(
    northmoor: Views,
) -> None:
    tracker = action_tracker(northmoor.actions, [], today=date(2026, 1, 20))

    assert tracker.entries[0].decision_reference is None
    assert tracker.entries[0].decision_id == IDS.decision
    assert tracker.entries[0].overdue is False


def test_an_empty_tracker_counts_nothing() -> None:
    tracker = action_tracker([], [], today=NOW.date())

    assert (tracker.total, tracker.open, tracker.overdue, tracker.position) == (0, 0, 0, 0)
