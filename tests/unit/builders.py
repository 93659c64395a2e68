"""Builders for the unit tests: commands with sensible defaults, an in-memory
ledger on a fixed clock, and ready-made partnerships, decisions, plans and
contributions to test one rule at a time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from adapters.codec import MsgspecMapper
from domain.base import LedgerAggregate, LedgerEvent
from domain.decision_events import DecisionTaken
from domain.errors import LedgerRuleBroken
from domain.plan_template import PlanTemplate, SectionTemplate, StageTransition
from domain.values import (
    Actor,
    Channel,
    ContributorKind,
    DecisionCategory,
    DecisionOutcome,
    Depth,
    Influence,
    QAOutcome,
    Sector,
    Stance,
)
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1, REGISTERED, PlanTemplates

NOW = datetime(2030, 6, 3, 9, 30, tzinfo=UTC)
"""The fixed time of the test clock: far from today, so a wall-clock read shows."""

SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
ENGAGEMENT = Actor(id="u-engagement-officer", role="engagement_officer")
DFE = Actor(id="u-dfe-reviewer", role="dfe_reviewer")

# The ready-made board: five voting members across sectors and one observer.
CHAIR = "m-chair"
FORUM = "m-forum"
HEALTH = "m-health"
SCHOOLS = "m-schools"
FE = "m-fe"
OBSERVER = "m-observer"
VOTING_MEMBERS = (CHAIR, FORUM, HEALTH, SCHOOLS, FE)

_BOARD: tuple[tuple[str, str, Sector, bool], ...] = (
    (CHAIR, "Director of Children's Services", Sector.LOCAL_AUTHORITY, True),
    (FORUM, "Parent carer forum co-chair", Sector.PARENT_CARER_FORUM, True),
    (HEALTH, "ICB SEND lead", Sector.HEALTH, True),
    (SCHOOLS, "Primary head teacher", Sector.SCHOOLS, True),
    (FE, "FE principal", Sector.FURTHER_EDUCATION, True),
    (OBSERVER, "Observer", Sector.OTHER, False),
)


def as_member(member_id: str) -> Actor:
    return Actor(id=member_id, role="member")


CHAIR_ACTOR = Actor(id=CHAIR, role="chair")


# The ledger and its clock


def a_clock(now: datetime = NOW) -> ScenarioClock:
    return ScenarioClock(now)


def an_app(
    clock: ScenarioClock | None = None, *, templates: PlanTemplates | None = None
) -> LedgerApplication:
    """An in-memory ledger storing events through the msgspec mapper, with the
    registered plan templates and the workforce template below."""
    return LedgerApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        mapper_factory=MsgspecMapper,
        clock=clock or a_clock(),
        templates=templates or REGISTERED.including(a_workforce_template()),
    )


def events_of(app: LedgerApplication, aggregate_id: UUID) -> list[LedgerEvent]:
    found = app.aggregate_events(aggregate_id)
    assert all(isinstance(e, LedgerEvent) for e in found)
    return [e for e in found if isinstance(e, LedgerEvent)]


def version_of(app: LedgerApplication, aggregate_id: UUID) -> int:
    """The aggregate's version, reloaded from the store."""
    return app.load(LedgerAggregate, aggregate_id).version


def assert_refused(
    app: LedgerApplication,
    command: commands.AnyCommand,
    error: type[LedgerRuleBroken],
    match: str,
    *,
    unchanged: UUID | None = None,
) -> None:
    """The command is refused with `error`, and nothing at all is stored:
    the ledger has no new event and `unchanged` reloads at the same version."""
    stored_before = app.recorder.max_notification_id()
    version_before = None if unchanged is None else version_of(app, unchanged)
    with pytest.raises(error, match=match):
        app.handle(command)
    assert app.recorder.max_notification_id() == stored_before
    if unchanged is not None:
        assert version_of(app, unchanged) == version_before


# Partnership


def a_partnership(
    *,
    name: str = "Eastvale SEND and AP Partnership",
    kind: str = "local_send_ap_partnership",
    la_code: str = "Z98",
    icb_code: str = "QZY",
    partnership_id: UUID | None = None,
) -> commands.EstablishPartnership:
    return commands.EstablishPartnership(
        actor=SECRETARIAT,
        name=name,
        kind=kind,
        la_code=la_code,
        icb_code=icb_code,
        partnership_id=partnership_id,
    )


