"""Votes and absence: a block by an eligible member stands whoever attends, until
that member withdraws it with a reason; other votes of absent members are recorded
but not counted; a withdrawn vote may be cast again."""

from __future__ import annotations

from uuid import UUID

import pytest

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from domain.decision import Decision
from domain.decision_events import VoteWithdrawn
from domain.errors import (
    DecisionBlocked,
    DecisionFinal,
    MajorityNotReached,
    MemberNotActive,
    ReasonRequired,
    VoteNotRecorded,
)
from domain.values import DecisionOutcome, Stance
from domain.votes import Dissent, Tally
from projections.account import account
from projections.provenance import NotCounted
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    CHAIR,
    FE,
    FORUM,
    HEALTH,
    NOW,
    SCHOOLS,
    VOTING_MEMBERS,
    a_clock,
    a_meeting,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    a_vote,
    an_app,
    as_member,
    assert_refused,
    cast_votes,
    decision_taken,
    declare_interest,
    events_of,
    stand_down,
    take,
)

EVERYONE_BUT_SCHOOLS = (CHAIR, FORUM, HEALTH, FE)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


@pytest.fixture
def decision_id(app: LedgerApplication, partnership_id: UUID) -> UUID:
    return a_proposed_decision(app, partnership_id)


def withdraw(decision_id: UUID, member_id: str, reason: str) -> commands.WithdrawVote:
    return commands.WithdrawVote(
        actor=as_member(member_id), decision_id=decision_id, member_id=member_id, reason=reason
    )


def blocked_by_schools(app: LedgerApplication, decision_id: UUID) -> None:
    cast_votes(
        app,
        decision_id,
        {CHAIR: Stance.FOR, FORUM: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.BLOCK},
    )


# The loophole: a block sidestepped by the blocker's absence


def test_a_block_stands_when_the_blocker_sends_apologies_to_the_meeting(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    blocked_by_schools(app, decision_id)
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS, apologies=(SCHOOLS,))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        DecisionBlocked,
        match=(
            r"D-30-01 is blocked by Name of m-schools \(m-schools\): a block stands, whoever "
            r"attends, until the member withdraws it with a reason\."
        ),
        unchanged=decision_id,
    )


def test_once_the_blocker_withdraws_the_block_with_a_reason_the_decision_is_approved(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    blocked_by_schools(app, decision_id)
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS, apologies=(SCHOOLS,))

    app.handle(withdraw(decision_id, SCHOOLS, "The amended text meets my concern."))
    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.outcome is DecisionOutcome.APPROVED
    assert taken.tally == Tally(for_=3, against=0, abstain=0, block=0)
    assert taken.absent_votes == ()
    withdrawn = [e for e in events_of(app, decision_id) if isinstance(e, VoteWithdrawn)]
    assert [(e.member_id, e.reason, e.actor, e.occurred_at) for e in withdrawn] == [
        (SCHOOLS, "The amended text meets my concern.", as_member(SCHOOLS), NOW)
    ]


def test_a_standing_block_of_an_absent_member_is_counted_and_recorded_as_dissent(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    blocked_by_schools(app, decision_id)
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS, apologies=(SCHOOLS,))

    app.handle(take(decision_id, meeting_id, outcome=DecisionOutcome.REJECTED))

    taken = decision_taken(app, decision_id)
    assert taken.tally == Tally(for_=3, against=0, abstain=0, block=1)
    assert taken.dissent == (
        Dissent(member_id=SCHOOLS, stance=Stance.BLOCK, reason=f"{SCHOOLS} votes block."),
    )
    assert taken.absent_votes == ()
    assert SCHOOLS not in taken.members_present


def test_a_block_of_an_absent_member_with_a_declared_interest_does_not_stand(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    blocked_by_schools(app, decision_id)
    app.handle(declare_interest(partnership_id, SCHOOLS, decision_id))
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS, apologies=(SCHOOLS,))

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.excluded_votes == (SCHOOLS,)
    assert taken.tally.block == 0


def test_a_block_lapses_when_its_member_stands_down(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    blocked_by_schools(app, decision_id)
    app.handle(stand_down(partnership_id, SCHOOLS))
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.tally.block == 0
    assert taken.absent_votes == (SCHOOLS,)


# Other votes of absent members are recorded, not counted


@pytest.mark.parametrize("stance", [Stance.AGAINST, Stance.ABSTAIN, Stance.FOR])
def test_an_absent_members_vote_other_than_a_block_is_recorded_but_not_counted(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID, stance: Stance
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.FOR, SCHOOLS: stance})
    meeting_id = a_meeting(app, partnership_id, EVERYONE_BUT_SCHOOLS, apologies=(SCHOOLS,))

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.absent_votes == (SCHOOLS,)
    assert taken.tally == Tally(for_=2, against=0, abstain=0, block=0)
    assert all(d.member_id != SCHOOLS for d in taken.dissent)


