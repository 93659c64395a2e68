"""The Northmoor scenario of DOMAIN.md, written through the same commands any edge uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from domain.values import (
    Actor,
    Channel,
    ContributorKind,
    DecisionCategory,
    DecisionOutcome,
    Depth,
    Influence,
    QAOutcome,
    ResponseOutcome,
    Stance,
)
from services.demo.cast import (
    CHAIR,
    DFE,
    ENGAGEMENT,
    IDS,
    MEMBERS,
    PRESENT,
    SECRETARIAT,
    NorthmoorIds,
    ScenarioClock,
    at,
)
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1


def northmoor_steps() -> Iterator[tuple[datetime, commands.AnyCommand]]:
    """The scenario as (time, command) pairs, in the order they happened."""
    p, plan, d = IDS.partnership, IDS.plan, IDS.decision
    c118, c112 = IDS.contribution_c118, IDS.contribution_c112

    yield (
        at(2025, 9, 1),
        commands.EstablishPartnership(
            actor=SECRETARIAT,
            partnership_id=p,
            name="Northmoor SEND and AP Partnership",
            kind="local_send_ap_partnership",
            la_code="Z99",
            icb_code="QZZ",
        ),
    )
    for member_id, name, role, sector, organisation in MEMBERS:
        yield (
            at(2025, 9, 1, 11),
            commands.AppointMember(
                actor=SECRETARIAT,
                partnership_id=p,
                member_id=member_id,
                name=name,
                role=role,
                sector=sector,
                organisation=organisation,
            ),
        )
    yield (
        at(2025, 9, 8),
        commands.AdoptTermsOfReference(
            actor=CHAIR,
            partnership_id=p,
            quorum=5,
            forum_required=True,
            description="Quorum: 5 voting members including the parent carer forum.",
        ),
    )
    yield (
        at(2025, 9, 15),
        commands.DraftPlan(
            actor=SECRETARIAT,
            partnership_id=p,
            plan_id=plan,
            title="Northmoor Local Inclusion Plan 2026-2029",
            template=LOCAL_INCLUSION_PLAN_V1.ref,
            period_start=date(2026, 4, 1),
            period_end=date(2029, 3, 31),
            sections={
                "vision": "Every child and young person in Northmoor has their needs met early, "
                "close to home, in settings that know them.",
                "health_commissioning": "The ICB will review speech and language therapy "
                "capacity for children in early years and schools.",
                "ordinarily_available": "A shared ordinarily available provision guide for "
                "every setting.",
            },
        ),
    )
    yield (
        at(2025, 10, 1),
        commands.OpenConsultation(
            actor=SECRETARIAT,
            plan_id=plan,
            opens_on=date(2025, 10, 1),
            closes_on=date(2025, 11, 30),
            channels=(Channel.SURVEY, Channel.LISTENING_EVENT, Channel.FORUM),
            accessible_formats=("easy read", "Polish", "Urdu", "BSL video"),
        ),
    )
    yield (
        at(2025, 10, 20),
        commands.SubmitContribution(
            actor=ENGAGEMENT,
            partnership_id=p,
            plan_id=plan,
            contribution_id=c112,
            reference="C-112",
            subject_ref="subj-7f3a",
            contributor_kind=ContributorKind.PARENT_CARER,
            contributor_name="Parent of a four-year-old (name held)",
            channel=Channel.SURVEY,
            depth=Depth.CONSULTATION,
            themes=("speech and language", "waiting times"),
            sections=("health_commissioning",),
            text="We have waited 18 months for a speech and language therapy assessment.",
        ),
    )
    yield (
        at(2025, 11, 4),
        commands.SubmitContribution(
            actor=ENGAGEMENT,
            partnership_id=p,
            plan_id=plan,
            contribution_id=c118,
            reference="C-118",
            subject_ref="subj-2c91",
            contributor_kind=ContributorKind.PARENT_CARER,
            contributor_name="Rebecca Hall",
            channel=Channel.LISTENING_EVENT,
            depth=Depth.PARTICIPATION,
            themes=("speech and language", "post-16"),
            sections=("health_commissioning",),
            text="My son is 17 and at college; speech and language support stops at 16. "
            "Please cover post-16 settings too.",
        ),
    )
    yield (
        at(2025, 11, 10),
        commands.TriageContribution(
            actor=ENGAGEMENT,
            contribution_id=c112,
            themes=("speech and language",),
            sections=("health_commissioning",),
            note="Plan matter: SaLT capacity.",
        ),
    )
    yield (
        at(2025, 11, 10, 11),
        commands.TriageContribution(
            actor=ENGAGEMENT,
            contribution_id=c118,
            themes=("speech and language", "post-16"),
            sections=("health_commissioning",),
            note="Plan matter: SaLT reach into FE.",
        ),
    )
    yield (
        at(2025, 12, 1),
        commands.CloseConsultation(
            actor=SECRETARIAT,
            plan_id=plan,
            responses_received=412,
            summary="412 survey responses and three listening events.",
        ),
    )
    yield (
        at(2025, 12, 3),
        commands.ProposeDecision(
            actor=CHAIR,
            partnership_id=p,
            decision_id=d,
            reference="D-24-07",
            title="Early-language SaLT assistants",
            category=DecisionCategory.HEALTH_COMMISSIONING,
            text="Commission 6 full-time speech and language therapy assistants in an "
            "early-language model across early years settings and schools.",
            proposer_id="m-la-director",
            options=("6 FTE assistants", "3 FTE assistants and a training offer", "no change"),
            evidence=("18-month median wait for SaLT assessment", "Consultation: 412 responses"),
        ),
    )
    yield (
        at(2025, 12, 4),
        commands.LinkContribution(
            actor=SECRETARIAT,
            decision_id=d,
            contribution_id=c112,
            influence=Influence.INFORMED,
            note="Evidence of waiting times.",
        ),
    )
    yield (
        at(2025, 12, 4, 11),
        commands.LinkContribution(
            actor=SECRETARIAT,
            decision_id=d,
            contribution_id=c118,
            influence=Influence.AMENDED,
            note="Asks for post-16 settings to be covered.",
        ),
    )
    yield (
        at(2025, 12, 10),
        commands.AmendDecision(
            actor=CHAIR,
            decision_id=d,
            text="Commission 6 full-time speech and language therapy assistants in an "
            "early-language model across early years settings, schools and further "
            "education colleges.",
            caused_by=(c118,),
            rationale="Families asked that support continue post-16 (C-118).",
        ),
    )
    yield (
        at(2026, 1, 5),
        commands.DeclareInterest(
            actor=SECRETARIAT,
            partnership_id=p,
            member_id="m-fe-principal",
            decision_id=d,
            has_interest=False,
            nature="",
        ),
    )
    yield (
        at(2026, 1, 5, 11),
        commands.DeclareInterest(
            actor=SECRETARIAT,
            partnership_id=p,
            member_id="m-icb-lead",
            decision_id=d,
            has_interest=True,
            nature="The ICB commissions and funds the SaLT service.",
        ),
    )
    yield (
        at(2026, 1, 6),
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=p,
            meeting_id=IDS.meeting,
            title="Partnership board, 14 January 2026",
            held_at=at(2026, 1, 14, 14),
        ),
    )
    yield (
        at(2026, 1, 14, 14),
        commands.RecordAttendance(
            actor=SECRETARIAT,
            meeting_id=IDS.meeting,
            present=PRESENT,
            apologies=("m-ap-head", "m-social-care"),
        ),
    )
    votes = (
        ("m-la-director", Stance.FOR, "Meets the need families described."),
        ("m-icb-lead", Stance.FOR, "Supports the model."),
        ("m-forum-cochair", Stance.FOR, "Parents asked for exactly this."),
        ("m-early-years", Stance.FOR, ""),
        ("m-primary-head", Stance.FOR, ""),
        ("m-special-head", Stance.ABSTAIN, "Supports it, but wants the workforce plan first."),
        ("m-fe-principal", Stance.FOR, "Post-16 learners now included."),
        ("m-young-people", Stance.FOR, "Young people at college need this too."),
    )
    for minute, (member_id, stance, reason) in enumerate(votes):
        yield (
            at(2026, 1, 14, 15).replace(minute=minute),
            commands.RecordVote(
                actor=Actor(id=member_id, role="member"),
                decision_id=d,
                member_id=member_id,
                stance=stance,
                reason=reason,
            ),
        )
    yield (
        at(2026, 1, 14, 16),
        commands.TakeDecision(
            actor=CHAIR,
            decision_id=d,
            meeting_id=IDS.meeting,
            outcome=DecisionOutcome.APPROVED,
            rationale="Long waits for SaLT across ages; an early-language model with FE coverage "
            "meets the need parents described at the best value.",
            coproduced=True,
        ),
    )
    yield (
        at(2026, 1, 16),
        commands.IssueResponse(
            actor=SECRETARIAT,
            contribution_id=c118,
            outcome=ResponseOutcome.PARTLY_ADOPTED,
            rationale="FE added now; sixth forms from 2026.",
            actions=("A-31: recruit SaLT assistants, including for FE colleges",),
        ),
    )
    yield (
        at(2026, 1, 16, 11),
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT,
            contribution_id=c118,
            summary="A parent asked that speech and language support continue into post-16 "
            "settings.",
        ),
    )
    yield (
        at(2026, 1, 16, 12),
        commands.IssueResponse(
            actor=SECRETARIAT,
            contribution_id=c112,
            outcome=ResponseOutcome.ADOPTED,
            rationale="Six SaLT assistants commissioned to cut waits.",
        ),
    )
    yield (
        at(2026, 1, 16, 13),
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT,
            contribution_id=c112,
            summary="Families reported long waits for speech and language therapy.",
        ),
    )
    yield (
        at(2026, 1, 19),
        commands.NotifyContributor(
            actor=SECRETARIAT,
            contribution_id=c118,
            channel="email",
        ),
    )
    yield (
        at(2026, 1, 19, 11),
        commands.CommitAction(
            actor=CHAIR,
            decision_id=d,
            action_id=IDS.action,
            reference="A-31",
            title="Recruit 6 FTE SaLT assistants, including for FE colleges",
            owner="Northmoor and Dale ICB",
            due_on=date(2026, 3, 31),
            measure="6 FTE in post; median wait under 18 weeks by March 2027",
        ),
    )
    yield (
        at(2026, 1, 20),
        commands.ReviseSection(
            actor=SECRETARIAT,
            plan_id=plan,
            section="health_commissioning",
            text="The ICB will commission 6 full-time SaLT assistants in an early-language model "
            "across early years settings, schools and further education colleges.",
            rationale="Decision D-24-07, shaped by contribution C-118.",
            cited_decisions=(d,),
            cited_contributions=(c118, c112),
        ),
    )
    yield at(2026, 2, 2), commands.SubmitPlanForQA(actor=SECRETARIAT, plan_id=plan)
    yield (
        at(2026, 2, 16),
        commands.ReportProgress(
            actor=Actor(id="m-icb-lead", role="member"),
            action_id=IDS.action,
            note="3 of 6 SaLT assistants recruited.",
            percent_complete=50,
        ),
    )
    yield (
        at(2026, 3, 2),
        commands.RecordQAFeedback(
            actor=DFE,
            plan_id=plan,
            outcome=QAOutcome.CHANGES_REQUESTED,
            findings=("Say how SaLT capacity and waiting times will be measured.",),
        ),
    )
    yield (
        at(2026, 3, 10),
        commands.ReviseSection(
            actor=SECRETARIAT,
            plan_id=plan,
            section="health_commissioning",
            text="The ICB will commission 6 full-time SaLT assistants in an early-language model "
            "across early years settings, schools and further education colleges. Success: "
            "6 FTE in post and a median wait under 18 weeks, reported each quarter.",
            rationale="DfE QA feedback asked how capacity and waits will be measured.",
            cited_decisions=(d,),
            cited_contributions=(c118,),
        ),
    )
    yield at(2026, 3, 16), commands.SubmitPlanForQA(actor=SECRETARIAT, plan_id=plan)
    yield (
        at(2026, 4, 20),
        commands.RecordQAFeedback(
            actor=DFE,
            plan_id=plan,
            outcome=QAOutcome.APPROVED,
            findings=(),
        ),
    )
    yield at(2026, 4, 22), commands.ApprovePlan(actor=CHAIR, plan_id=plan)
    yield (
        at(2026, 5, 1),
        commands.PublishPlan(
            actor=SECRETARIAT,
            plan_id=plan,
            local_offer_url="https://www.northmoor.example/local-offer/inclusion-plan",
        ),
    )
    yield (
        at(2026, 5, 1, 11),
        commands.ScheduleReview(
            actor=CHAIR,
            decision_id=d,
            review_on=date(2027, 5, 1),
            reason="Annual review of SaLT capacity and waits.",
        ),
    )


def write_northmoor(app: LedgerApplication, clock: ScenarioClock) -> NorthmoorIds:
    """Write the whole scenario through the service; the clock follows the story."""
    for when, command in northmoor_steps():
        clock.set(when)
        app.handle(command)
    return IDS