def a_member(
    partnership_id: UUID,
    member_id: str = "m-member",
    *,
    name: str = "Alex Member",
    role: str = "Board member",
    sector: Sector = Sector.SCHOOLS,
    organisation: str = "Eastvale Council",
    voting: bool = True,
) -> commands.AppointMember:
    return commands.AppointMember(
        actor=SECRETARIAT,
        partnership_id=partnership_id,
        member_id=member_id,
        name=name,
        role=role,
        sector=sector,
        organisation=organisation,
        voting=voting,
    )


def terms_of_reference(
    partnership_id: UUID, *, quorum: int = 3, forum_required: bool = True
) -> commands.AdoptTermsOfReference:
    return commands.AdoptTermsOfReference(
        actor=CHAIR_ACTOR,
        partnership_id=partnership_id,
        quorum=quorum,
        forum_required=forum_required,
        description=f"Quorum: {quorum} voting members.",
    )


def stand_down(partnership_id: UUID, member_id: str) -> commands.StandDownMember:
    return commands.StandDownMember(
        actor=SECRETARIAT, partnership_id=partnership_id, member_id=member_id, reason="Moved on."
    )


def a_board(app: LedgerApplication) -> UUID:
    """A partnership with the ready-made members and no terms of reference yet."""
    partnership_id = app.handle(a_partnership())
    for member_id, role, sector, voting in _BOARD:
        app.handle(
            a_member(
                partnership_id,
                member_id,
                name=f"Name of {member_id}",
                role=role,
                sector=sector,
                voting=voting,
            )
        )
    return partnership_id


def a_ready_partnership(
    app: LedgerApplication, *, quorum: int = 3, forum_required: bool = True
) -> UUID:
    """The ready-made board with terms of reference in force."""
    partnership_id = a_board(app)
    app.handle(terms_of_reference(partnership_id, quorum=quorum, forum_required=forum_required))
    return partnership_id


# Decision and meeting


def a_proposal(
    partnership_id: UUID,
    *,
    reference: str = "D-30-01",
    proposer_id: str = CHAIR,
    text: str = "Commission 4 FTE speech and language therapy assistants.",
) -> commands.ProposeDecision:
    return commands.ProposeDecision(
        actor=as_member(proposer_id),
        partnership_id=partnership_id,
        reference=reference,
        title="Speech and language therapy assistants",
        category=DecisionCategory.HEALTH_COMMISSIONING,
        text=text,
        proposer_id=proposer_id,
        options=("4 FTE", "no change"),
        evidence=("Median wait of 18 months",),
    )


def a_proposed_decision(
    app: LedgerApplication, partnership_id: UUID, *, reference: str = "D-30-01"
) -> UUID:
    return app.handle(a_proposal(partnership_id, reference=reference))


def a_vote(
    decision_id: UUID, member_id: str, stance: Stance = Stance.FOR, reason: str = ""
) -> commands.RecordVote:
    return commands.RecordVote(
        actor=as_member(member_id),
        decision_id=decision_id,
        member_id=member_id,
        stance=stance,
        reason=reason,
    )


def cast_votes(app: LedgerApplication, decision_id: UUID, stances: Mapping[str, Stance]) -> None:
    """Record each member's vote, with a reason (dissent needs one)."""
    for member_id, stance in stances.items():
        app.handle(a_vote(decision_id, member_id, stance, f"{member_id} votes {stance.value}."))


def a_meeting(
    app: LedgerApplication,
    partnership_id: UUID,
    present: tuple[str, ...] | None,
    *,
    apologies: tuple[str, ...] = (),
) -> UUID:
    """A scheduled meeting; its attendance recorded unless `present` is None."""
    meeting_id = app.handle(
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            title="Partnership board",
            held_at=NOW - timedelta(hours=2),
        )
    )
    if present is not None:
        app.handle(
            commands.RecordAttendance(
                actor=SECRETARIAT, meeting_id=meeting_id, present=present, apologies=apologies
            )
        )
    return meeting_id


def take(
    decision_id: UUID,
    meeting_id: UUID,
    *,
    outcome: DecisionOutcome = DecisionOutcome.APPROVED,
    coproduced: bool = False,
    rationale: str = "Meets the need families described.",
) -> commands.TakeDecision:
    return commands.TakeDecision(
        actor=CHAIR_ACTOR,
        decision_id=decision_id,
        meeting_id=meeting_id,
        outcome=outcome,
        rationale=rationale,
        coproduced=coproduced,
    )


