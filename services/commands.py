"""Commands: imperative and typed, one shape for every edge (the CLI is the only one so far).

A command that creates an aggregate may carry the id to use (so a retried
command creates nothing twice); otherwise the service assigns one.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.plan_template import PlanTemplate
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
    Sector,
    Stance,
)


class Command(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    actor: Actor


class EstablishPartnership(Command, frozen=True, kw_only=True):
    name: str
    kind: str
    la_code: str
    icb_code: str
    partnership_id: UUID | None = None


class AppointMember(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: str
    name: str
    role: str
    sector: Sector
    organisation: str
    voting: bool = True


class StandDownMember(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: str
    reason: str


class AdoptTermsOfReference(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    quorum: int
    forum_required: bool
    description: str = ""


class DeclareInterest(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: str
    decision_id: UUID
    has_interest: bool
    nature: str = ""


class DraftPlan(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    title: str
    template: PlanTemplate
    period_start: date
    period_end: date
    sections: dict[str, str] = {}
    plan_id: UUID | None = None


class ReviseSection(Command, frozen=True, kw_only=True):
    plan_id: UUID
    section: str
    text: str
    rationale: str
    cited_decisions: tuple[UUID, ...] = ()
    cited_contributions: tuple[UUID, ...] = ()


class OpenConsultation(Command, frozen=True, kw_only=True):
    plan_id: UUID
    opens_on: date
    closes_on: date
    channels: tuple[Channel, ...]
    accessible_formats: tuple[str, ...] = ()


class CloseConsultation(Command, frozen=True, kw_only=True):
    plan_id: UUID
    responses_received: int
    summary: str = ""


class SubmitPlanForQA(Command, frozen=True, kw_only=True):
    plan_id: UUID


class RecordQAFeedback(Command, frozen=True, kw_only=True):
    plan_id: UUID
    outcome: QAOutcome
    findings: tuple[str, ...] = ()


class ApprovePlan(Command, frozen=True, kw_only=True):
    plan_id: UUID


class PublishPlan(Command, frozen=True, kw_only=True):
    plan_id: UUID
    local_offer_url: str


class SupersedePlan(Command, frozen=True, kw_only=True):
    plan_id: UUID
    reason: str
    superseded_by: UUID | None = None


class SubmitContribution(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    reference: str
    subject_ref: str
    contributor_kind: ContributorKind
    contributor_name: str
    channel: Channel
    depth: Depth
    text: str
    themes: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    plan_id: UUID | None = None
    contribution_id: UUID | None = None


class TriageContribution(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    themes: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    note: str = ""


class RouteContributionToIndividualCase(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    reason: str


class IssueResponse(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    outcome: ResponseOutcome
    rationale: str = ""
    actions: tuple[str, ...] = ()


class RecordDeidentifiedSummary(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    summary: str


class NotifyContributor(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    channel: str


class ProposeDecision(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    reference: str
    title: str
    category: DecisionCategory
    text: str
    proposer_id: str
    options: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    decision_id: UUID | None = None


class LinkContribution(Command, frozen=True, kw_only=True):
    decision_id: UUID
    contribution_id: UUID
    influence: Influence
    note: str = ""


class UnlinkContribution(Command, frozen=True, kw_only=True):
    decision_id: UUID
    contribution_id: UUID
    reason: str


class AmendDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    text: str
    rationale: str
    caused_by: tuple[UUID, ...] = ()


class RecordVote(Command, frozen=True, kw_only=True):
    decision_id: UUID
    member_id: str
    stance: Stance
    reason: str = ""


class TakeDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    meeting_id: UUID
    outcome: DecisionOutcome
    rationale: str
    coproduced: bool = False


class DeferDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    reason: str
    until: date | None = None


class ScheduleReview(Command, frozen=True, kw_only=True):
    decision_id: UUID
    review_on: date
    reason: str = ""


class SupersedeDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    superseded_by: UUID
    rationale: str


class ScheduleMeeting(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    title: str
    held_at: datetime
    meeting_id: UUID | None = None


class RecordAttendance(Command, frozen=True, kw_only=True):
    meeting_id: UUID
    present: tuple[str, ...]
    apologies: tuple[str, ...] = ()


class ApproveMinutes(Command, frozen=True, kw_only=True):
    meeting_id: UUID
    summary: str = ""


class CommitAction(Command, frozen=True, kw_only=True):
    decision_id: UUID
    reference: str
    title: str
    owner: str
    due_on: date
    measure: str = ""
    action_id: UUID | None = None


class ReportProgress(Command, frozen=True, kw_only=True):
    action_id: UUID
    note: str
    percent_complete: int


class CompleteAction(Command, frozen=True, kw_only=True):
    action_id: UUID
    note: str = ""


AnyCommand = (
    EstablishPartnership
    | AppointMember
    | StandDownMember
    | AdoptTermsOfReference
    | DeclareInterest
    | DraftPlan
    | ReviseSection
    | OpenConsultation
    | CloseConsultation
    | SubmitPlanForQA
    | RecordQAFeedback
    | ApprovePlan
    | PublishPlan
    | SupersedePlan
    | SubmitContribution
    | TriageContribution
    | RouteContributionToIndividualCase
    | IssueResponse
    | RecordDeidentifiedSummary
    | NotifyContributor
    | ProposeDecision
    | LinkContribution
    | UnlinkContribution
    | AmendDecision
    | RecordVote
    | TakeDecision
    | DeferDecision
    | ScheduleReview
    | SupersedeDecision
    | ScheduleMeeting
    | RecordAttendance
    | ApproveMinutes
    | CommitAction
    | ReportProgress
    | CompleteAction
)
