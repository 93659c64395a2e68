"""What an executed command says it did: the aggregate it created or changed, the
ids the ledger assigned because the command left them out, and the events stored
with their positions, exactly as the log shows them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID, uuid4

import msgspec
import pytest

from domain.errors import NotFound
from domain.values import Stance
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.command_json import command_schema
from services.ledger.commands import ASSIGNED_WHEN_OMITTED
from services.ledger.log_queries import LogQueries
from services.ledger.outcome import CommandOutcome, RecordedEvent
from tests.unit.builders import (
    CHAIR,
    CHAIR_ACTOR,
    FORUM,
    NOW,
    SECRETARIAT,
    a_contribution,
    a_partnership,
    a_plan,
    a_proposal,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    a_vote,
    an_app,
    link,
)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def logged_after(app: LedgerApplication, position: int) -> list[RecordedEvent]:
    """The log's events after `position`, as an outcome reports events."""
    return [
        RecordedEvent(
            type=e.type, aggregate_id=e.aggregate_id, version=e.version, position=e.position
        )
        for e in LogQueries(app).events(after=position, limit=1000)
    ]


def head(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_execute_reports_the_events_stored_with_their_positions_as_the_log_has_them(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    before = head(app)

    outcome = app.execute(a_vote(decision_id, CHAIR, Stance.FOR))

    assert outcome.command == "RecordVote"
    assert outcome.aggregate_id == decision_id
    assert outcome.assigned_ids == {}
    assert [(e.type, e.aggregate_id) for e in outcome.events] == [("VoteRecorded", decision_id)]
    assert list(outcome.events) == logged_after(app, before)
    assert outcome.events[0].position == before + 1


def test_positions_increase_from_one_command_to_the_next(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    before = head(app)

    outcomes = [
        app.execute(a_vote(decision_id, CHAIR, Stance.FOR)),
        app.execute(a_vote(decision_id, FORUM, Stance.FOR)),
        app.execute(link(decision_id, app.handle(a_contribution(partnership_id)))),
    ]

    positions = [e.position for o in outcomes for e in o.events]
    assert positions == sorted(set(positions))
    assert [e.version for o in outcomes[:2] for e in o.events] == [2, 3]
    assert outcomes[2].events[0].position == head(app)
    stored = [e for o in outcomes for e in o.events]
    assert stored == [e for e in logged_after(app, before) if e.aggregate_id == decision_id]


def test_a_command_that_changes_two_aggregates_reports_the_events_of_both(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = app.handle(a_plan(partnership_id))
    before = head(app)

    outcome = app.execute(a_contribution(partnership_id, plan_id=plan_id))

    contribution_id = outcome.aggregate_id
    assert {e.aggregate_id for e in outcome.events} == {contribution_id, plan_id}
    assert list(outcome.events) == logged_after(app, before)


def test_an_id_the_command_gives_is_not_reported_as_assigned(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    given = uuid4()

    outcome = app.execute(msgspec.structs.replace(a_proposal(partnership_id), decision_id=given))

    assert outcome.aggregate_id == given
    assert outcome.assigned_ids == {}
    assert [e.type for e in outcome.events] == ["DecisionProposed"]


CreatingCommand = Callable[[LedgerApplication, UUID], commands.AnyCommand]


def an_action(app: LedgerApplication, partnership_id: UUID) -> commands.CommitAction:
    return commands.CommitAction(
        actor=CHAIR_ACTOR,
        decision_id=a_taken_decision(app, partnership_id, reference="D-30-09"),
        reference="A-1",
        title="Recruit 4 FTE SaLT assistants",
        owner="Eastvale ICB",
        due_on=date(2030, 9, 30),
    )


def a_meeting_to_come(app: LedgerApplication, partnership_id: UUID) -> commands.ScheduleMeeting:
    return commands.ScheduleMeeting(
        actor=SECRETARIAT,
        partnership_id=partnership_id,
        title="Partnership board",
        held_at=NOW + timedelta(days=7),
    )


CREATING: list[tuple[str, CreatingCommand]] = [
    ("partnership_id", lambda app, p: a_partnership(name="Westvale SEND and AP Partnership")),
    ("plan_id", lambda app, p: a_plan(p)),
    ("contribution_id", lambda app, p: a_contribution(p)),
    ("decision_id", lambda app, p: a_proposal(p)),
    ("meeting_id", a_meeting_to_come),
    ("action_id", an_action),
]


@pytest.mark.parametrize(("field", "command_for"), CREATING, ids=[f for f, _ in CREATING])
def test_an_id_the_command_leaves_out_is_reported_as_assigned_by_the_ledger(
    app: LedgerApplication, partnership_id: UUID, field: str, command_for: CreatingCommand
) -> None:
    command = command_for(app, partnership_id)
    assert getattr(command, field) is None

    outcome = app.execute(command)

    assert outcome.assigned_ids == {field: outcome.aggregate_id}
    described = command_schema()["$defs"][outcome.command]["properties"][field]["description"]
    assert ASSIGNED_WHEN_OMITTED in described
    assert outcome.events[0].aggregate_id == outcome.aggregate_id
    assert outcome.events[0].version == 1


def test_execute_all_gives_one_outcome_per_command_from_one_transaction(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    given = uuid4()
    before = head(app)

    outcomes = app.execute_all(
        [
            a_proposal(partnership_id, reference="D-30-02"),
            msgspec.structs.replace(
                a_proposal(partnership_id, reference="D-30-03"), decision_id=given
            ),
            a_vote(given, CHAIR, Stance.FOR),
        ]
    )

    first, second, vote = outcomes
    assert [o.command for o in outcomes] == ["ProposeDecision", "ProposeDecision", "RecordVote"]
    assert first.assigned_ids == {"decision_id": first.aggregate_id}
    assert (second.aggregate_id, second.assigned_ids) == (given, {})
    assert (vote.aggregate_id, [e.type for e in vote.events]) == (given, ["VoteRecorded"])
    assert [e for o in outcomes for e in o.events] == logged_after(app, before)


def test_handle_all_returns_the_ids_execute_all_reports(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    ids = app.handle_all([a_proposal(partnership_id, reference="D-30-02")])

    assert ids == [LogQueries(app).events(after=head(app) - 1)[0].aggregate_id]


def test_a_refused_command_gives_no_outcome_and_stores_nothing(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    before = head(app)

    with pytest.raises(NotFound):
        app.execute(a_vote(uuid4(), CHAIR, Stance.FOR))
    with pytest.raises(NotFound, match="Command 2 of 2"):
        app.execute_all([a_proposal(partnership_id), a_vote(uuid4(), CHAIR, Stance.FOR)])

    assert head(app) == before
    after = app.execute(a_proposal(partnership_id))
    assert isinstance(after, CommandOutcome)
    assert after.events[0].position == before + 1


def test_the_outcome_is_json_with_the_ids_as_text(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    outcome = app.execute(a_proposal(partnership_id))

    document = msgspec.json.decode(msgspec.json.encode(outcome))

    decision_id = str(outcome.aggregate_id)
    assert document == {
        "command": "ProposeDecision",
        "aggregate_id": decision_id,
        "assigned_ids": {"decision_id": decision_id},
        "events": [
            {
                "type": "DecisionProposed",
                "aggregate_id": decision_id,
                "version": 1,
                "position": outcome.events[0].position,
            }
        ],
    }
