"""Decision rules: quorum under the terms in force, declared interests,
co-production evidence, blocks and majorities, reasons for dissent, and
finality once taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from domain.decision import Decision
from domain.decision_events import ContributionLinked, DecisionAmended, DecisionState
from domain.errors import (
    AlreadyVoted,
    AttendanceNotRecorded,
    ContributionAlreadyLinked,
    ContributionNotLinked,
    CoproductionNotEvidenced,
    DecisionBlocked,
    DecisionFinal,
    DecisionNotTaken,
    InvalidValue,
    MajorityNotReached,
    MemberNotActive,
    NotFound,
    QuorumNotMet,
    RationaleRequired,
    ReasonRequired,
)
from domain.values import DecisionOutcome, DecisionStatus, Influence, Stance
from domain.votes import Dissent, Tally
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    CHAIR,
    CHAIR_ACTOR,
    FE,
    FORUM,
    HEALTH,
    OBSERVER,
    SCHOOLS,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_contribution,
    a_meeting,
    a_member,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    a_triaged_contribution,
    a_vote,
    an_amendment,
    an_app,
    assert_refused,
    cast_votes,
    decision_taken,
    declare_interest,
    events_of,
    link,
    take,
)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    """Five voting members and an observer; quorum 3 including the forum."""
    return a_ready_partnership(app, quorum=3, forum_required=True)


@pytest.fixture
def decision_id(app: LedgerApplication, partnership_id: UUID) -> UUID:
    return a_proposed_decision(app, partnership_id)


# State


def test_a_decision_holds_all_the_state_its_events_set(
    app: LedgerApplication, decision_id: UUID
) -> None:
    decision: DecisionState = app.load(Decision, decision_id)

    assert isinstance(decision, DecisionState)
    assert (decision.status, decision.links, decision.votes) == (DecisionStatus.PROPOSED, {}, {})


# Quorum


def test_a_decision_is_refused_without_quorum(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match=r"quorum not met \(2 eligible voting members present, 3 required\)",
        unchanged=decision_id,
    )
    assert app.load(Decision, decision_id).status is DecisionStatus.PROPOSED


def test_a_decision_is_refused_without_quorum_when_the_required_forum_is_absent(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    present = (CHAIR, HEALTH, SCHOOLS, FE)
    cast_votes(app, decision_id, dict.fromkeys(present, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, present, apologies=(FORUM,))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match=r"quorum not met \(no parent carer forum representative present\)",
        unchanged=decision_id,
    )


def test_the_forum_need_not_be_present_when_the_terms_do_not_require_it(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app, quorum=3, forum_required=False)
    decision_id = a_proposed_decision(app, partnership_id)
    present = (CHAIR, HEALTH, SCHOOLS)
    cast_votes(app, decision_id, dict.fromkeys(present, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, present)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.quorum_met
    assert not taken.forum_present
    assert taken.quorum_required == 3


def test_a_non_voting_member_present_does_not_count_towards_quorum(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, OBSERVER))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match="2 eligible voting members present, 3 required",
        unchanged=decision_id,
    )


def test_members_with_a_declared_interest_do_not_count_towards_quorum(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(declare_interest(partnership_id, HEALTH, decision_id))
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match="2 eligible voting members present, 3 required",
        unchanged=decision_id,
    )


def test_a_forum_member_with_a_declared_interest_does_not_meet_the_forum_requirement(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(declare_interest(partnership_id, FORUM, decision_id))
    present = (CHAIR, FORUM, HEALTH, SCHOOLS)
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, present)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match="no parent carer forum representative present",
        unchanged=decision_id,
    )


def test_a_decision_is_taken_only_at_a_meeting_whose_attendance_is_recorded(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, present=None)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        AttendanceNotRecorded,
        match="No attendance is recorded",
        unchanged=decision_id,
    )


def test_a_taken_decision_records_the_quorum_under_the_terms_in_force(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    taken = decision_taken(app, decision_id)
    assert taken.quorum_met
    assert (taken.terms_version, taken.quorum_required) == (1, 3)
    assert taken.forum_present
    assert taken.members_present == tuple(sorted(VOTING_MEMBERS))


# Declared interests


def test_votes_of_members_with_a_declared_interest_are_excluded_from_the_tally(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(declare_interest(partnership_id, HEALTH, decision_id))
    cast_votes(
        app,
        decision_id,
        {
            CHAIR: Stance.FOR,
            FORUM: Stance.FOR,
            HEALTH: Stance.AGAINST,
            SCHOOLS: Stance.FOR,
            FE: Stance.ABSTAIN,
        },
    )
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.tally == Tally(for_=3, against=0, abstain=1, block=0)
    assert taken.excluded_votes == (HEALTH,)
    assert HEALTH not in {d.member_id for d in taken.dissent}


def test_a_block_from_a_member_with_a_declared_interest_does_not_stop_approval(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(declare_interest(partnership_id, HEALTH, decision_id))
    cast_votes(
        app,
        decision_id,
        {CHAIR: Stance.FOR, FORUM: Stance.FOR, SCHOOLS: Stance.FOR, HEALTH: Stance.BLOCK},
    )
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.outcome is DecisionOutcome.APPROVED
    assert taken.tally.block == 0
    assert taken.excluded_votes == (HEALTH,)


def test_a_declaration_of_no_interest_leaves_the_vote_in_the_tally(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(declare_interest(partnership_id, FE, decision_id, has_interest=False))
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.tally.for_ == len(VOTING_MEMBERS)
    assert taken.excluded_votes == ()


# Co-production


def test_a_decision_is_co_produced_when_the_forum_is_present_and_voting(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id, coproduced=True))

    assert decision_taken(app, decision_id).coproduced


def test_a_decision_is_not_co_produced_when_the_forum_was_present_but_did_not_vote(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH, SCHOOLS))

    assert_refused(
        app,
        take(decision_id, meeting_id, coproduced=True),
        CoproductionNotEvidenced,
        match="cannot be recorded as co-produced",
        unchanged=decision_id,
    )


def test_a_decision_is_not_co_produced_when_the_forum_was_absent(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app, quorum=3, forum_required=False)
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.FOR})
    meeting_id = a_meeting(app, partnership_id, (CHAIR, HEALTH, SCHOOLS))

    assert_refused(
        app,
        take(decision_id, meeting_id, coproduced=True),
        CoproductionNotEvidenced,
        match="the parent carer forum was not present and voting",
        unchanged=decision_id,
    )
    app.handle(take(decision_id, meeting_id, coproduced=False))
    assert not decision_taken(app, decision_id).coproduced


# Blocks, majorities and reasons


def test_a_block_stops_approval(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(
        app,
        decision_id,
        {CHAIR: Stance.FOR, FORUM: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.BLOCK},
    )
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        DecisionBlocked,
        match=r"D-30-01 is blocked by Name of m-schools \(m-schools\): a block stands",
        unchanged=decision_id,
    )


def test_a_blocked_decision_may_be_recorded_as_rejected_with_the_block_as_dissent(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, {CHAIR: Stance.FOR, FORUM: Stance.BLOCK})
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id, outcome=DecisionOutcome.REJECTED))

    taken = decision_taken(app, decision_id)
    assert taken.outcome is DecisionOutcome.REJECTED
    assert taken.dissent == (
        Dissent(member_id=FORUM, stance=Stance.BLOCK, reason=f"{FORUM} votes block."),
    )


@pytest.mark.parametrize(
    ("stances", "expected"),
    [
        ({CHAIR: Stance.FOR, FORUM: Stance.AGAINST}, "1 eligible votes for and 1 against"),
        ({CHAIR: Stance.ABSTAIN, FORUM: Stance.ABSTAIN}, "0 eligible votes for and 0 against"),
        (
            {CHAIR: Stance.FOR, FORUM: Stance.AGAINST, HEALTH: Stance.AGAINST},
            "1 eligible votes for and 2 against",
        ),
    ],
)
def test_approval_needs_more_votes_for_than_against(
    app: LedgerApplication,
    partnership_id: UUID,
    decision_id: UUID,
    stances: dict[str, Stance],
    expected: str,
) -> None:
    cast_votes(app, decision_id, stances)
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        MajorityNotReached,
        match=expected,
        unchanged=decision_id,
    )


@pytest.mark.parametrize("stance", [Stance.AGAINST, Stance.BLOCK])
def test_dissent_needs_a_reason(app: LedgerApplication, decision_id: UUID, stance: Stance) -> None:
    assert_refused(
        app,
        a_vote(decision_id, FORUM, stance, reason="  "),
        ReasonRequired,
        match=f"A vote {stance.value} D-30-01 needs a reason",
        unchanged=decision_id,
    )


@pytest.mark.parametrize("stance", [Stance.FOR, Stance.ABSTAIN])
def test_support_and_abstention_need_no_reason(
    app: LedgerApplication, decision_id: UUID, stance: Stance
) -> None:
    app.handle(a_vote(decision_id, FORUM, stance, reason=""))

    assert app.load(Decision, decision_id).votes[FORUM].stance is stance


def test_an_abstention_is_recorded_as_dissent_and_not_against(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(
        app,
        decision_id,
        {CHAIR: Stance.FOR, FORUM: Stance.FOR, HEALTH: Stance.FOR, SCHOOLS: Stance.ABSTAIN},
    )
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.tally == Tally(for_=3, against=0, abstain=1, block=0)
    assert [(d.member_id, d.stance) for d in taken.dissent] == [(SCHOOLS, Stance.ABSTAIN)]


def test_a_member_votes_once(app: LedgerApplication, decision_id: UUID) -> None:
    app.handle(a_vote(decision_id, FORUM, Stance.FOR))

    assert_refused(
        app,
        a_vote(decision_id, FORUM, Stance.AGAINST, reason="Changed my mind."),
        AlreadyVoted,
        match=f"{FORUM} has already voted",
        unchanged=decision_id,
    )


def test_a_member_without_voting_rights_cannot_vote(
    app: LedgerApplication, decision_id: UUID
) -> None:
    assert_refused(
        app,
        a_vote(decision_id, OBSERVER, Stance.FOR),
        MemberNotActive,
        match=f"{OBSERVER} has no voting rights",
        unchanged=decision_id,
    )


def test_taking_a_decision_needs_a_rationale(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id, rationale=" "),
        RationaleRequired,
        match="Taking a decision needs a rationale",
        unchanged=decision_id,
    )


# Contributions and amendments


def test_an_amendment_may_only_cite_linked_contributions(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    linked = a_triaged_contribution(app, partnership_id, reference="C-1")
    not_linked = a_triaged_contribution(app, partnership_id, reference="C-2")
    app.handle(link(decision_id, linked))

    assert_refused(
        app,
        an_amendment(decision_id, linked, not_linked),
        ContributionNotLinked,
        match=f"only cite linked contributions; {not_linked} is not linked",
        unchanged=decision_id,
    )
    app.handle(an_amendment(decision_id, linked))
    amended = [e for e in events_of(app, decision_id) if isinstance(e, DecisionAmended)]
    assert [e.caused_by for e in amended] == [(linked,)]


def test_an_amendment_cannot_cite_a_contribution_since_unlinked(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    contribution_id = a_triaged_contribution(app, partnership_id)
    app.handle(link(decision_id, contribution_id))
    app.handle(
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=contribution_id,
            reason="Linked to the wrong decision.",
        )
    )

    assert_refused(
        app,
        an_amendment(decision_id, contribution_id),
        ContributionNotLinked,
        match=f"{contribution_id} is not linked",
        unchanged=decision_id,
    )


def test_an_amendment_needs_a_rationale(app: LedgerApplication, decision_id: UUID) -> None:
    assert_refused(
        app,
        commands.AmendDecision(
            actor=CHAIR_ACTOR, decision_id=decision_id, text="New text.", rationale=""
        ),
        RationaleRequired,
        match="An amendment needs a rationale",
        unchanged=decision_id,
    )


def test_a_contribution_is_linked_to_a_decision_once_at_a_time(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    contribution_id = a_triaged_contribution(app, partnership_id)
    app.handle(link(decision_id, contribution_id, Influence.INFORMED))

    assert_refused(
        app,
        link(decision_id, contribution_id, Influence.AMENDED),
        ContributionAlreadyLinked,
        match="is already linked to D-30-01",
        unchanged=decision_id,
    )
    linked = [e for e in events_of(app, decision_id) if isinstance(e, ContributionLinked)]
    assert [e.influence for e in linked] == [Influence.INFORMED]


def test_a_contribution_to_another_partnership_cannot_be_linked(
    app: LedgerApplication, decision_id: UUID
) -> None:
    other_partnership = a_ready_partnership(app)
    elsewhere = app.handle(a_contribution(other_partnership))

    assert_refused(
        app,
        link(decision_id, elsewhere),
        NotFound,
        match="belongs to another partnership",
        unchanged=decision_id,
    )


def test_only_a_linked_contribution_is_unlinked(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    contribution_id = a_triaged_contribution(app, partnership_id)

    assert_refused(
        app,
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=contribution_id,
            reason="Not relevant.",
        ),
        ContributionNotLinked,
        match=f"Contribution {contribution_id} is not linked to D-30-01",
        unchanged=decision_id,
    )


def test_unlinking_a_contribution_needs_a_reason(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    contribution_id = a_triaged_contribution(app, partnership_id)
    app.handle(link(decision_id, contribution_id))

    assert_refused(
        app,
        commands.UnlinkContribution(
            actor=SECRETARIAT, decision_id=decision_id, contribution_id=contribution_id, reason=""
        ),
        ReasonRequired,
        match="Unlinking a contribution needs a reason",
        unchanged=decision_id,
    )
    assert contribution_id in app.load(Decision, decision_id).links


def test_a_decision_is_taken_only_at_a_meeting_of_its_own_partnership(
    app: LedgerApplication, decision_id: UUID
) -> None:
    other_partnership = a_ready_partnership(app)
    elsewhere = a_meeting(app, other_partnership, VOTING_MEMBERS)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))

    assert_refused(
        app,
        take(decision_id, elsewhere),
        NotFound,
        match="does not belong to",
        unchanged=decision_id,
    )


# Finality


LATE_MEMBER = "m-late"


def _amend(decision_id: UUID, contribution_id: UUID) -> commands.AnyCommand:
    return an_amendment(decision_id)


def _vote(decision_id: UUID, contribution_id: UUID) -> commands.AnyCommand:
    return a_vote(decision_id, LATE_MEMBER, Stance.FOR)


def _link(decision_id: UUID, contribution_id: UUID) -> commands.AnyCommand:
    return link(decision_id, contribution_id)


def _defer(decision_id: UUID, contribution_id: UUID) -> commands.AnyCommand:
    return commands.DeferDecision(actor=CHAIR_ACTOR, decision_id=decision_id, reason="Later.")


@pytest.mark.parametrize(
    ("doing", "command"),
    [
        ("amend", _amend),
        ("vote on", _vote),
        ("link a contribution to", _link),
        ("defer", _defer),
    ],
)
def test_a_taken_decision_is_final(
    app: LedgerApplication,
    partnership_id: UUID,
    doing: str,
    command: Callable[[UUID, UUID], commands.AnyCommand],
) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    app.handle(a_member(partnership_id, LATE_MEMBER, voting=True))
    contribution_id = a_triaged_contribution(app, partnership_id, reference="C-9")

    assert_refused(
        app,
        command(decision_id, contribution_id),
        DecisionFinal,
        match=f"Cannot {doing} D-30-01: it is taken and final",
        unchanged=decision_id,
    )


def test_a_taken_decision_is_not_taken_again(app: LedgerApplication, partnership_id: UUID) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id, outcome=DecisionOutcome.REJECTED),
        DecisionFinal,
        match="Cannot take D-30-01: it is taken and final",
        unchanged=decision_id,
    )


def test_a_linked_contribution_stays_linked_once_the_decision_is_taken(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    contribution_id = a_triaged_contribution(app, partnership_id)
    app.handle(link(decision_id, contribution_id))
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    app.handle(take(decision_id, a_meeting(app, partnership_id, VOTING_MEMBERS)))

    assert_refused(
        app,
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=contribution_id,
            reason="Tidying up.",
        ),
        DecisionFinal,
        match="Cannot unlink a contribution from D-30-01",
        unchanged=decision_id,
    )


def test_a_taken_decision_is_superseded_by_another(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)
    successor = a_proposed_decision(app, partnership_id, reference="D-30-02")

    app.handle(
        commands.SupersedeDecision(
            actor=CHAIR_ACTOR,
            decision_id=decision_id,
            superseded_by=successor,
            rationale="Replaced by a larger commission.",
        )
    )

    superseded = app.load(Decision, decision_id)
    assert superseded.status is DecisionStatus.SUPERSEDED
    assert superseded.superseded_by == successor
    assert_refused(
        app,
        an_amendment(decision_id),
        DecisionFinal,
        match="it is superseded and final",
        unchanged=decision_id,
    )


def test_superseding_needs_a_taken_decision(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    successor = a_proposed_decision(app, partnership_id, reference="D-30-02")

    assert_refused(
        app,
        commands.SupersedeDecision(
            actor=CHAIR_ACTOR,
            decision_id=decision_id,
            superseded_by=successor,
            rationale="Replaced.",
        ),
        DecisionNotTaken,
        match="D-30-01 is proposed; only a taken decision is superseded",
        unchanged=decision_id,
    )


def test_a_decision_cannot_supersede_itself(app: LedgerApplication, partnership_id: UUID) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    assert_refused(
        app,
        commands.SupersedeDecision(
            actor=CHAIR_ACTOR, decision_id=decision_id, superseded_by=decision_id, rationale="x"
        ),
        InvalidValue,
        match="cannot supersede itself",
        unchanged=decision_id,
    )


def test_a_review_is_scheduled_only_for_a_taken_decision(
    app: LedgerApplication, decision_id: UUID
) -> None:
    assert_refused(
        app,
        commands.ScheduleReview(
            actor=CHAIR_ACTOR, decision_id=decision_id, review_on=date(2031, 6, 3), reason="Annual"
        ),
        DecisionNotTaken,
        match="only taken decisions are reviewed",
        unchanged=decision_id,
    )


def test_a_review_is_scheduled_for_a_future_date(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_taken_decision(app, partnership_id)

    assert_refused(
        app,
        commands.ScheduleReview(
            actor=CHAIR_ACTOR, decision_id=decision_id, review_on=date(2030, 6, 3), reason="Now"
        ),
        InvalidValue,
        match="future date",
        unchanged=decision_id,
    )


def test_a_deferred_decision_is_not_final(
    app: LedgerApplication, partnership_id: UUID, decision_id: UUID
) -> None:
    app.handle(
        commands.DeferDecision(actor=CHAIR_ACTOR, decision_id=decision_id, reason="More data.")
    )
    assert app.load(Decision, decision_id).status is DecisionStatus.DEFERRED
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))

    app.handle(take(decision_id, a_meeting(app, partnership_id, VOTING_MEMBERS)))

    assert app.load(Decision, decision_id).status is DecisionStatus.TAKEN


def test_votes_of_members_absent_from_the_meeting_are_recorded_but_not_counted() -> None:
    app = an_app()
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    absent = VOTING_MEMBERS[-1]
    present = tuple(m for m in VOTING_MEMBERS if m != absent)
    meeting_id = a_meeting(app, partnership_id, present)

    app.handle(take(decision_id, meeting_id))

    taken = decision_taken(app, decision_id)
    assert taken.absent_votes == (absent,)
    assert taken.tally.for_ == len(present)