def test_absent_members_votes_against_do_not_defeat_the_members_present(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(
        app,
        decision_id,
        {CHAIR: Stance.FOR, FORUM: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.AGAINST},
    )
    app.handle(a_vote(decision_id, FE, Stance.AGAINST, "Written vote with apologies."))
    present = (CHAIR, FORUM, HEALTH)
    meeting_id = a_meeting(app, partnership_id, present, apologies=(SCHOOLS, FE))

    app.handle(take(decision_id, meeting_id))

    assert decision_taken(app, decision_id).absent_votes == (FE, SCHOOLS)


# Withdrawing a vote


def test_a_withdrawn_vote_can_be_cast_again(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.AGAINST, HEALTH: Stance.FOR})
    app.handle(withdraw(decision_id, FORUM, "Families were heard at the listening event."))

    assert FORUM not in app.load(Decision, decision_id).votes
    app.handle(a_vote(decision_id, FORUM, Stance.FOR))

    assert app.load(Decision, decision_id).votes[FORUM].stance is Stance.FOR


def test_withdrawing_a_vote_needs_a_reason(app: LedgerApplication, decision_id: UUID) -> None:
    app.handle(a_vote(decision_id, SCHOOLS, Stance.BLOCK, "Families were not asked."))

    assert_refused(
        app,
        withdraw(decision_id, SCHOOLS, "   "),
        ReasonRequired,
        match="Withdrawing a vote needs a reason",
        unchanged=decision_id,
    )


def test_only_a_recorded_vote_can_be_withdrawn(app: LedgerApplication, decision_id: UUID) -> None:
    assert_refused(
        app,
        withdraw(decision_id, SCHOOLS, "Changed my mind."),
        VoteNotRecorded,
        match="m-schools has no vote on D-30-01 to withdraw",
        unchanged=decision_id,
    )


def test_a_stood_down_member_cannot_withdraw_a_vote(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(a_vote(decision_id, SCHOOLS, Stance.BLOCK, "Families were not asked."))
    app.handle(stand_down(partnership_id, SCHOOLS))

    assert_refused(
        app,
        withdraw(decision_id, SCHOOLS, "Changed my mind."),
        MemberNotActive,
        match="m-schools has stood down",
        unchanged=decision_id,
    )


def test_a_vote_on_a_taken_decision_cannot_be_withdrawn(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    assert_refused(
        app,
        withdraw(decision_id, CHAIR, "Changed my mind."),
        DecisionFinal,
        match="Cannot withdraw a vote on D-30-01: it is taken and final",
        unchanged=decision_id,
    )


def test_a_present_majority_is_still_needed_after_a_block_is_withdrawn(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.AGAINST, FORUM: Stance.BLOCK})
    app.handle(withdraw(decision_id, FORUM, "My concern is met; others may decide."))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        MajorityNotReached,
        match="0 eligible votes for and 1 against",
        unchanged=decision_id,
    )


# The read models


def test_a_withdrawn_vote_stays_in_the_account_marked_withdrawn_with_who_and_why() -> None:
    ledger = bootstrap(Settings(database_url="memory://"), clock=a_clock())
    try:
        app = ledger.app
        decision_id = a_proposed_decision(app, a_ready_partnership(app))
        blocked_by_schools(app, decision_id)
        app.handle(withdraw(decision_id, SCHOOLS, "The amended text meets my concern."))
        ledger.projector.catch_up()
        after_withdrawal = ledger.read_models.decision(decision_id)
        app.handle(a_vote(decision_id, SCHOOLS, Stance.FOR))
        ledger.projector.catch_up()
        recast = ledger.read_models.decision(decision_id)
        history = [(e.type, e.actor, e.why) for e in ledger.read_models.history(decision_id)]
    finally:
        ledger.close()

    counted = [v.member.id for v in after_withdrawal.votes if v.counted]
    assert counted == [CHAIR, FORUM, HEALTH]
    block = after_withdrawal.votes[-1]
    assert (block.member.id, block.stance, block.not_counted) == (
        SCHOOLS,
        "block",
        NotCounted.WITHDRAWN,
    )
    assert block.withdrawn is not None
    assert block.withdrawn.by.id == SCHOOLS
    assert block.withdrawn.why == "The amended text meets my concern."
    assert [(v.member.id, v.stance, v.counted) for v in recast.votes][-2:] == [
        (SCHOOLS, "block", False),
        (SCHOOLS, "for", True),
    ]
    assert any(
        "withdrew their vote block: The amended text meets my concern." in line.text
        for line in account(recast)
    )
    assert ("VoteWithdrawn", SCHOOLS, "The amended text meets my concern.") in history
