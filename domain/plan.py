"""InclusionPlan: sections from a template, revisions with rationale, and its stages."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.errors import (
    ConsultationOpen,
    ContributionsAwaitingTriage,
    InvalidValue,
    PlanFrozen,
    PublicationNotApproved,
    QAApprovalMissing,
    RationaleRequired,
)
from domain.plan_template import PlanTemplate
from domain.values import Actor, Channel, QAOutcome


class SectionText(msgspec.Struct, frozen=True):
    key: str
    text: str


class SectionState(msgspec.Struct, frozen=True):
    key: str
    title: str
    revision: int
    text: str


class PlanDrafted(LedgerCreated):
    TOPIC = "PlanDrafted"

    partnership_id: UUID
    title: str
    template: PlanTemplate
    period_start: date
    period_end: date
    sections: tuple[SectionText, ...]

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.partnership_id = self.partnership_id
        aggregate.title = self.title
        aggregate.template = self.template
        aggregate.stage = self.template.initial_stage
        for s in self.sections:
            title = self.template.section(s.key).title
            aggregate.sections[s.key] = SectionState(
                key=s.key, title=title, revision=1, text=s.text
            )


class SectionRevised(LedgerEvent):
    TOPIC = "SectionRevised"

    section: str
    revision: int
    text: str
    rationale: str
    cited_decisions: tuple[UUID, ...]
    cited_contributions: tuple[UUID, ...]
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        current = aggregate.sections[self.section]
        aggregate.sections[self.section] = msgspec.structs.replace(
            current, revision=self.revision, text=self.text
        )
        aggregate.stage = self.stage
        aggregate.qa_approved = aggregate.approved_unchanged = False  # a new version


class ConsultationOpened(LedgerEvent):
    TOPIC = "ConsultationOpened"

    opens_on: date
    closes_on: date
    channels: tuple[Channel, ...]
    accessible_formats: tuple[str, ...]
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.consultation_open = True


class ConsultationClosed(LedgerEvent):
    TOPIC = "ConsultationClosed"

    responses_received: int
    summary: str
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.consultation_open = False


class ContributionReceived(LedgerEvent):
    """A contribution concerning this plan arrived; it must be triaged before submission."""

    TOPIC = "ContributionReceived"

    contribution_id: UUID

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.awaiting_triage.add(self.contribution_id)


class PlanContributionTriaged(LedgerEvent):
    """A contribution concerning this plan was triaged (or routed to an individual case)."""

    TOPIC = "PlanContributionTriaged"

    contribution_id: UUID

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.awaiting_triage.discard(self.contribution_id)


class PlanSubmittedForQA(LedgerEvent):
    TOPIC = "PlanSubmittedForQA"

    version: int
    content_hash: str
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.submitted_versions[self.version] = self.content_hash
        aggregate.qa_approved = aggregate.approved_unchanged = False


class QAFeedbackReceived(LedgerEvent):
    TOPIC = "QAFeedbackReceived"

    outcome: QAOutcome
    findings: tuple[str, ...]
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.qa_approved = self.outcome is QAOutcome.APPROVED


class PlanApproved(LedgerEvent):
    TOPIC = "PlanApproved"

    version: int
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.approved_unchanged = True


class PlanPublished(LedgerEvent):
    TOPIC = "PlanPublished"

    version: int
    local_offer_url: str
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage
        aggregate.local_offer_url = self.local_offer_url


class PlanSuperseded(LedgerEvent):
    TOPIC = "PlanSuperseded"

    superseded_by: UUID | None
    reason: str
    stage: str

    def apply(self, aggregate: InclusionPlan) -> None:
        aggregate.stage = self.stage


def content_hash(sections: dict[str, SectionState]) -> str:
    """SHA-256 over the sections' keys, revisions and text, in template order."""
    canonical = msgspec.json.encode(
        [[s.key, s.revision, s.text] for s in sorted(sections.values(), key=lambda s: s.key)]
    )
    return hashlib.sha256(canonical).hexdigest()


