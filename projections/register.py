"""The decision register and the action tracker of a partnership.

Pure functions over decision and action documents, with `today` passed in:
the register says which decisions are due a review, the tracker which
commitments are late. Both say which log position they reflect.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import msgspec

from domain.values import DecisionStatus
from projections.documents import ActionDoc, DecisionDoc
from projections.measures import position_of


class RegisterEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One decision. `next_review_on` is its review date as of today (see
    `next_review_on`); `review_due` when it falls within the window or is past,
    for a decision not superseded."""

    decision_id: UUID
    reference: str
    title: str
    category: str
    status: str
    outcome: str | None
    coproduced: bool
    proposed_at: datetime
    taken_at: datetime | None
    """When the meeting that took it was held."""
    recorded_at: datetime | None
    """When the decision was recorded as taken."""
    deferrals: list[str]
    next_review_on: date | None
    review_due: bool
    review_overdue: bool
    superseded_by: UUID | None
    actions: int
    position: int


class DecisionRegister(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    review_window_days: int
    position: int
    total: int
    proposed: int
    deferred: int
    taken: int
    superseded: int
    reviews_due: int
    entries: list[RegisterEntry]


class ProgressEntry(msgspec.Struct, frozen=True, kw_only=True):
    note: str
    percent_complete: int
    at: datetime
    by: str


class ActionEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One commitment. `overdue` when not completed and due before today;
    `completed_late` when it was completed after its due date."""

    action_id: UUID
    reference: str
    title: str
    decision_id: UUID
    decision_reference: str | None
    owner: str
    due_on: date
    measure: str
    percent_complete: int
    completed: bool
    completed_at: datetime | None
    completed_late: bool
    overdue: bool
    days_overdue: int
    progress: list[ProgressEntry]
    position: int


class ActionTracker(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    position: int
    total: int
    completed: int
    open: int
    overdue: int
    entries: list[ActionEntry]


def decision_register(
    decisions: list[DecisionDoc], *, today: date, review_window_days: int = 30
) -> DecisionRegister:
    """Every decision, in the order proposed, with its review status as of `today`."""
    horizon = today + timedelta(days=review_window_days)
    entries = [
        _entry(d, today, horizon)
        for d in sorted(decisions, key=lambda d: (d.proposed_at, d.reference))
    ]
    return DecisionRegister(
        as_of=today,
        review_window_days=review_window_days,
        position=position_of(decisions),
        total=len(entries),
        proposed=sum(e.status == DecisionStatus.PROPOSED for e in entries),
        deferred=sum(e.status == DecisionStatus.DEFERRED for e in entries),
        taken=sum(e.status == DecisionStatus.TAKEN for e in entries),
        superseded=sum(e.status == DecisionStatus.SUPERSEDED for e in entries),
        reviews_due=sum(e.review_due for e in entries),
        entries=entries,
    )


def next_review_on(decision: DecisionDoc, today: date) -> date | None:
    """The review date of a decision as of `today`, wherever one is shown: the earliest
    review scheduled on or after today, or else the latest one already past (nothing
    records a review as held, so a past review date stays due)."""
    dates = sorted(r.review_on for r in decision.reviews)
    upcoming = [r for r in dates if r >= today]
    if upcoming:
        return upcoming[0]
    return dates[-1] if dates else None


def _entry(decision: DecisionDoc, today: date, horizon: date) -> RegisterEntry:
    review_on = next_review_on(decision, today)
    live = decision.status != DecisionStatus.SUPERSEDED
    taken = decision.taken
    return RegisterEntry(
        decision_id=decision.id,
        reference=decision.reference,
        title=decision.title,
        category=decision.category,
        status=decision.status,
        outcome=taken.outcome if taken is not None else None,
        coproduced=taken.coproduced if taken is not None else False,
        proposed_at=decision.proposed_at,
        taken_at=taken.taken_at if taken is not None else None,
        recorded_at=taken.recorded_at if taken is not None else None,
        deferrals=[d.reason for d in decision.deferrals],
        next_review_on=review_on,
        review_due=live and review_on is not None and review_on <= horizon,
        review_overdue=live and review_on is not None and review_on < today,
        superseded_by=decision.supersession.superseded_by if decision.supersession else None,
        actions=len(decision.action_ids),
        position=decision.position,
    )


def action_tracker(
    actions: list[ActionDoc], decisions: list[DecisionDoc], *, today: date
) -> ActionTracker:
    """Every action, soonest due first, with its progress and whether it is late."""
    references = {d.id: d for d in decisions}
    entries = [
        action_entry(a, references.get(a.decision_id), today)
        for a in sorted(actions, key=lambda a: (a.due_on, a.reference))
    ]
    return ActionTracker(
        as_of=today,
        position=max(
            position_of(actions), position_of(references.get(a.decision_id) for a in actions)
        ),
        total=len(entries),
        completed=sum(e.completed for e in entries),
        open=sum(not e.completed for e in entries),
        overdue=sum(e.overdue for e in entries),
        entries=entries,
    )


def action_entry(action: ActionDoc, decision: DecisionDoc | None, today: date) -> ActionEntry:
    completed = action.completed_at is not None
    overdue = not completed and action.due_on < today
    return ActionEntry(
        action_id=action.id,
        reference=action.reference,
        title=action.title,
        decision_id=action.decision_id,
        decision_reference=decision.reference if decision is not None else None,
        owner=action.owner,
        due_on=action.due_on,
        measure=action.measure,
        percent_complete=action.percent_complete,
        completed=completed,
        completed_at=action.completed_at,
        completed_late=(
            action.completed_at is not None and action.completed_at.date() > action.due_on
        ),
        overdue=overdue,
        days_overdue=(today - action.due_on).days if overdue else 0,
        progress=[
            ProgressEntry(note=p.note, percent_complete=p.percent_complete, at=p.at, by=p.by)
            for p in action.progress
        ],
        position=action.position,
    )
