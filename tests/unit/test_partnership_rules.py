"""Partnership rules: one member id once, a stood-down member cannot act, and
terms of reference must be workable."""

from __future__ import annotations

import msgspec
import pytest

from domain.errors import (
    DuplicateMember,
    InvalidTermsOfReference,
    InvalidValue,
    MemberNotActive,
    NoTermsOfReference,
    QuorumNotMet,
    TermsUnchanged,
)
from domain.partnership import Partnership, TermsOfReferenceAdopted
from domain.values import Sector, Stance
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    CHAIR,
    FE,
    FORUM,
    HEALTH,
    NOW,
    OBSERVER,
    SCHOOLS,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_board,
    a_meeting,
    a_member,
    a_partnership,
    a_proposal,
    a_proposed_decision,
    a_ready_partnership,
    a_vote,
    an_app,
    assert_refused,
    declare_interest,
    events_of,
    stand_down,
    take,
    terms_of_reference,
)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


def test_a_member_id_is_appointed_once(app: LedgerApplication) -> None:
    partnership_id = a_board(app)

    assert_refused(
        app,
        a_member(partnership_id, SCHOOLS, name="Someone Else", sector=Sector.HEALTH),
        DuplicateMember,
        match=f"Member {SCHOOLS} is already appointed",
        unchanged=partnership_id,
    )
    assert app.load(Partnership, partnership_id).members[SCHOOLS].sector is Sector.SCHOOLS


def test_a_stood_down_members_id_is_not_given_to_anyone_else(app: LedgerApplication) -> None:
    partnership_id = a_board(app)
    app.handle(stand_down(partnership_id, SCHOOLS))

    assert_refused(
        app,
        a_member(partnership_id, SCHOOLS),
        DuplicateMember,
        match=f"Member {SCHOOLS} is already appointed",
        unchanged=partnership_id,
    )


def test_the_same_member_id_may_serve_on_two_partnerships(app: LedgerApplication) -> None:
    first = a_board(app)
    second = app.handle(a_partnership(name="Westvale SEND and AP Partnership"))

    app.handle(a_member(second, SCHOOLS))

    assert SCHOOLS in app.load(Partnership, first).members
    assert SCHOOLS in app.load(Partnership, second).members


def test_a_stood_down_member_cannot_propose_a_decision(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        a_proposal(partnership_id, proposer_id=HEALTH),
        MemberNotActive,
        match=f"{HEALTH} has stood down",
    )


def test_someone_who_is_not_a_member_cannot_propose_a_decision(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)

    assert_refused(
        app,
        a_proposal(partnership_id, proposer_id="m-stranger"),
        MemberNotActive,
        match="m-stranger is not a member",
    )


def test_a_stood_down_member_cannot_vote(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        a_vote(decision_id, HEALTH, Stance.FOR),
        MemberNotActive,
        match=f"{HEALTH} has stood down",
        unchanged=decision_id,
    )


def test_a_stood_down_member_cannot_attend_a_meeting(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)
    meeting_id = a_meeting(app, partnership_id, present=None)
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        commands.RecordAttendance(
            actor=SECRETARIAT, meeting_id=meeting_id, present=(CHAIR, HEALTH)
        ),
        MemberNotActive,
        match=f"{HEALTH} is not an active member and cannot attend",
        unchanged=meeting_id,
    )


def test_a_stood_down_member_cannot_declare_an_interest(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        declare_interest(partnership_id, HEALTH, decision_id),
        MemberNotActive,
        match=f"{HEALTH} has stood down",
        unchanged=partnership_id,
    )


def test_a_member_stands_down_once(app: LedgerApplication) -> None:
    partnership_id = a_board(app)
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        stand_down(partnership_id, HEALTH),
        MemberNotActive,
        match=f"{HEALTH} has stood down",
        unchanged=partnership_id,
    )


def test_a_stood_down_member_present_does_not_count_towards_quorum(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app, quorum=3)
    decision_id = a_proposed_decision(app, partnership_id)
    for member_id in (CHAIR, FORUM, HEALTH):
        app.handle(a_vote(decision_id, member_id, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH))
    app.handle(stand_down(partnership_id, HEALTH))

    assert_refused(
        app,
        take(decision_id, meeting_id),
        QuorumNotMet,
        match="2 eligible voting members present, 3 required",
        unchanged=decision_id,
    )


def test_terms_of_reference_need_a_quorum_of_at_least_one(app: LedgerApplication) -> None:
    partnership_id = a_board(app)

    assert_refused(
        app,
        terms_of_reference(partnership_id, quorum=0),
        InvalidTermsOfReference,
        match="at least one voting member",
        unchanged=partnership_id,
    )