class InclusionPlan(LedgerAggregate):
    TOPIC = "InclusionPlan"
    Event = LedgerEvent
    Created = PlanDrafted

    def __init__(self) -> None:
        self.partnership_id: UUID | None = None
        self.title = ""
        self.template: PlanTemplate | None = None
        self.stage = ""
        self.sections: dict[str, SectionState] = {}
        self.awaiting_triage: set[UUID] = set()
        self.submitted_versions: dict[int, str] = {}
        self.qa_approved = False
        self.approved_unchanged = False
        self.consultation_open = False
        self.local_offer_url = ""

    @classmethod
    def draft(
        cls,
        *,
        plan_id: UUID,
        partnership_id: UUID,
        title: str,
        template: PlanTemplate,
        period_start: date,
        period_end: date,
        sections: tuple[SectionText, ...],
        actor: Actor,
        at: datetime,
    ) -> InclusionPlan:
        template.validate()
        if period_end <= period_start:
            raise InvalidValue("A plan's period must end after it starts.")
        given = {s.key for s in sections}
        for s in sections:
            template.section(s.key)
        full = tuple(sections) + tuple(
            SectionText(key=t.key, text="") for t in template.sections if t.key not in given
        )
        return cls._create(
            PlanDrafted,
            id=plan_id,
            partnership_id=partnership_id,
            title=require_text(title, InvalidValue, "A plan needs a title."),
            template=template,
            period_start=period_start,
            period_end=period_end,
            sections=full,
            actor=actor,
            timestamp=at,
        )

    @property
    def plan_template(self) -> PlanTemplate:
        assert self.template is not None, "a drafted plan always has a template"
        return self.template

    def revise_section(
        self,
        *,
        section: str,
        text: str,
        rationale: str,
        cited_decisions: tuple[UUID, ...],
        cited_contributions: tuple[UUID, ...],
        actor: Actor,
        at: datetime,
    ) -> None:
        template = self.plan_template
        template.section(section)
        stage = self.stage
        if stage not in template.editable_stages:
            if not template.can(stage, "revise"):
                raise PlanFrozen(
                    f"{self.title} is {stage}: that version is frozen and cannot be edited."
                )
            stage = template.next_stage(stage, "revise")
        self.trigger_event(
            SectionRevised,
            section=section,
            revision=self.sections[section].revision + 1,
            text=require_text(text, InvalidValue, "A revision needs the section's new text."),
            rationale=require_text(rationale, RationaleRequired, "A revision needs a rationale."),
            cited_decisions=cited_decisions,
            cited_contributions=cited_contributions,
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def open_consultation(
        self,
        *,
        opens_on: date,
        closes_on: date,
        channels: tuple[Channel, ...],
        accessible_formats: tuple[str, ...],
        actor: Actor,
        at: datetime,
    ) -> None:
        stage = self.plan_template.next_stage(self.stage, "open_consultation")
        if closes_on <= opens_on:
            raise InvalidValue("A consultation must close after it opens.")
        if not channels:
            raise InvalidValue("A consultation needs at least one channel.")
        self.trigger_event(
            ConsultationOpened,
            opens_on=opens_on,
            closes_on=closes_on,
            channels=channels,
            accessible_formats=accessible_formats,
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def close_consultation(
        self, *, responses_received: int, summary: str, actor: Actor, at: datetime
    ) -> None:
        stage = self.plan_template.next_stage(self.stage, "close_consultation")
        if responses_received < 0:
            raise InvalidValue("Responses received cannot be negative.")
        self.trigger_event(
            ConsultationClosed,
            responses_received=responses_received,
            summary=summary.strip(),
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def receive_contribution(self, *, contribution_id: UUID, actor: Actor, at: datetime) -> None:
        self.trigger_event(
            ContributionReceived, contribution_id=contribution_id, actor=actor, timestamp=at
        )

    def note_triage(self, *, contribution_id: UUID, actor: Actor, at: datetime) -> None:
        if contribution_id in self.awaiting_triage:
            self.trigger_event(
                PlanContributionTriaged, contribution_id=contribution_id, actor=actor, timestamp=at
            )

    def submit_for_qa(self, *, actor: Actor, at: datetime) -> None:
        if self.consultation_open:
            raise ConsultationOpen(f"{self.title} cannot be submitted while consultation is open.")
        stage = self.plan_template.next_stage(self.stage, "submit_for_qa")
        if self.awaiting_triage:
            raise ContributionsAwaitingTriage(
                f"{self.title} cannot be submitted: {len(self.awaiting_triage)} contribution(s) "
                "on the plan await triage."
            )
        self.trigger_event(
            PlanSubmittedForQA,
            version=len(self.submitted_versions) + 1,
            content_hash=content_hash(self.sections),
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def receive_qa_feedback(
        self, *, outcome: QAOutcome, findings: tuple[str, ...], actor: Actor, at: datetime
    ) -> None:
        template = self.plan_template
        if outcome is QAOutcome.CHANGES_REQUESTED:
            stage = template.next_stage(self.stage, "request_changes")
            if not findings:
                raise RationaleRequired("Requesting changes needs at least one finding.")
        else:
            template.next_stage(self.stage, "approve")
            stage = self.stage
        self.trigger_event(
            QAFeedbackReceived,
            outcome=outcome,
            findings=findings,
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def approve(self, *, actor: Actor, at: datetime) -> None:
        stage = self.plan_template.next_stage(self.stage, "approve")
        if not self.qa_approved:
            raise QAApprovalMissing(f"{self.title} has no approving QA feedback on this version.")
        self.trigger_event(
            PlanApproved,
            version=len(self.submitted_versions),
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def publish(self, *, local_offer_url: str, actor: Actor, at: datetime) -> None:
        stage = self.plan_template.next_stage(self.stage, "publish")
        if not self.approved_unchanged:
            raise PublicationNotApproved(
                f"{self.title} has changed since it was last approved, so it cannot be published."
            )
        url = require_text(local_offer_url, InvalidValue, "Publishing needs the local offer link.")
        if not url.startswith(("https://", "http://")):
            raise InvalidValue(f"The local offer link must be a web address, not {url!r}.")
        self.trigger_event(
            PlanPublished,
            version=len(self.submitted_versions),
            local_offer_url=url,
            stage=stage,
            actor=actor,
            timestamp=at,
        )

    def supersede(
        self, *, superseded_by: UUID | None, reason: str, actor: Actor, at: datetime
    ) -> None:
        stage = self.plan_template.next_stage(self.stage, "supersede")
        self.trigger_event(
            PlanSuperseded,
            superseded_by=superseded_by,
            reason=require_text(reason, RationaleRequired, "Superseding a plan needs a reason."),
            stage=stage,
            actor=actor,
            timestamp=at,
        )
