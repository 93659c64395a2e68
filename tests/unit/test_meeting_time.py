"""Time as the partnership lived it: a decision is taken at its meeting's time, a
meeting still to come has no attendance, minutes or decisions, and a time without a
UTC offset is refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

import msgspec
import pytest

from domain.decision import Decision
from domain.errors import InvalidValue, MeetingNotYetHeld
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.values import DecisionOutcome, Stance
from projections.documents import DecisionDoc
from projections.register import decision_register
from projections.store import MemoryReadModelStore
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.log_queries import LogQueries
from services.projection.projector import Projector
from services.projection.read_model_queries import ReadModelQueries
from tests.unit.builders import (
    NOW,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_clock,
    a_proposed_decision,
    a_ready_partnership,
    an_app,
    assert_refused,
    cast_votes,
    decision_taken,
    take,
)

MINUTES_OF_14_APRIL = datetime(2030, 4, 14, 18, 30, tzinfo=timezone(timedelta(hours=1)))


def schedule(partnership_id: UUID, held_at: datetime) -> commands.ScheduleMeeting:
    return commands.ScheduleMeeting(
        actor=SECRETARIAT, partnership_id=partnership_id, title="Partnership board", held_at=held_at
    )


def attend(meeting_id: UUID) -> commands.RecordAttendance:
    return commands.RecordAttendance(
        actor=SECRETARIAT, meeting_id=meeting_id, present=VOTING_MEMBERS
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


def test_a_decision_entered_from_the_minutes_is_taken_at_the_meetings_time(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, MINUTES_OF_14_APRIL))
    app.handle(attend(meeting_id))
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.taken_at == MINUTES_OF_14_APRIL
    assert taken.timestamp == NOW


def test_every_reading_of_a_decision_shows_when_it_was_taken_and_when_it_was_recorded(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, MINUTES_OF_14_APRIL))
    app.handle(attend(meeting_id))
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    app.handle(take(decision_id, meeting_id))
    store = MemoryReadModelStore()
    Projector(app, store).catch_up()
    read_models = ReadModelQueries(app, store, LogQueries(app), today=lambda: NOW.date())

    taken = read_models.decision(decision_id).taken
    (entry,) = read_models.decisions(partnership_id)
    docs = [d for d in store.scan("decision") if isinstance(d, DecisionDoc)]
    (registered,) = decision_register(docs, today=NOW.date()).entries

    assert taken is not None
    assert (taken.taken_at, taken.recorded.at) == (MINUTES_OF_14_APRIL, NOW)
    assert taken.meeting.held_at == MINUTES_OF_14_APRIL
    assert (entry.taken_at, entry.recorded_at) == (MINUTES_OF_14_APRIL, NOW)
    assert (registered.taken_at, registered.recorded_at) == (MINUTES_OF_14_APRIL, NOW)


def test_attendance_is_refused_for_a_meeting_still_to_be_held(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, NOW + timedelta(days=365 * 3)))

    assert_refused(
        app, attend(meeting_id), MeetingNotYetHeld, "to be held on 2033", unchanged=meeting_id
    )


def test_minutes_are_refused_for_a_meeting_still_to_be_held(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, NOW + timedelta(minutes=1)))

    assert_refused(
        app,
        commands.ApproveMinutes(actor=SECRETARIAT, meeting_id=meeting_id, summary="Agreed."),
        MeetingNotYetHeld,
        "Cannot approve the minutes of Partnership board",
        unchanged=meeting_id,
    )


def test_a_decision_is_refused_at_a_meeting_whose_time_is_after_now(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, NOW))
    app.handle(attend(meeting_id))
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    clock.set(NOW - timedelta(hours=1))  # a service whose clock says the meeting is to come

    assert_refused(
        app,
        take(decision_id, meeting_id),
        MeetingNotYetHeld,
        "Cannot take D-30-01 at Partnership board",
        unchanged=decision_id,
    )


def test_the_decision_itself_refuses_a_meeting_time_after_now(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    meeting_id = app.handle(schedule(partnership_id, NOW))
    app.handle(attend(meeting_id))
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting = app.load(Meeting, meeting_id)
    decision = app.load(Decision, decision_id)
    partnership = app.load(Partnership, partnership_id)

    with pytest.raises(MeetingNotYetHeld, match="still to be held"):
        decision.take(
            outcome=DecisionOutcome.APPROVED,
            rationale="Agreed.",
            meeting_id=meeting_id,
            held_at=NOW,
            present=meeting.attendance(),
            roster=partnership.roster(),
            terms=partnership.terms_in_force(),
            interested=frozenset(),
            coproduced=False,
            actor=SECRETARIAT,
            at=NOW - timedelta(seconds=1),
        )


def test_a_meeting_may_be_scheduled_for_a_past_or_a_future_time(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    past = app.handle(schedule(partnership_id, NOW - timedelta(days=400)))
    future = app.handle(schedule(partnership_id, NOW + timedelta(days=30)))

    assert app.load(Meeting, past).held_at == NOW - timedelta(days=400)
    assert app.load(Meeting, future).held_at == NOW + timedelta(days=30)


def test_a_meeting_time_without_a_utc_offset_is_refused(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    naive = datetime(2030, 4, 14, 18, 30)

    assert_refused(app, schedule(partnership_id, naive), InvalidValue, "needs a UTC offset")


def test_a_command_giving_a_time_without_a_utc_offset_does_not_decode(
    partnership_id: UUID,
) -> None:
    command = {
        "type": "ScheduleMeeting",
        "actor": {"id": "u-secretariat", "role": "secretariat"},
        "partnership_id": str(partnership_id),
        "title": "Partnership board",
        "held_at": "2030-04-14T18:30:00",
    }

    decoder = msgspec.json.Decoder(commands.AnyCommand)

    with pytest.raises(msgspec.ValidationError, match="timezone"):
        decoder.decode(msgspec.json.encode(command))
    aware = decoder.decode(msgspec.json.encode({**command, "held_at": "2030-04-14T18:30:00+01:00"}))
    assert isinstance(aware, commands.ScheduleMeeting)
    assert aware.held_at == MINUTES_OF_14_APRIL
