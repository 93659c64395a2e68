"""The account of a decision: built once from the documents, every step naming who
took it, when and why, and told in one set of sentences."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from domain.values import Actor, Stance
from projections.account import account, who
from projections.documents import DecisionDoc
from projections.provenance import DecisionProvenance, NotCounted, PersonRef, Step
from projections.register import decision_register
from projections.store import MemoryReadModelStore
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.log_queries import LogQueries
from services.projection.projector import Projector
from services.projection.read_model_queries import ReadModelQueries
from tests.unit.builders import (
    CHAIR,
    CHAIR_ACTOR,
    FORUM,
    HEALTH,
    NOW,
    SCHOOLS,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_drafted_plan,
    a_meeting,
    a_proposed_decision,
    a_ready_partnership,
    a_triaged_contribution,
    a_vote,
    an_amendment,
    an_app,
    as_member,
    cast_votes,
    declare_interest,
    link,
    take,
)

UNLINK_REASON = "It concerns another decision."
WITHDRAW_REASON = "The costs are now in the proposal."
REVIEW_REASON = "Annual review of capacity."
SUPERSEDE_REASON = "A wider decision replaces it."
REVISION_RATIONALE = "Decision D-30-01, shaped by C-1."
ACTION = commands.CommitAction(
    actor=CHAIR_ACTOR,
    decision_id=UUID(int=0),
    reference="A-1",
    title="Recruit the assistants",
    owner="Eastvale ICB",
    due_on=date(2031, 3, 31),
)


def read_models(app: LedgerApplication, today: date | None = None) -> ReadModelQueries:
    store = MemoryReadModelStore()
    Projector(app, store).catch_up()
    return ReadModelQueries(app, store, LogQueries(app), today=lambda: today or NOW.date())


def a_decision_shaped_every_way(app: LedgerApplication) -> UUID:
    """A decision with a step of every kind, each by someone with a role."""
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    kept = a_triaged_contribution(app, partnership_id, reference="C-1")
    dropped = a_triaged_contribution(app, partnership_id, reference="C-2")
    app.handle(link(decision_id, kept))
    app.handle(link(decision_id, dropped))
    app.handle(
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=dropped,
            reason=UNLINK_REASON,
        )
    )
    app.handle(an_amendment(decision_id, kept))
    app.handle(declare_interest(partnership_id, HEALTH, decision_id))
    app.handle(a_vote(decision_id, SCHOOLS, Stance.BLOCK, "Not until the costs are known."))
    app.handle(
        commands.WithdrawVote(
            actor=as_member(SCHOOLS),
            decision_id=decision_id,
            member_id=SCHOOLS,
            reason=WITHDRAW_REASON,
        )
    )
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)
    app.handle(take(decision_id, meeting_id))
    app.handle(
        commands.ScheduleReview(
            actor=CHAIR_ACTOR,
            decision_id=decision_id,
            review_on=date(2031, 6, 1),
            reason=REVIEW_REASON,
        )
    )
    app.handle(msgspec.structs.replace(ACTION, decision_id=decision_id))
    plan_id = a_drafted_plan(app, partnership_id)
    app.handle(
        commands.ReviseSection(
            actor=SECRETARIAT,
            plan_id=plan_id,
            section="health_commissioning",
            text="The ICB will commission 4 FTE assistants.",
            rationale=REVISION_RATIONALE,
            cited_decisions=(decision_id,),
        )
    )
    successor = a_proposed_decision(app, partnership_id, reference="D-30-02")
    cast_votes(app, successor, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    app.handle(take(successor, a_meeting(app, partnership_id, VOTING_MEMBERS)))
    app.handle(
        commands.SupersedeDecision(
            actor=CHAIR_ACTOR,
            decision_id=decision_id,
            superseded_by=successor,
            rationale=SUPERSEDE_REASON,
        )
    )
    return decision_id


def steps_of(p: DecisionProvenance) -> dict[str, list[Step]]:
    assert p.taken is not None
    assert p.superseded is not None
    return {
        "proposed": [p.proposal.recorded],
        "linked": [link.linked for link in p.contributions],
        "unlinked": [link.unlinked for link in p.contributions if link.unlinked],
        "amended": [a.amended for a in p.amendments],
        "declared": [i.declared for i in p.interests],
        "voted": [v.recorded for v in p.votes],
        "withdrawn": [v.withdrawn for v in p.votes if v.withdrawn],
        "taken": [p.taken.recorded],
        "review": [r.scheduled for r in p.reviews],
        "superseded": [p.superseded.superseded],
        "cited": [r.revised for r in p.plan_revisions],
        "action": [a.committed for a in p.actions],
    }


def test_every_step_of_the_account_names_who_took_it_when_and_why() -> None:
    app = an_app()
    decision_id = a_decision_shaped_every_way(app)
    p = read_models(app).decision(decision_id)

    steps = steps_of(p)

    assert all(steps.values()), {kind: len(found) for kind, found in steps.items()}
    for kind, found in steps.items():
        for step in found:
            assert step.by.id, kind
            assert step.by.name, kind
            assert step.by.role, kind
            assert step.at == NOW, kind
    assert [s.why for s in steps["unlinked"]] == [UNLINK_REASON]
    assert [s.by.id for s in steps["unlinked"]] == [SECRETARIAT.id]
    assert steps["amended"][0].why == "Families asked that support continue post-16."
    assert steps["declared"][0].why == "Their organisation funds the service."
    assert steps["voted"][0].why == "Not until the costs are known."
    assert steps["voted"][1].why == f"{VOTING_MEMBERS[0]} votes for."
    assert [(s.by.id, s.why) for s in steps["withdrawn"]] == [(SCHOOLS, WITHDRAW_REASON)]
    assert steps["taken"][0].why == "Meets the need families described."
    assert steps["taken"][0].by.acting_as == "chair"
    assert [s.why for s in steps["review"]] == [REVIEW_REASON]
    assert [s.why for s in steps["superseded"]] == [SUPERSEDE_REASON]
    assert [s.why for s in steps["cited"]] == [REVISION_RATIONALE]


def test_the_account_tells_every_step_once_with_who_and_why() -> None:
    app = an_app()
    decision_id = a_decision_shaped_every_way(app)
    p = read_models(app).decision(decision_id)

    lines = account(p)

    steps = [step for found in steps_of(p).values() for step in found]
    assert len(lines) == len(steps)
    text = "\n".join(line.text for line in lines)
    assert f"Contribution C-2 unlinked by u-secretariat (secretariat): {UNLINK_REASON}" in text
    assert f"Superseded by D-30-02, recorded by Name of {CHAIR} (" in text
    assert f"Review scheduled for 2031-06-01 by Name of {CHAIR}" in text
    assert "voted for (not counted: declared an interest)" in text
    assert "voted block (not counted: withdrawn)" in text
    assert f"withdrew their vote block: {WITHDRAW_REASON}" in text
    assert all(line.text.endswith(".") for line in lines)


def test_before_a_decision_is_taken_a_vote_under_a_declared_interest_is_shown_not_counted() -> None:
    app = an_app()
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    app.handle(declare_interest(partnership_id, HEALTH, decision_id))
    cast_votes(app, decision_id, {HEALTH: Stance.FOR, FORUM: Stance.FOR})

    votes = {v.member.id: v for v in read_models(app).decision(decision_id).votes}

    assert votes[HEALTH].not_counted is NotCounted.DECLARED_INTEREST
    assert votes[HEALTH].counted is False
    assert votes[FORUM].counted is True
    assert votes[FORUM].not_counted is None


def test_a_member_is_named_with_their_role_and_the_role_they_acted_in() -> None:
    chair = PersonRef(id=CHAIR, name="Priya Shah", role="Director", member=True, acting_as="chair")
    as_member = msgspec.structs.replace(chair, acting_as="member")
    staff = PersonRef(id="u-secretariat", name="u-secretariat", role="secretariat")
    unknown = PersonRef(id="m-gone", name="m-gone")

    assert who(chair) == "Priya Shah (Director) as chair"
    assert who(as_member) == "Priya Shah (Director)"
    assert who(staff) == "u-secretariat (secretariat)"
    assert who(unknown) == "m-gone"


def test_the_decisions_list_and_the_register_give_one_review_date() -> None:
    app = an_app()
    partnership_id = a_ready_partnership(app)
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    app.handle(take(decision_id, a_meeting(app, partnership_id, VOTING_MEMBERS)))
    for review_on in (date(2032, 6, 1), date(2031, 6, 1)):
        app.handle(
            commands.ScheduleReview(
                actor=Actor(id=CHAIR, role="chair"), decision_id=decision_id, review_on=review_on
            )
        )

    for today, expected in (
        (date(2031, 1, 1), date(2031, 6, 1)),
        (date(2031, 7, 1), date(2032, 6, 1)),
    ):
        read = read_models(app, today)
        (entry,) = read.decisions(partnership_id)
        docs = [d for d in read.store.scan("decision") if isinstance(d, DecisionDoc)]
        (registered,) = decision_register(docs, today=today).entries
        assert entry.review_on == registered.next_review_on == expected, today