def declare_interest(
    partnership_id: UUID, member_id: str, decision_id: UUID, *, has_interest: bool = True
) -> commands.DeclareInterest:
    return commands.DeclareInterest(
        actor=SECRETARIAT,
        partnership_id=partnership_id,
        member_id=member_id,
        decision_id=decision_id,
        has_interest=has_interest,
        nature="Their organisation funds the service." if has_interest else "",
    )


def a_taken_decision(
    app: LedgerApplication, partnership_id: UUID, *, reference: str = "D-30-01"
) -> UUID:
    """A decision approved unanimously by every voting member, all present."""
    decision_id = a_proposed_decision(app, partnership_id, reference=reference)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, VOTING_MEMBERS)
    app.handle(take(decision_id, meeting_id))
    return decision_id


def decision_taken(app: LedgerApplication, decision_id: UUID) -> DecisionTaken:
    taken = [e for e in events_of(app, decision_id) if isinstance(e, DecisionTaken)]
    assert len(taken) == 1
    return taken[0]


def link(
    decision_id: UUID, contribution_id: UUID, influence: Influence = Influence.AMENDED
) -> commands.LinkContribution:
    return commands.LinkContribution(
        actor=SECRETARIAT,
        decision_id=decision_id,
        contribution_id=contribution_id,
        influence=influence,
        note="Asks for post-16 settings to be covered.",
    )


def an_amendment(
    decision_id: UUID, *caused_by: UUID, rationale: str = ""
) -> commands.AmendDecision:
    return commands.AmendDecision(
        actor=CHAIR_ACTOR,
        decision_id=decision_id,
        text="Commission 4 FTE assistants, including for further education colleges.",
        caused_by=caused_by,
        rationale=rationale or "Families asked that support continue post-16.",
    )


# Contribution

CONTRIBUTOR_NAME = "Rebecca Hall"
CONTRIBUTION_TEXT = "My son is 17 and at college; speech and language support stops at 16."


def a_contribution(
    partnership_id: UUID,
    *,
    plan_id: UUID | None = None,
    reference: str = "C-1",
    contributor_name: str = CONTRIBUTOR_NAME,
    text: str = CONTRIBUTION_TEXT,
    sections: tuple[str, ...] = (),
) -> commands.SubmitContribution:
    return commands.SubmitContribution(
        actor=ENGAGEMENT,
        partnership_id=partnership_id,
        plan_id=plan_id,
        reference=reference,
        subject_ref=f"subj-{reference}",
        contributor_kind=ContributorKind.PARENT_CARER,
        contributor_name=contributor_name,
        channel=Channel.LISTENING_EVENT,
        depth=Depth.PARTICIPATION,
        themes=("speech and language",),
        sections=sections,
        text=text,
    )


def triage(contribution_id: UUID) -> commands.TriageContribution:
    return commands.TriageContribution(
        actor=ENGAGEMENT, contribution_id=contribution_id, note="Plan matter."
    )


def route_to_case(contribution_id: UUID) -> commands.RouteContributionToIndividualCase:
    return commands.RouteContributionToIndividualCase(
        actor=ENGAGEMENT, contribution_id=contribution_id, reason="About one child's EHCP."
    )


def a_triaged_contribution(
    app: LedgerApplication,
    partnership_id: UUID,
    *,
    plan_id: UUID | None = None,
    reference: str = "C-1",
) -> UUID:
    contribution_id = app.handle(
        a_contribution(partnership_id, plan_id=plan_id, reference=reference)
    )
    app.handle(triage(contribution_id))
    return contribution_id


# Plan

DEFAULT_TEMPLATE = LOCAL_INCLUSION_PLAN_V1


def _t(action: str, source: str, target: str) -> StageTransition:
    return StageTransition(action=action, source=source, target=target)


