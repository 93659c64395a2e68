"""Evidence packs for one plan: the DfE quality-assurance pack and the Ofsted/CQC
area SEND inspection pack (rendered as Markdown by `projections.pack_markdown`).

Both are built from documents alone, with `today` passed in, so the same pack
comes out of the live read models, a rebuild or a time-travel fold. Members appear by
the names the partnership holds for them; contributions only by reference,
kind, channel, de-identified summary and response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.plan import PlanSubmittedForQA
from projections.documents import (
    ActionDoc,
    ContributionDoc,
    DecisionDoc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
)
from projections.measures import (
    CoproductionMeasures,
    coproduction_measures,
    on_plan,
    plan_decision_ids,
    position_of,
)
from projections.provenance import (
    DecisionProvenance,
    DocRef,
    Names,
    PersonRef,
    PlanCitation,
    decision_provenance,
)
from projections.reg56 import YouSaidWeDid, you_said_we_did
from projections.register import ActionTracker, action_tracker

# What the packs hold


class PlanIdentity(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: UUID
    title: str
    partnership_id: UUID
    partnership_name: str
    partnership_kind: str
    la_code: str
    icb_code: str
    template: str
    template_version: int
    period_start: date
    period_end: date
    stage: str
    version: int
    drafted_at: datetime
    local_offer_url: str
    superseded_by: UUID | None


class StageEntry(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    event: str
    at: datetime
    by: PersonRef


class SubmissionEntry(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    content_hash: str
    submitted_at: datetime | None


class SectionEntry(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    revision: int
    text: str


class RevisionEntry(msgspec.Struct, frozen=True, kw_only=True):
    section: str
    section_title: str
    revision: int
    text: str
    rationale: str
    revised_at: datetime
    revised_by: PersonRef
    cited_decisions: list[DocRef]
    cited_contributions: list[DocRef]


class ConsultationEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`contributions_recorded` counts the plan's contributions submitted in the window."""

    opens_on: date
    closes_on: date
    channels: list[str]
    accessible_formats: list[str]
    closed_at: datetime | None
    responses_received: int | None
    summary: str
    contributions_recorded: int


