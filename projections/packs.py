"""Evidence packs for one plan: the DfE quality-assurance pack and the Ofsted/CQC
area SEND inspection pack, and their Markdown rendering.

Both are built from documents alone, with `today` passed in, so the same pack
comes out of the live views, a rebuild or a time-travel fold. Members appear by
the names the partnership holds for them; contributions only by reference,
kind, channel, de-identified summary and response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.decision import Tally
from domain.plan import PlanSubmittedForQA
from projections.documents import (
    ActionDoc,
    ContributionDoc,
    DecisionDoc,
    LinkDoc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
    TakenDoc,
)
from projections.measures import (
    CoproductionMeasures,
    Ratio,
    coproduction_measures,
    on_plan,
    plan_decision_ids,
    position_of,
)
from projections.reg56 import YouSaidWeDid, you_said_we_did
from projections.register import ActionEntry, ActionTracker, action_entry, action_tracker

# What the packs hold


class PersonRef(msgspec.Struct, frozen=True, kw_only=True):
    """A member as the partnership knows them, or a staff user by id alone."""

    id: str
    name: str
    role: str = ""
    sector: str = ""
    organisation: str = ""
    member: bool = False


class DocRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    reference: str


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


class CitationEntry(msgspec.Struct, frozen=True, kw_only=True):
    section: str
    section_title: str
    revision: int
    revised_at: datetime


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
    rationale: str
    terms_version: int | None
    quorum_required: int | None
    quorum_met: bool | None
    members_present: int
    forum_present: bool | None
    coproduced: bool
    citations: list[CitationEntry]


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


class LinkEvidence(msgspec.Struct, frozen=True, kw_only=True):
    contribution_id: UUID
    reference: str
    contributor_kind: str
    channel: str
    depth: str
    influence: str
    note: str
    linked_at: datetime
    linked_by: PersonRef
    unlinked_at: datetime | None
    unlink_reason: str
    summary: str
    response_outcome: str | None
    response_rationale: str
    responded_on: date | None


class AmendmentEvidence(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    rationale: str
    caused_by: list[DocRef]
    amended_at: datetime
    amended_by: PersonRef


class InterestEvidence(msgspec.Struct, frozen=True, kw_only=True):
    member: PersonRef
    has_interest: bool
    nature: str
    declared_at: datetime


class VoteEvidence(msgspec.Struct, frozen=True, kw_only=True):
    member: PersonRef
    stance: str
    reason: str
    recorded_at: datetime
    excluded: bool
    exclusion_reason: str


class DissentEvidence(msgspec.Struct, frozen=True, kw_only=True):
    member: PersonRef
    stance: str
    reason: str


class MeetingEvidence(msgspec.Struct, frozen=True, kw_only=True):
    meeting_id: UUID
    title: str
    held_at: datetime | None
    present: list[PersonRef]
    apologies: list[PersonRef]
    minutes_approved: bool


class TakenEvidence(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str
    rationale: str
    taken_at: datetime
    taken_by: PersonRef
    meeting: MeetingEvidence
    terms_version: int
    quorum_required: int
    quorum_met: bool
    forum_present: bool
    coproduced: bool
    tally: Tally
    excluded_votes: list[PersonRef]
    absent_votes: list[PersonRef]
    dissent: list[DissentEvidence]


class DecisionEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """Who shaped one decision, from proposal to the actions that followed."""

    decision_id: UUID
    reference: str
    title: str
    category: str
    status: str
    text: str
    original_text: str
    options: list[str]
    evidence: list[str]
    proposer: PersonRef
    proposed_at: datetime
    contributions: list[LinkEvidence]
    amendments: list[AmendmentEvidence]
    interests: list[InterestEvidence]
    votes: list[VoteEvidence]
    taken: TakenEvidence | None
    deferrals: list[str]
    reviews: list[date]
    superseded_by: UUID | None
    citations: list[CitationEntry]
    actions: list[ActionEntry]


class InspectionPack(msgspec.Struct, frozen=True, kw_only=True, tag="inspection_pack"):
    as_of: date
    position: int
    plan: PlanIdentity
    decisions: list[DecisionEvidence]
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
    ctx = _Context(plan, partnership, decisions, contributions, meetings)
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
        decisions=[_cited(d, ctx) for d in ctx.plan_decisions],
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
    ctx = _Context(plan, partnership, decisions, contributions, meetings)
    measures = coproduction_measures(
        partnership, decisions, contributions, meetings, today=today, plan=plan
    )
    plan_actions = ctx.actions_of(actions)
    tracker = action_tracker(plan_actions, ctx.plan_decisions, today=today)
    evidence = [
        _evidence(d, ctx, [a for a in plan_actions if a.decision_id == d.id], today)
        for d in ctx.plan_decisions
    ]
    return InspectionPack(
        as_of=today,
        position=max(ctx.position, measures.position, tracker.position),
        plan=ctx.identity(),
        decisions=evidence,
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
        meetings: Sequence[MeetingDoc],
    ) -> None:
        if plan.partnership_id != partnership.id:
            raise ValueError(f"Plan {plan.id} does not belong to partnership {partnership.id}.")
        self.plan = plan
        self.partnership = partnership
        self.decisions = {d.id: d for d in decisions if d.partnership_id == partnership.id}
        self.contributions = {c.id: c for c in contributions if c.partnership_id == partnership.id}
        self.meetings = {m.id: m for m in meetings if m.partnership_id == partnership.id}
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
        member = self.partnership.members.get(person_id)
        if member is None:
            return PersonRef(id=person_id, name=person_id)
        return PersonRef(
            id=member.member_id,
            name=member.name,
            role=member.role,
            sector=member.sector.value,
            organisation=member.organisation,
            member=True,
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

    def citations(self, decision: DecisionDoc) -> list[CitationEntry]:
        return [
            CitationEntry(
                section=r.section,
                section_title=self.section_title(r.section),
                revision=r.revision,
                revised_at=r.revised_at,
            )
            for r in self.plan.revisions
            if decision.id in r.cited_decisions
        ]


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


def _cited(decision: DecisionDoc, ctx: _Context) -> CitedDecision:
    taken = decision.taken
    return CitedDecision(
        decision_id=decision.id,
        reference=decision.reference,
        title=decision.title,
        category=decision.category,
        status=decision.status,
        outcome=taken.outcome if taken else None,
        taken_at=taken.taken_at if taken else None,
        rationale=taken.rationale if taken else "",
        terms_version=taken.terms_version if taken else None,
        quorum_required=taken.quorum_required if taken else None,
        quorum_met=taken.quorum_met if taken else None,
        members_present=len(taken.members_present) if taken else 0,
        forum_present=taken.forum_present if taken else None,
        coproduced=taken.coproduced if taken else False,
        citations=ctx.citations(decision),
    )


def _link(link: LinkDoc, ctx: _Context) -> LinkEvidence:
    found = ctx.contributions.get(link.contribution_id)
    response = found.response if found else None
    return LinkEvidence(
        contribution_id=link.contribution_id,
        reference=ctx.contribution_ref(link.contribution_id).reference,
        contributor_kind=found.contributor_kind if found else "",
        channel=found.channel if found else "",
        depth=found.depth if found else "",
        influence=link.influence,
        note=link.note,
        linked_at=link.linked_at,
        linked_by=ctx.person(link.linked_by),
        unlinked_at=link.unlinked_at,
        unlink_reason=link.unlink_reason,
        summary=found.summary if found else "",
        response_outcome=response.outcome if response else None,
        response_rationale=response.rationale if response else "",
        responded_on=response.at.date() if response else None,
    )


def _votes(decision: DecisionDoc, ctx: _Context) -> list[VoteEvidence]:
    taken = decision.taken
    interested = {i.member_id for i in decision.interests if i.has_interest}
    excluded = set(taken.excluded_votes) if taken else interested
    absent = set(taken.absent_votes) if taken else set()
    result = []
    for vote in decision.votes:
        reason = ""
        if vote.member_id in excluded:
            reason = "declared an interest"
        elif vote.member_id in absent:
            reason = "not present when the decision was taken"
        result.append(
            VoteEvidence(
                member=ctx.person(vote.member_id),
                stance=vote.stance,
                reason=vote.reason,
                recorded_at=vote.recorded_at,
                excluded=bool(reason),
                exclusion_reason=reason,
            )
        )
    return result


def _taken(taken: TakenDoc, ctx: _Context) -> TakenEvidence:
    meeting = ctx.meetings.get(taken.meeting_id)
    return TakenEvidence(
        outcome=taken.outcome,
        rationale=taken.rationale,
        taken_at=taken.taken_at,
        taken_by=ctx.person(taken.taken_by),
        meeting=MeetingEvidence(
            meeting_id=taken.meeting_id,
            title=meeting.title if meeting else "",
            held_at=meeting.held_at if meeting else None,
            present=[ctx.person(m) for m in taken.members_present],
            apologies=[ctx.person(m) for m in meeting.apologies] if meeting else [],
            minutes_approved=meeting.minutes_approved if meeting else False,
        ),
        terms_version=taken.terms_version,
        quorum_required=taken.quorum_required,
        quorum_met=taken.quorum_met,
        forum_present=taken.forum_present,
        coproduced=taken.coproduced,
        tally=taken.tally,
        excluded_votes=[ctx.person(m) for m in taken.excluded_votes],
        absent_votes=[ctx.person(m) for m in taken.absent_votes],
        dissent=[
            DissentEvidence(member=ctx.person(d.member_id), stance=d.stance.value, reason=d.reason)
            for d in taken.dissent
        ],
    )


def _evidence(
    decision: DecisionDoc, ctx: _Context, actions: Sequence[ActionDoc], today: date
) -> DecisionEvidence:
    return DecisionEvidence(
        decision_id=decision.id,
        reference=decision.reference,
        title=decision.title,
        category=decision.category,
        status=decision.status,
        text=decision.text,
        original_text=decision.original_text,
        options=list(decision.options),
        evidence=list(decision.evidence),
        proposer=ctx.person(decision.proposer_id),
        proposed_at=decision.proposed_at,
        contributions=[_link(link, ctx) for link in decision.links],
        amendments=[
            AmendmentEvidence(
                text=a.text,
                rationale=a.rationale,
                caused_by=[ctx.contribution_ref(c) for c in a.caused_by],
                amended_at=a.amended_at,
                amended_by=ctx.person(a.amended_by),
            )
            for a in decision.amendments
        ],
        interests=[
            InterestEvidence(
                member=ctx.person(i.member_id),
                has_interest=i.has_interest,
                nature=i.nature,
                declared_at=i.declared_at,
            )
            for i in decision.interests
        ],
        votes=_votes(decision, ctx),
        taken=_taken(decision.taken, ctx) if decision.taken else None,
        deferrals=list(decision.deferrals),
        reviews=list(decision.reviews),
        superseded_by=decision.superseded_by,
        citations=ctx.citations(decision),
        actions=[
            action_entry(a, decision, today)
            for a in sorted(actions, key=lambda a: (a.due_on, a.reference))
        ],
    )


# Markdown


def render_markdown(pack: QAPack | InspectionPack) -> str:
    """The pack as a readable Markdown document."""
    lines = _qa_lines(pack) if isinstance(pack, QAPack) else _inspection_lines(pack)
    return "\n".join(lines).rstrip() + "\n"


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _line(value: object) -> str:
    return " ".join(str(value).split())


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    out.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return [*out, ""]


def _when(at: datetime | date | None) -> str:
    if at is None:
        return ""
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%d %H:%M %Z").strip()
    return at.isoformat()


def _share(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _ratio(r: Ratio) -> str:
    return f"{r.count} of {r.of} ({_share(r.share)})"


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _who(person: PersonRef) -> str:
    if not person.member:
        return person.name
    return f"{person.name} ({person.role})" if person.role else person.name


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _words(key: str) -> str:
    return key.replace("_", " ")


def _header(title: str, pack: QAPack | InspectionPack) -> list[str]:
    p = pack.plan
    return [
        f"# {_line(title)}: {_line(p.title)}",
        "",
        f"{_line(p.partnership_name)} (local authority {p.la_code}, ICB {p.icb_code}). "
        f"As of {pack.as_of.isoformat()}; reflects ledger position {pack.position}.",
        "",
        "## Plan",
        "",
        *_table(
            ("Field", "Value"),
            [
                ("Plan id", p.plan_id),
                ("Template", f"{p.template} v{p.template_version}"),
                ("Period", f"{p.period_start.isoformat()} to {p.period_end.isoformat()}"),
                ("Stage", _words(p.stage)),
                ("Versions submitted", p.version),
                ("Drafted", _when(p.drafted_at)),
                ("Local offer", p.local_offer_url or "not published"),
                ("Superseded by", p.superseded_by or ""),
            ],
        ),
    ]


def _qa_lines(pack: QAPack) -> list[str]:
    lines = _header("DfE quality assurance pack", pack)
    lines += ["## Stage history", ""]
    lines += _table(
        ("Date", "Stage", "Event", "By"),
        [(_when(s.at), _words(s.stage), s.event, _who(s.by)) for s in pack.stages],
    )
    lines += ["## Submitted versions", ""]
    lines += (
        _table(
            ("Version", "Submitted", "Content hash"),
            [(s.version, _when(s.submitted_at), f"`{s.content_hash}`") for s in pack.submissions],
        )
        if pack.submissions
        else ["Not yet submitted.", ""]
    )
    lines += ["## Current sections", ""]
    for s in pack.sections:
        text = s.text.strip() or "_No text yet._"
        lines += [f"### {_line(s.title)} (revision {s.revision})", "", text, ""]
    lines += ["## Revision history", ""]
    lines += _table(
        ("Section", "Revision", "Date", "By", "Rationale", "Decisions cited", "Contributions"),
        [
            (
                r.section_title,
                r.revision,
                _when(r.revised_at),
                _who(r.revised_by),
                r.rationale,
                ", ".join(d.reference for d in r.cited_decisions),
                ", ".join(c.reference for c in r.cited_contributions),
            )
            for r in pack.revisions
        ],
    )
    lines += ["## Consultation", ""]
    lines += (
        _table(
            (
                "Opens",
                "Closes",
                "Channels",
                "Accessible formats",
                "Closed",
                "Responses",
                "Contributions recorded",
                "Summary",
            ),
            [
                (
                    _when(c.opens_on),
                    _when(c.closes_on),
                    ", ".join(_words(ch) for ch in c.channels),
                    ", ".join(c.accessible_formats),
                    _when(c.closed_at) or "open",
                    c.responses_received,
                    c.contributions_recorded,
                    c.summary,
                )
                for c in pack.consultations
            ],
        )
        if pack.consultations
        else ["No consultation recorded.", ""]
    )
    lines += ["## QA feedback", ""]
    lines += (
        _table(
            ("Date", "Outcome", "Findings", "By"),
            [
                (_when(f.at), _words(f.outcome), "; ".join(f.findings) or "none", _who(f.by))
                for f in pack.qa_feedback
            ],
        )
        if pack.qa_feedback
        else ["No feedback yet.", ""]
    )
    lines += ["## Decisions cited", ""]
    lines += (
        _table(
            (
                "Reference",
                "Title",
                "Category",
                "Status",
                "Outcome",
                "Taken",
                "Quorum",
                "Forum present",
                "Co-produced",
                "Cited in",
            ),
            [
                (
                    d.reference,
                    d.title,
                    _words(d.category),
                    _words(d.status),
                    d.outcome or "",
                    _when(d.taken_at),
                    _quorum(d.quorum_required, d.quorum_met, d.members_present),
                    _yes(d.forum_present),
                    _yes(d.coproduced),
                    ", ".join(f"{c.section_title} r{c.revision}" for c in d.citations),
                )
                for d in pack.decisions
            ],
        )
        if pack.decisions
        else ["The plan cites no decisions.", ""]
    )
    lines += ["## Actions arising", ""]
    lines += _tracker_lines(pack.actions)
    lines += _measures_lines(pack.measures)
    lines += _reg56_lines(pack.you_said_we_did, {d.id: d.reference for d in pack.linked_decisions})
    return lines


def _quorum(required: int | None, met: bool | None, present: int) -> str:
    if required is None:
        return ""
    return f"{present} present, {required} required, {'met' if met else 'not met'}"


def _inspection_lines(pack: InspectionPack) -> list[str]:
    lines = _header("Inspection evidence pack", pack)
    lines += ["## Who shaped each decision", ""]
    if not pack.decisions:
        lines += ["The plan cites no decisions.", ""]
    for d in pack.decisions:
        lines += _decision_lines(d)
    lines += _measures_lines(pack.measures)
    lines += ["## Action tracker", ""]
    lines += _tracker_lines(pack.actions)
    return lines


def _tracker_lines(t: ActionTracker) -> list[str]:
    lines = [
        f"{_count(t.total, 'action')}: {t.completed} completed, {t.open} open, "
        f"{t.overdue} overdue.",
        "",
    ]
    return lines + _actions_table(t.entries) if t.entries else lines


def _decision_lines(d: DecisionEvidence) -> list[str]:
    lines = [f"### {_line(d.reference)}: {_line(d.title)}", ""]
    lines += _table(
        ("Field", "Value"),
        [
            ("Category", _words(d.category)),
            ("Status", _words(d.status)),
            ("Proposed by", _who(d.proposer)),
            ("Proposed", _when(d.proposed_at)),
            ("Options", "; ".join(d.options)),
            ("Evidence", "; ".join(d.evidence)),
            ("Text as proposed", d.original_text),
            ("Text as decided" if d.taken else "Current text", d.text),
            ("Deferred", "; ".join(d.deferrals)),
            ("Reviews", ", ".join(r.isoformat() for r in d.reviews)),
            ("Superseded by", d.superseded_by or ""),
        ],
    )
    lines += ["#### Contributions linked", ""]
    lines += (
        _table(
            (
                "Reference",
                "From",
                "Channel",
                "Depth",
                "Influence",
                "Note",
                "Linked",
                "Unlinked",
                "Summary",
                "Response",
                "Responded",
            ),
            [
                (
                    c.reference,
                    _words(c.contributor_kind),
                    _words(c.channel),
                    c.depth,
                    c.influence,
                    c.note,
                    _when(c.linked_at),
                    f"{_when(c.unlinked_at)}: {c.unlink_reason}" if c.unlinked_at else "",
                    c.summary,
                    _response(c.response_outcome, c.response_rationale),
                    _when(c.responded_on),
                )
                for c in d.contributions
            ],
        )
        if d.contributions
        else ["No contributions linked.", ""]
    )
    lines += ["#### Amendments", ""]
    lines += (
        _table(
            ("Date", "By", "Rationale", "Caused by", "New text"),
            [
                (
                    _when(a.amended_at),
                    _who(a.amended_by),
                    a.rationale,
                    ", ".join(c.reference for c in a.caused_by),
                    a.text,
                )
                for a in d.amendments
            ],
        )
        if d.amendments
        else ["Not amended.", ""]
    )
    lines += ["#### Interests declared", ""]
    lines += (
        _table(
            ("Member", "Interest", "Nature", "Declared"),
            [
                (_who(i.member), _yes(i.has_interest), i.nature, _when(i.declared_at))
                for i in d.interests
            ],
        )
        if d.interests
        else ["None declared.", ""]
    )
    if d.taken is not None:
        lines += _taken_lines(d.taken)
    else:
        lines += ["#### Outcome", "", "Not taken.", ""]
    lines += ["#### Votes", ""]
    lines += (
        _table(
            ("Member", "Sector", "Stance", "Reason", "Counted"),
            [
                (
                    _who(v.member),
                    _words(v.member.sector),
                    v.stance,
                    v.reason,
                    f"no: {v.exclusion_reason}" if v.excluded else "yes",
                )
                for v in d.votes
            ],
        )
        if d.votes
        else ["No votes recorded.", ""]
    )
    lines += ["#### Plan revisions citing it", ""]
    lines += _table(
        ("Section", "Revision", "Date"),
        [(c.section_title, c.revision, _when(c.revised_at)) for c in d.citations],
    )
    lines += ["#### Actions", ""]
    lines += _actions_table(d.actions) if d.actions else ["No actions committed.", ""]
    return lines


def _taken_lines(t: TakenEvidence) -> list[str]:
    m = t.meeting
    tally = t.tally
    lines = ["#### Attendance", ""]
    lines += [f"{_line(m.title) or 'Meeting'}, held {_when(m.held_at)}.", ""]
    lines += _table(
        ("Member", "Organisation", "Sector", "Attendance"),
        [(_who(p), p.organisation, _words(p.sector), "present") for p in m.present]
        + [(_who(p), p.organisation, _words(p.sector), "apologies") for p in m.apologies],
    )
    lines += ["#### Outcome", ""]
    lines += _table(
        ("Field", "Value"),
        [
            ("Outcome", t.outcome),
            ("Taken", _when(t.taken_at)),
            ("Recorded by", _who(t.taken_by)),
            ("Terms of reference", f"version {t.terms_version}"),
            ("Quorum", _quorum(t.quorum_required, t.quorum_met, len(m.present))),
            ("Forum present", _yes(t.forum_present)),
            ("Co-produced", _yes(t.coproduced)),
            (
                "Tally",
                f"{tally.for_} for, {tally.against} against, {tally.abstain} abstain, "
                f"{tally.block} block",
            ),
            ("Votes excluded (interest)", ", ".join(_who(p) for p in t.excluded_votes)),
            ("Votes of absent members", ", ".join(_who(p) for p in t.absent_votes)),
            ("Rationale", t.rationale),
        ],
    )
    lines += ["#### Dissent", ""]
    lines += (
        _table(
            ("Member", "Stance", "Reason"),
            [(_who(x.member), x.stance, x.reason) for x in t.dissent],
        )
        if t.dissent
        else ["No dissent.", ""]
    )
    return lines


def _response(outcome: str | None, rationale: str) -> str:
    if outcome is None:
        return "awaiting response"
    return f"{_words(outcome)}: {rationale}" if rationale else _words(outcome)


def _actions_table(entries: Sequence[ActionEntry]) -> list[str]:
    return _table(
        ("Reference", "Decision", "Title", "Owner", "Due", "Progress", "Status", "Latest note"),
        [
            (
                a.reference,
                a.decision_reference or "",
                a.title,
                a.owner,
                _when(a.due_on),
                f"{a.percent_complete}%",
                _action_status(a),
                a.progress[-1].note if a.progress else "",
            )
            for a in entries
        ],
    )


def _action_status(a: ActionEntry) -> str:
    if a.completed:
        return f"completed {_when(a.completed_at)}" + (" (late)" if a.completed_late else "")
    if a.overdue:
        return f"overdue by {a.days_overdue} days"
    return "open"


def _measures_lines(m: CoproductionMeasures) -> list[str]:
    d, o, r, od = m.decisions, m.outcomes, m.response_times, m.overdue
    lines = [
        "## Co-production measures",
        "",
        f"As of {m.as_of.isoformat()}; reflects ledger position {m.position}.",
        "",
        "### Decisions",
        "",
    ]
    lines += _table(
        ("Measure", "Value"),
        [
            ("Decisions", d.in_scope),
            ("Taken", f"{d.taken} ({d.approved} approved, {d.rejected} rejected)"),
            ("Open", d.open),
            ("Deferred", d.deferred),
            ("Superseded", d.superseded),
            ("With parent or young person input", _ratio(d.with_parent_input)),
            ("Parent carer forum present", _ratio(d.forum_present)),
            ("Recorded as co-produced", _ratio(d.coproduced)),
        ],
    )
    lines += ["### Contributions and responses", ""]
    lines += [
        f"{o.received} received, {o.responded} answered, {o.awaiting_response} awaiting a "
        f"response, {o.routed_to_case} routed to an individual case.",
        "",
    ]
    lines += _table(
        ("Outcome", "Count", "Share of responses"),
        [
            ("adopted", o.adopted.count, _share(o.adopted.share)),
            ("partly adopted", o.partly_adopted.count, _share(o.partly_adopted.share)),
            ("not adopted", o.not_adopted.count, _share(o.not_adopted.share)),
            ("out of scope", o.out_of_scope.count, _share(o.out_of_scope.share)),
        ],
    )
    median = "n/a" if r.median_days is None else f"{r.median_days:g}"
    lines += [
        f"Median days from contribution to response: {median}"
        + (f" (longest {r.longest_days})" if r.longest_days is not None else "")
        + f"; answered within {od.due_days} days: {_ratio(r.within_due)}.",
        "",
        f"### Overdue responses (no response after {od.due_days} days)",
        "",
    ]
    lines += (
        _table(
            ("Reference", "Submitted", "Days waiting"),
            [(x.reference, _when(x.submitted_on), x.days_waiting) for x in od.contributions],
        )
        if od.contributions
        else ["None.", ""]
    )
    a = m.attendance
    lines += [
        "### Attendance by sector",
        "",
        f"{a.meetings_recorded} of {_count(a.meetings, 'meeting')} with attendance recorded.",
        "",
    ]
    lines += _table(
        ("Sector", "Members", "Attendances", "Apologies", "Expected", "Rate"),
        [
            (_words(s.sector), s.members, s.attendances, s.apologies, s.expected, _share(s.rate))
            for s in a.sectors
        ],
    )
    e = m.engagement
    lines += ["### Depth of engagement", ""]
    lines += _table(
        ("Depth", "Contributions", "Share"),
        [(c.key, c.count, _share(c.share)) for c in e.by_depth],
    )
    return lines


def _reg56_lines(register: YouSaidWeDid, references: dict[UUID, str]) -> list[str]:
    lines = [
        "## You said, we did (reg 56)",
        "",
        f"{_count(register.received, 'contribution')} received, "
        f"{_count(register.published, 'response')} published; "
        f"{register.awaiting_response} awaiting a response, "
        f"{register.awaiting_summary} awaiting a de-identified summary.",
        "",
    ]
    theme = None
    rows: list[tuple[object, ...]] = []
    headers = (
        "Reference",
        "You said",
        "Response",
        "We did",
        "Intended actions",
        "Responded",
        "Decisions",
    )
    for entry in register.entries:
        if entry.theme != theme:
            if rows:
                lines += _table(headers, rows)
            theme, rows = entry.theme, []
            lines += [f"### {_line(entry.theme)}", ""]
        rows.append(
            (
                entry.reference,
                entry.you_said,
                _words(entry.outcome),
                entry.we_did,
                "; ".join(entry.intended_actions),
                _when(entry.responded_on),
                ", ".join(
                    f"{references.get(x.decision_id, str(x.decision_id))} ({x.influence})"
                    for x in entry.decisions
                ),
            )
        )
    if rows:
        lines += _table(headers, rows)
    if not register.entries:
        lines += ["Nothing published yet.", ""]
    return lines