def a_workforce_template() -> PlanTemplate:
    """A template for a workforce steering group's plan: the same kinds of move
    as the local inclusion plan, under stage names of its own."""
    return PlanTemplate(
        name="workforce_plan",
        version=3,
        initial_stage="outline",
        editable_stages=("outline", "redrafting"),
        transitions=(
            _t("open_consultation", "outline", "engagement"),
            _t("close_consultation", "engagement", "redrafting"),
            _t("submit_for_qa", "redrafting", "board_review"),
            _t("request_changes", "board_review", "returned"),
            _t("revise", "returned", "redrafting"),
            _t("approve", "board_review", "endorsed"),
            _t("publish", "endorsed", "live"),
            _t("revise", "live", "redrafting"),
            _t("supersede", "live", "retired"),
        ),
        sections=(
            SectionTemplate(key="priorities", title="Workforce priorities"),
            SectionTemplate(key="training", title="Training offer"),
        ),
    )


def a_plan(
    partnership_id: UUID,
    *,
    template: PlanTemplate = DEFAULT_TEMPLATE,
    sections: Mapping[str, str] | None = None,
) -> commands.DraftPlan:
    if sections is None:
        sections = {s.key: "A first draft." for s in template.sections[:1]}
    return commands.DraftPlan(
        actor=SECRETARIAT,
        partnership_id=partnership_id,
        title=f"Eastvale {template.name} 2030-2033",
        template=template.ref,
        period_start=date(2030, 9, 1),
        period_end=date(2033, 8, 31),
        sections=dict(sections),
    )


def a_drafted_plan(
    app: LedgerApplication, partnership_id: UUID, *, template: PlanTemplate = DEFAULT_TEMPLATE
) -> UUID:
    return app.handle(a_plan(partnership_id, template=template))


def a_revision(
    plan_id: UUID, section: str = "health_commissioning", *, rationale: str = "Decision D-30-01."
) -> commands.ReviseSection:
    return commands.ReviseSection(
        actor=SECRETARIAT,
        plan_id=plan_id,
        section=section,
        text="The ICB will commission 4 FTE speech and language therapy assistants.",
        rationale=rationale,
    )


def open_consultation(plan_id: UUID) -> commands.OpenConsultation:
    return commands.OpenConsultation(
        actor=SECRETARIAT,
        plan_id=plan_id,
        opens_on=date(2030, 6, 10),
        closes_on=date(2030, 7, 31),
        channels=(Channel.SURVEY, Channel.FORUM),
        accessible_formats=("easy read",),
    )


def close_consultation(plan_id: UUID) -> commands.CloseConsultation:
    return commands.CloseConsultation(
        actor=SECRETARIAT, plan_id=plan_id, responses_received=120, summary="120 responses."
    )


def submit(plan_id: UUID) -> commands.SubmitPlanForQA:
    return commands.SubmitPlanForQA(actor=SECRETARIAT, plan_id=plan_id)


def qa_approves(plan_id: UUID) -> commands.RecordQAFeedback:
    return commands.RecordQAFeedback(actor=DFE, plan_id=plan_id, outcome=QAOutcome.APPROVED)


def qa_requests_changes(plan_id: UUID, *findings: str) -> commands.RecordQAFeedback:
    return commands.RecordQAFeedback(
        actor=DFE, plan_id=plan_id, outcome=QAOutcome.CHANGES_REQUESTED, findings=findings
    )


def approve(plan_id: UUID) -> commands.ApprovePlan:
    return commands.ApprovePlan(actor=CHAIR_ACTOR, plan_id=plan_id)


def publish(plan_id: UUID) -> commands.PublishPlan:
    return commands.PublishPlan(
        actor=SECRETARIAT,
        plan_id=plan_id,
        local_offer_url="https://www.eastvale.example/local-offer/plan",
    )


def a_plan_after_consultation(
    app: LedgerApplication, partnership_id: UUID, *, template: PlanTemplate = DEFAULT_TEMPLATE
) -> UUID:
    plan_id = a_drafted_plan(app, partnership_id, template=template)
    app.handle(open_consultation(plan_id))
    app.handle(close_consultation(plan_id))
    return plan_id


def a_submitted_plan(app: LedgerApplication, partnership_id: UUID) -> UUID:
    plan_id = a_plan_after_consultation(app, partnership_id)
    app.handle(submit(plan_id))
    return plan_id


def a_published_plan(app: LedgerApplication, partnership_id: UUID) -> UUID:
    plan_id = a_submitted_plan(app, partnership_id)
    app.handle(qa_approves(plan_id))
    app.handle(approve(plan_id))
    app.handle(publish(plan_id))
    return plan_id