class QAFeedbackEntry(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str
    findings: list[str]
    at: datetime
    by: PersonRef


class CitedDecision(msgspec.Struct, frozen=True, kw_only=True):
    decision_id: UUID
    reference: str
    title: str
    category: str
    status: str
    outcome: str | None
    taken_at: datetime | None
    """When the meeting that took it was held."""
    recorded_at: datetime | None
    """When it was recorded as taken."""
    rationale: str
    terms_version: int | None
    quorum_required: int | None
    quorum_met: bool | None
    members_present: int
    forum_present: bool | None
    coproduced: bool
    citations: list[PlanCitation]
    """The revisions of this plan that cite the decision."""


class QAPack(msgspec.Struct, frozen=True, kw_only=True, tag="qa_pack"):
    as_of: date
    position: int
    plan: PlanIdentity
    stages: list[StageEntry]
    submissions: list[SubmissionEntry]
    sections: list[SectionEntry]
    revisions: list[RevisionEntry]
    consultations: list[ConsultationEntry]
    qa_feedback: list[QAFeedbackEntry]
    decisions: list[CitedDecision]
    actions: ActionTracker
    measures: CoproductionMeasures
    you_said_we_did: YouSaidWeDid
    linked_decisions: list[DocRef]


class InspectionPack(msgspec.Struct, frozen=True, kw_only=True, tag="inspection_pack"):
    as_of: date
    position: int
    plan: PlanIdentity
    decisions: list[DecisionProvenance]
    """Who shaped each decision the plan cites: the account `decision show` gives."""
    measures: CoproductionMeasures
    actions: ActionTracker


# Building the packs


def qa_pack(
    plan: PlanDoc,
    partnership: PartnershipDoc,
    decisions: list[DecisionDoc],
    contributions: list[ContributionDoc],
    actions: list[ActionDoc],
    meetings: list[MeetingDoc],
    *,
    today: date,
) -> QAPack:
    """What DfE quality assurance reviews: the plan, how it changed and why, the
    consultation, feedback so far, the decisions it rests on and the measures."""
    ctx = _Context(plan, partnership, decisions, contributions, actions, meetings)
    measures = coproduction_measures(
        partnership, decisions, contributions, meetings, today=today, plan=plan
    )
    reg56 = you_said_we_did(partnership, ctx.plan_contributions)
    linked = {d.decision_id for e in reg56.entries for d in e.decisions}
    tracker = action_tracker(ctx.actions_of(actions), ctx.plan_decisions, today=today)
    return QAPack(
        as_of=today,
        position=max(ctx.position, measures.position, reg56.position, tracker.position),
        plan=ctx.identity(),
        stages=[
            StageEntry(stage=s.stage, event=s.event, at=s.at, by=ctx.person(s.by))
            for s in plan.stages
        ],
        submissions=_submissions(plan),
        sections=[
            SectionEntry(key=s.key, title=s.title, revision=s.revision, text=s.text)
            for s in plan.sections
        ],
        revisions=[
            RevisionEntry(
                section=r.section,
                section_title=ctx.section_title(r.section),
                revision=r.revision,
                text=r.text,
                rationale=r.rationale,
                revised_at=r.revised_at,
                revised_by=ctx.person(r.revised_by),
                cited_decisions=[ctx.decision_ref(d) for d in r.cited_decisions],
                cited_contributions=[ctx.contribution_ref(c) for c in r.cited_contributions],
            )
            for r in plan.revisions
        ],
        consultations=[
            ConsultationEntry(
                opens_on=c.opens_on,
                closes_on=c.closes_on,
                channels=list(c.channels),
                accessible_formats=list(c.accessible_formats),
                closed_at=c.closed_at,
                responses_received=c.responses_received,
                summary=c.summary,
                contributions_recorded=sum(
                    c.opens_on <= k.submitted_at.date() <= c.closes_on
                    for k in ctx.plan_contributions
                ),
            )
            for c in plan.consultations
        ],
        qa_feedback=[
            QAFeedbackEntry(
                outcome=f.outcome, findings=list(f.findings), at=f.at, by=ctx.person(f.by)
            )
            for f in plan.qa_feedback
        ],
        decisions=[_cited(ctx.provenance(d), plan) for d in ctx.plan_decisions],
        actions=tracker,
        measures=measures,
        you_said_we_did=reg56,
        linked_decisions=sorted(
            (ctx.decision_ref(d) for d in linked), key=lambda r: (r.reference, str(r.id))
        ),
    )


def inspection_pack(
    plan: PlanDoc,
    partnership: PartnershipDoc,
    decisions: list[DecisionDoc],
    contributions: list[ContributionDoc],
    actions: list[ActionDoc],
    meetings: list[MeetingDoc],
    *,
    today: date,
) -> InspectionPack:
    """What an area SEND inspection asks: for each decision the plan rests on,
    who shaped it, and what followed from it."""
    ctx = _Context(plan, partnership, decisions, contributions, actions, meetings)
    measures = coproduction_measures(
        partnership, decisions, contributions, meetings, today=today, plan=plan
    )
    tracker = action_tracker(ctx.actions_of(actions), ctx.plan_decisions, today=today)
    return InspectionPack(
        as_of=today,
        position=max(ctx.position, measures.position, tracker.position),
        plan=ctx.identity(),
        decisions=[ctx.provenance(d) for d in ctx.plan_decisions],
        measures=measures,
        actions=tracker,
    )


class _Context:
    """The documents a pack draws on, indexed, and how to name what they refer to."""

    def __init__(
        self,
        plan: PlanDoc,
        partnership: PartnershipDoc,
        decisions: Sequence[DecisionDoc],
        contributions: Sequence[ContributionDoc],
        actions: Sequence[ActionDoc],
        meetings: Sequence[MeetingDoc],
    ) -> None:
        if plan.partnership_id != partnership.id:
            raise ValueError(f"Plan {plan.id} does not belong to partnership {partnership.id}.")
        self.plan = plan
        self.partnership = partnership
        self.decisions = {d.id: d for d in decisions if d.partnership_id == partnership.id}
        self.contributions = {c.id: c for c in contributions if c.partnership_id == partnership.id}
        self.meetings = {m.id: m for m in meetings if m.partnership_id == partnership.id}
        self.actions = {a.id: a for a in actions if a.partnership_id == partnership.id}
        self.names = Names(partnership)
        cited = plan_decision_ids(plan, self.decisions.values())
        self.plan_decisions = sorted(
            (d for d in self.decisions.values() if d.id in cited),
            key=lambda d: (d.proposed_at, d.reference),
        )
        self.plan_contributions = [c for c in self.contributions.values() if on_plan(c, plan)]
        self.titles = {s.key: s.title for s in plan.template.sections}

    @property
    def position(self) -> int:
        linked = [
            self.contributions.get(link.contribution_id)
            for d in self.plan_decisions
            for link in d.links
        ]
        held = [self.meetings.get(d.taken.meeting_id) for d in self.plan_decisions if d.taken]
        return max(
            self.plan.position,
            self.partnership.position,
            position_of(self.plan_decisions),
            position_of(self.plan_contributions),
            position_of(linked),
            position_of(held),
        )

    def identity(self) -> PlanIdentity:
        plan, partnership = self.plan, self.partnership
        return PlanIdentity(
            plan_id=plan.id,
            title=plan.title,
            partnership_id=partnership.id,
            partnership_name=partnership.name,
            partnership_kind=partnership.kind,
            la_code=partnership.la_code,
            icb_code=partnership.icb_code,
            template=plan.template.name,
            template_version=plan.template.version,
            period_start=plan.period_start,
            period_end=plan.period_end,
            stage=plan.stage,
            version=len(plan.submitted_versions),
            drafted_at=plan.drafted_at,
            local_offer_url=plan.local_offer_url,
            superseded_by=plan.superseded_by,
        )

    def person(self, person_id: str) -> PersonRef:
        return self.names.member(person_id)

    def provenance(self, decision: DecisionDoc) -> DecisionProvenance:
        """The decision's account, as `decision show` gives it."""
        return decision_provenance(
            decision,
            partnership=self.partnership,
            contributions=self.contributions,
            meeting=self.meetings.get(decision.taken.meeting_id) if decision.taken else None,
            actions=self.actions,
            decisions=self.decisions,
        )

    def decision_ref(self, decision_id: UUID) -> DocRef:
        found = self.decisions.get(decision_id)
        return DocRef(id=decision_id, reference=found.reference if found else str(decision_id))

    def contribution_ref(self, contribution_id: UUID) -> DocRef:
        found = self.contributions.get(contribution_id)
        return DocRef(
            id=contribution_id, reference=found.reference if found else str(contribution_id)
        )

    def actions_of(self, actions: Iterable[ActionDoc]) -> list[ActionDoc]:
        """The actions that follow from the decisions the plan cites."""
        cited = {d.id for d in self.plan_decisions}
        return [
            a for a in actions if a.decision_id in cited and a.partnership_id == self.partnership.id
        ]

    def section_title(self, key: str) -> str:
        return self.titles.get(key, key)


def _submissions(plan: PlanDoc) -> list[SubmissionEntry]:
    # The plan document keeps each submitted version's hash but not its time;
    # every submission moves the plan into a new stage, so the submissions'
    # stage changes pair with the versions in order when the counts agree.
    versions = sorted(plan.submitted_versions.items())
    times = [s.at for s in plan.stages if s.event == PlanSubmittedForQA.TOPIC]
    paired: list[datetime | None] = list(times) if len(times) == len(versions) else []
    paired += [None] * (len(versions) - len(paired))
    return [
        SubmissionEntry(version=v, content_hash=h, submitted_at=at)
        for (v, h), at in zip(versions, paired, strict=True)
    ]


def _cited(p: DecisionProvenance, plan: PlanDoc) -> CitedDecision:
    taken = p.taken
    return CitedDecision(
        decision_id=p.id,
        reference=p.reference,
        title=p.title,
        category=p.category,
        status=p.status,
        outcome=taken.outcome if taken else None,
        taken_at=taken.taken_at if taken else None,
        recorded_at=taken.recorded.at if taken else None,
        rationale=taken.recorded.why if taken else "",
        terms_version=taken.terms_version if taken else None,
        quorum_required=taken.quorum_required if taken else None,
        quorum_met=taken.quorum_met if taken else None,
        members_present=len(taken.meeting.present) if taken else 0,
        forum_present=taken.forum_present if taken else None,
        coproduced=taken.coproduced if taken else False,
        citations=[c for c in p.plan_revisions if c.plan.id == plan.id],
    )
