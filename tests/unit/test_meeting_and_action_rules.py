"""Meeting and action rules: minutes rest on recorded attendance and are final
once approved; an action follows a taken decision and closes when complete."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.action import Action, ActionCommitted, ProgressReported
from domain.errors import (
    ActionClosed,
    AttendanceNotRecorded,
    DecisionNotTaken,
    InvalidValue,
    MeetingRecordFinal,
    MemberNotActive,
)
from domain.meeting import Meeting
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    CHAIR,
    CHAIR_ACTOR,
    FORUM,
    HEALTH,
    NOW,
    SCHOOLS,
    SECRETARIAT,
    a_clock,
    a_meeting,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    an_app,
    as_member,
    assert_refused,
    events_of,
)


@pytest.fixture
def clock() -> ScenarioClock:
    return a_clock()


@pytest.fixture
def app(clock: ScenarioClock) -> LedgerApplication:
    return an_app(clock)


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def minutes(meeting_id: UUID) -> commands.ApproveMinutes:
    return commands.ApproveMinutes(
        actor=CHAIR_ACTOR, meeting_id=meeting_id, summary="Agreed D-30-01."
    )


def attendance(meeting_id: UUID, *present: str) -> commands.RecordAttendance:
    return commands.RecordAttendance(actor=SECRETARIAT, meeting_id=meeting_id, present=present)


def an_action(decision_id: UUID, *, due_on: date = date(2030, 9, 30)) -> commands.CommitAction:
    return commands.CommitAction(
        actor=CHAIR_ACTOR,
        decision_id=decision_id,
        reference="A-1",
        title="Recruit 4 FTE SaLT assistants",
        owner="Eastvale ICB",
        due_on=due_on,
        measure="4 FTE in post",
    )


def progress(action_id: UUID, percent: int) -> commands.ReportProgress:
    return commands.ReportProgress(
        actor=as_member(HEALTH),
        action_id=action_id,
        note=f"{percent}% of posts filled.",
        percent_complete=percent,
    )


# Meetings


def test_minutes_need_attendance_recorded(app: LedgerApplication, partnership_id: UUID) -> None:
    meeting_id = a_meeting(app, partnership_id, present=None)

    assert_refused(
        app,
        minutes(meeting_id),
        AttendanceNotRecorded,
        match="Record who attended Partnership board before the minutes",
        unchanged=meeting_id,
    )


def test_minutes_are_approved_once(app: LedgerApplication, partnership_id: UUID) -> None:
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH))
    app.handle(minutes(meeting_id))

    assert_refused(
        app,
        minutes(meeting_id),
        MeetingRecordFinal,
        match="already approved",
        unchanged=meeting_id,
    )


def test_attendance_is_final_once_the_minutes_are_approved(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH))
    app.handle(minutes(meeting_id))

    assert_refused(
        app,
        attendance(meeting_id, CHAIR, FORUM, HEALTH, SCHOOLS),
        MeetingRecordFinal,
        match="are approved and final",
        unchanged=meeting_id,
    )
    assert app.load(Meeting, meeting_id).present == (CHAIR, FORUM, HEALTH)


def test_attendance_may_be_corrected_before_the_minutes_are_approved(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM))

    app.handle(attendance(meeting_id, CHAIR, FORUM, HEALTH))

    assert app.load(Meeting, meeting_id).attendance() == (CHAIR, FORUM, HEALTH)


def test_a_member_is_not_both_present_and_giving_apologies(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = a_meeting(app, partnership_id, present=None)

    assert_refused(
        app,
        commands.RecordAttendance(
            actor=SECRETARIAT, meeting_id=meeting_id, present=(CHAIR, FORUM), apologies=(FORUM,)
        ),
        InvalidValue,
        match="both present and giving apologies",
        unchanged=meeting_id,
    )


def test_someone_who_is_not_a_member_cannot_attend(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = a_meeting(app, partnership_id, present=None)

    assert_refused(
        app,
        attendance(meeting_id, CHAIR, "m-visitor"),
        MemberNotActive,
        match="m-visitor is not an active member and cannot attend",
        unchanged=meeting_id,
    )


# Actions


def test_an_action_only_follows_a_taken_decision(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)

    assert_refused(
        app,
        an_action(decision_id),
        DecisionNotTaken,
        match="An action can only follow from a taken decision",
    )


def test_an_action_does_not_follow_a_deferred_decision(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(
        commands.DeferDecision(actor=CHAIR_ACTOR, decision_id=decision_id, reason="More data.")
    )

    assert_refused(
        app,
        an_action(decision_id),
        DecisionNotTaken,
        match="only follow from a taken decision",
    )


def test_an_action_follows_a_taken_decision(app: LedgerApplication, partnership_id: UUID) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    action_id = app.handle(an_action(decision_id))

    committed = events_of(app, action_id)[0]
    assert isinstance(committed, ActionCommitted)
    assert (committed.decision_id, committed.partnership_id) == (decision_id, partnership_id)
    assert committed.owner == "Eastvale ICB"


def test_an_action_is_not_due_before_it_is_committed(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    assert_refused(
        app,
        an_action(decision_id, due_on=NOW.date() - timedelta(days=1)),
        InvalidValue,
        match="cannot be due before it is committed",
    )


def test_a_completed_action_takes_no_more_reports(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    action_id = app.handle(an_action(a_taken_decision(app, partnership_id)))
    app.handle(progress(action_id, 50))
    app.handle(commands.CompleteAction(actor=CHAIR_ACTOR, action_id=action_id, note="All in post."))

    assert_refused(
        app,
        progress(action_id, 60),
        ActionClosed,
        match="A-1 is complete",
        unchanged=action_id,
    )
    assert app.load(Action, action_id).percent_complete == 100


def test_an_action_is_completed_once(app: LedgerApplication, partnership_id: UUID) -> None:
    action_id = app.handle(an_action(a_taken_decision(app, partnership_id)))
    complete = commands.CompleteAction(actor=CHAIR_ACTOR, action_id=action_id, note="Done.")
    app.handle(complete)

    assert_refused(
        app,
        complete,
        ActionClosed,
        match="A-1 is already complete",
        unchanged=action_id,
    )


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_is_a_percentage(
    app: LedgerApplication, partnership_id: UUID, percent: int
) -> None:
    action_id = app.handle(an_action(a_taken_decision(app, partnership_id)))

    assert_refused(
        app,
        progress(action_id, percent),
        InvalidValue,
        match="Progress is a percentage from 0 to 100",
        unchanged=action_id,
    )


def test_each_event_records_its_actor_and_the_time_the_clock_gave(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    action_id = app.handle(an_action(a_taken_decision(app, partnership_id)))
    later = NOW + timedelta(days=30)
    clock.set(later)
    app.handle(progress(action_id, 25))

    committed, reported = events_of(app, action_id)

    assert isinstance(reported, ProgressReported)
    assert (committed.actor, committed.occurred_at) == (CHAIR_ACTOR, NOW)
    assert (reported.actor, reported.occurred_at) == (as_member(HEALTH), later)