def test_terms_of_reference_cannot_ask_for_more_voting_members_than_the_board_has(
    app: LedgerApplication,
) -> None:
    partnership_id = a_board(app)

    assert_refused(
        app,
        terms_of_reference(partnership_id, quorum=len(VOTING_MEMBERS) + 1),
        InvalidTermsOfReference,
        match=f"cannot be met by {len(VOTING_MEMBERS)} active voting members",
        unchanged=partnership_id,
    )


def test_non_voting_and_stood_down_members_do_not_make_a_quorum_workable(
    app: LedgerApplication,
) -> None:
    partnership_id = a_board(app)
    app.handle(stand_down(partnership_id, FE))
    active_voting = len(VOTING_MEMBERS) - 1

    assert_refused(
        app,
        terms_of_reference(partnership_id, quorum=len(VOTING_MEMBERS)),
        InvalidTermsOfReference,
        match=f"cannot be met by {active_voting} active voting members",
        unchanged=partnership_id,
    )
    assert not app.load(Partnership, partnership_id).members[OBSERVER].voting


def test_terms_that_require_the_forum_need_an_active_forum_member(
    app: LedgerApplication,
) -> None:
    partnership_id = a_board(app)
    app.handle(stand_down(partnership_id, FORUM))

    assert_refused(
        app,
        terms_of_reference(partnership_id, quorum=3, forum_required=True),
        InvalidTermsOfReference,
        match="(?i)forum",
        unchanged=partnership_id,
    )


def test_adopting_terms_again_puts_a_new_version_in_force(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app, quorum=3)

    app.handle(terms_of_reference(partnership_id, quorum=4, forum_required=False))

    terms = app.load(Partnership, partnership_id).terms_in_force()
    assert (terms.version, terms.quorum, terms.forum_required) == (2, 4, False)
    adopted = [e for e in events_of(app, partnership_id) if isinstance(e, TermsOfReferenceAdopted)]
    assert [e.terms.version for e in adopted] == [1, 2]


@pytest.mark.parametrize(
    "description",
    ["Quorum: 3 voting members.", "  Quorum: 3 voting members.  "],
    ids=["identical", "identical-but-for-spaces"],
)
def test_adopting_the_terms_already_in_force_is_refused_and_adopts_nothing(
    app: LedgerApplication, description: str
) -> None:
    partnership_id = a_ready_partnership(app, quorum=3)
    again = msgspec.structs.replace(
        terms_of_reference(partnership_id, quorum=3), description=description
    )

    assert_refused(
        app,
        again,
        TermsUnchanged,
        match=(
            r"These terms of reference are already in force in Eastvale SEND and AP Partnership "
            r"\(version 1\), so nothing was adopted"
        ),
        unchanged=partnership_id,
    )
    assert app.load(Partnership, partnership_id).terms_in_force().version == 1


def test_terms_differing_only_in_their_description_are_adopted_as_a_new_version(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app, quorum=3)
    reworded = msgspec.structs.replace(
        terms_of_reference(partnership_id, quorum=3),
        description="Quorum: 3 voting members; the forum co-chair or their deputy.",
    )

    app.handle(reworded)

    assert app.load(Partnership, partnership_id).terms_in_force().version == 2


def test_a_decision_is_not_taken_without_terms_of_reference_in_force(
    app: LedgerApplication,
) -> None:
    partnership_id = a_board(app)
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(a_vote(decision_id, CHAIR, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)

    assert_refused(
        app,
        take(decision_id, meeting_id),
        NoTermsOfReference,
        match="has adopted no terms of reference",
        unchanged=decision_id,
    )


def test_a_declared_interest_needs_its_nature(app: LedgerApplication) -> None:
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)

    assert_refused(
        app,
        commands.DeclareInterest(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            member_id=HEALTH,
            decision_id=decision_id,
            has_interest=True,
            nature="  ",
        ),
        InvalidValue,
        match="needs its nature",
        unchanged=partnership_id,
    )


def test_a_declaration_of_no_interest_leaves_the_member_eligible(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)

    app.handle(declare_interest(partnership_id, FE, decision_id, has_interest=False))
    app.handle(declare_interest(partnership_id, HEALTH, decision_id, has_interest=True))

    partnership = app.load(Partnership, partnership_id)
    assert partnership.interested_members(decision_id) == frozenset({HEALTH})
    assert (FE, decision_id) in partnership.interests


def test_a_partnership_needs_a_name(app: LedgerApplication) -> None:
    assert_refused(app, a_partnership(name="   "), InvalidValue, match="needs a name")


def test_partnership_events_record_the_actor_and_the_clocks_time(
    app: LedgerApplication,
) -> None:
    partnership_id = a_ready_partnership(app)

    recorded = events_of(app, partnership_id)

    assert len(recorded) == 1 + 6 + 1
    assert {e.occurred_at for e in recorded} == {NOW}
    assert recorded[0].actor == SECRETARIAT
    assert recorded[-1].actor.id == CHAIR
