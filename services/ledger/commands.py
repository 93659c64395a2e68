"""Commands: imperative and typed, one shape for every edge (the CLI is the only one so far).

A command that creates an aggregate may carry the id to use (so a retried
command creates nothing twice); otherwise the service assigns one, and
`LedgerApplication.execute` (`command --json`) reports it. Such fields are
`AssignedId`s, and the JSON Schema (`command --schema`) says so.

Every command refuses fields it does not define, so a misspelt optional field is
an error rather than a default stored without a word. Text fields have a maximum
length by kind (below); commands given as JSON are decoded by
`services.ledger.command_json`, which enforces both and names the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.plan_template import TemplateRef
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

# The longest text each kind of field takes, in characters (distinct numbers, so a
# refusal can name the kind from the limit).
TEXT_LIMITS: dict[str, int] = {
    "a reference": 100,  # ids given by the caller, references, codes, tags, section keys
    "a name": 200,  # people, partnerships, organisations, roles, kinds, channels, formats
    "a title": 300,  # decisions, plans, meetings, actions
    "a web address": 2000,
    "free text": 20_000,  # contributions, decision text, reasons, rationales, notes, summaries
    "a plan section": 100_000,
}

Reference = Annotated[str, Meta(max_length=TEXT_LIMITS["a reference"])]
Name = Annotated[str, Meta(max_length=TEXT_LIMITS["a name"])]
Title = Annotated[str, Meta(max_length=TEXT_LIMITS["a title"])]
WebAddress = Annotated[str, Meta(max_length=TEXT_LIMITS["a web address"])]
FreeText = Annotated[str, Meta(max_length=TEXT_LIMITS["free text"])]
SectionBody = Annotated[str, Meta(max_length=TEXT_LIMITS["a plan section"])]
AwareDatetime = Annotated[datetime, Meta(tz=True)]
"""A time with its UTC offset: a time without one is refused, never guessed."""

ASSIGNED_WHEN_OMITTED = "assigned by the ledger when omitted"
AssignedId = Annotated[
    UUID | None,
    Meta(
        description=f"The id of what the command creates: {ASSIGNED_WHEN_OMITTED} (the "
        "outcome of `command --json` reports it); give one so that a retried command "
        "creates nothing twice."
    ),
]
PartnershipKind = Annotated[
    Name,
    Meta(
        description="What kind of board the partnership is. Kinds are configuration, "
        "not a fixed list: any name is taken.",
        examples=["local_send_ap_partnership", "workforce_steering_group", "pathfinder"],
    ),
]
SectionKey = Annotated[
    Reference,
    Meta(description="A section of the plan's template, by key (`TemplateRef` lists them)."),
]
NotificationChannel = Annotated[
    Name,
    Meta(
        description="How the contributor was told of the response: any name, not only "
        "the channels a contribution arrives by.",
        examples=["email", "letter", "phone"],
    ),
]


class Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, forbid_unknown_fields=True):
    actor: Actor


class EstablishPartnership(Command, frozen=True, kw_only=True):
    name: Name
    kind: PartnershipKind
    la_code: Reference
    icb_code: Reference
    partnership_id: AssignedId = None


class AppointMember(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: Reference
    name: Name
    role: Name
    sector: Sector
    organisation: Name
    voting: bool = True


class StandDownMember(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: Reference
    reason: FreeText


class AdoptTermsOfReference(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    quorum: int
    forum_required: bool
    description: FreeText = ""


class DeclareInterest(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    member_id: Reference
    decision_id: UUID
    has_interest: bool
    nature: FreeText = ""


class DraftPlan(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    title: Title
    template: TemplateRef
    """A registered template (`services/plan_templates.py`), by name and version."""
    period_start: date
    period_end: date
    sections: dict[SectionKey, SectionBody] = {}
    plan_id: AssignedId = None


class ReviseSection(Command, frozen=True, kw_only=True):
    plan_id: UUID
    section: SectionKey
    text: SectionBody
    rationale: FreeText
    cited_decisions: tuple[UUID, ...] = ()
    cited_contributions: tuple[UUID, ...] = ()


class OpenConsultation(Command, frozen=True, kw_only=True):
    plan_id: UUID
    opens_on: date
    closes_on: date
    channels: tuple[Channel, ...]
    accessible_formats: tuple[Name, ...] = ()


class CloseConsultation(Command, frozen=True, kw_only=True):
    plan_id: UUID
    responses_received: int
    summary: FreeText = ""


class SubmitPlanForQA(Command, frozen=True, kw_only=True):
    plan_id: UUID


class RecordQAFeedback(Command, frozen=True, kw_only=True):
    plan_id: UUID
    outcome: QAOutcome
    findings: tuple[FreeText, ...] = ()


class ApprovePlan(Command, frozen=True, kw_only=True):
    plan_id: UUID


class PublishPlan(Command, frozen=True, kw_only=True):
    plan_id: UUID
    local_offer_url: WebAddress


class SupersedePlan(Command, frozen=True, kw_only=True):
    plan_id: UUID
    reason: FreeText
    superseded_by: UUID | None = None


class SubmitContribution(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    reference: Reference
    subject_ref: Reference
    contributor_kind: ContributorKind
    contributor_name: Name
    channel: Channel
    depth: Depth
    text: FreeText
    themes: tuple[Reference, ...] = ()
    sections: tuple[SectionKey, ...] = ()
    plan_id: UUID | None = None
    contribution_id: AssignedId = None


class TriageContribution(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    themes: tuple[Reference, ...] = ()
    sections: tuple[SectionKey, ...] = ()
    note: FreeText = ""


class RouteContributionToIndividualCase(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    reason: FreeText


class IssueResponse(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    outcome: ResponseOutcome
    rationale: FreeText = ""
    actions: tuple[FreeText, ...] = ()


class RecordDeidentifiedSummary(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    summary: FreeText


class NotifyContributor(Command, frozen=True, kw_only=True):
    contribution_id: UUID
    channel: NotificationChannel


class ProposeDecision(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    reference: Reference
    title: Title
    category: DecisionCategory
    text: FreeText
    proposer_id: Reference
    options: tuple[FreeText, ...] = ()
    evidence: tuple[FreeText, ...] = ()
    decision_id: AssignedId = None


class LinkContribution(Command, frozen=True, kw_only=True):
    decision_id: UUID
    contribution_id: UUID
    influence: Influence
    note: FreeText = ""


class UnlinkContribution(Command, frozen=True, kw_only=True):
    decision_id: UUID
    contribution_id: UUID
    reason: FreeText


class AmendDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    text: FreeText
    rationale: FreeText
    caused_by: tuple[UUID, ...] = ()


class RecordVote(Command, frozen=True, kw_only=True):
    decision_id: UUID
    member_id: Reference
    stance: Stance
    reason: FreeText = ""


class WithdrawVote(Command, frozen=True, kw_only=True):
    """The member's own vote, withdrawn with a reason (the member may vote again)."""

    decision_id: UUID
    member_id: Reference
    reason: FreeText


class TakeDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    meeting_id: UUID
    outcome: DecisionOutcome
    rationale: FreeText
    coproduced: bool = False


class DeferDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    reason: FreeText
    until: date | None = None


class ScheduleReview(Command, frozen=True, kw_only=True):
    decision_id: UUID
    review_on: date
    reason: FreeText = ""


class SupersedeDecision(Command, frozen=True, kw_only=True):
    decision_id: UUID
    superseded_by: UUID
    rationale: FreeText


class ScheduleMeeting(Command, frozen=True, kw_only=True):
    partnership_id: UUID
    title: Title
    held_at: AwareDatetime
    meeting_id: AssignedId = None


class RecordAttendance(Command, frozen=True, kw_only=True):
    meeting_id: UUID
    present: tuple[Reference, ...]
    apologies: tuple[Reference, ...] = ()


class ApproveMinutes(Command, frozen=True, kw_only=True):
    meeting_id: UUID
    summary: FreeText = ""


class CommitAction(Command, frozen=True, kw_only=True):
    decision_id: UUID
    reference: Reference
    title: Title
    owner: Name
    due_on: date
    measure: FreeText = ""
    action_id: AssignedId = None


class ReportProgress(Command, frozen=True, kw_only=True):
    action_id: UUID
    note: FreeText
    percent_complete: int


class CompleteAction(Command, frozen=True, kw_only=True):
    action_id: UUID
    note: FreeText = ""


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
    | WithdrawVote
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
