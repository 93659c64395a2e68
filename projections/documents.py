"""The read models' documents: one per partnership, plan, decision, contribution,
meeting and action, each keyed by its aggregate id and scoped to a partnership.

Documents hold no personal data: contributions appear by reference, kind,
channel and de-identified summary only, so erasing a person never touches a read model.
Every document records the log position of the last event that changed it.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.plan_template import PlanTemplate
from domain.values import Actor, MemberRecord, TermsOfReference
from domain.votes import Dissent, Tally


class Doc(msgspec.Struct, kw_only=True):
    id: UUID
    partnership_id: UUID
    position: int = 0


class PartnershipDoc(Doc, kw_only=True, tag="partnership"):
    name: str
    kind: str
    la_code: str
    icb_code: str
    established_at: datetime
    members: dict[str, MemberRecord] = {}
    terms: TermsOfReference | None = None


class SectionDoc(msgspec.Struct, kw_only=True):
    key: str
    title: str
    revision: int
    text: str


class RevisionDoc(msgspec.Struct, kw_only=True):
    section: str
    revision: int
    text: str
    rationale: str
    cited_decisions: list[UUID]
    cited_contributions: list[UUID]
    revised_at: datetime
    revised_by: str


class StageChange(msgspec.Struct, kw_only=True):
    stage: str
    event: str
    at: datetime
    by: str


class QAFeedbackDoc(msgspec.Struct, kw_only=True):
    outcome: str
    findings: list[str]
    at: datetime
    by: str


class ConsultationDoc(msgspec.Struct, kw_only=True):
    opens_on: date
    closes_on: date
    channels: list[str]
    accessible_formats: list[str]
    closed_at: datetime | None = None
    responses_received: int | None = None
    summary: str = ""


class PlanDoc(Doc, kw_only=True, tag="plan"):
    title: str
    template: PlanTemplate
    period_start: date
    period_end: date
    stage: str
    drafted_at: datetime
    sections: list[SectionDoc] = []
    revisions: list[RevisionDoc] = []
    stages: list[StageChange] = []
    consultations: list[ConsultationDoc] = []
    qa_feedback: list[QAFeedbackDoc] = []
    submitted_versions: dict[int, str] = {}
    local_offer_url: str = ""
    superseded_by: UUID | None = None


class LinkDoc(msgspec.Struct, kw_only=True):
    contribution_id: UUID
    influence: str
    note: str
    linked_at: datetime
    linked_by: Actor
    unlinked_at: datetime | None = None
    unlinked_by: Actor | None = None
    unlink_reason: str = ""


class AmendmentDoc(msgspec.Struct, kw_only=True):
    text: str
    rationale: str
    caused_by: list[UUID]
    amended_at: datetime
    amended_by: Actor


class VoteDoc(msgspec.Struct, kw_only=True):
    """A vote as cast; a withdrawn vote stays, marked withdrawn (the member may vote
    again, which adds another)."""

    member_id: str
    stance: str
    reason: str
    recorded_at: datetime
    recorded_by: Actor
    withdrawn_at: datetime | None = None
    withdrawn_by: Actor | None = None
    withdrawal_reason: str = ""


class InterestDoc(msgspec.Struct, kw_only=True):
    member_id: str
    has_interest: bool
    nature: str
    declared_at: datetime
    declared_by: Actor


class TakenDoc(msgspec.Struct, kw_only=True):
    """`taken_at` is when the meeting that took it was held, `recorded_at` when the
    decision was recorded."""

    outcome: str
    rationale: str
    taken_at: datetime
    recorded_at: datetime
    taken_by: Actor
    meeting_id: UUID
    members_present: list[str]
    terms_version: int
    quorum_required: int
    quorum_met: bool
    forum_present: bool
    tally: Tally
    excluded_votes: list[str]
    absent_votes: list[str]
    dissent: list[Dissent]
    coproduced: bool


class DeferralDoc(msgspec.Struct, kw_only=True):
    reason: str
    until: date | None
    at: datetime
    by: Actor


class ReviewDoc(msgspec.Struct, kw_only=True):
    review_on: date
    reason: str
    at: datetime
    by: Actor


class SupersessionDoc(msgspec.Struct, kw_only=True):
    superseded_by: UUID
    rationale: str
    at: datetime
    by: Actor


class CitationDoc(msgspec.Struct, kw_only=True):
    plan_id: UUID
    plan_title: str
    section: str
    section_title: str
    revision: int
    rationale: str
    revised_at: datetime
    revised_by: Actor


class DecisionDoc(Doc, kw_only=True, tag="decision"):
    reference: str
    title: str
    category: str
    status: str
    text: str
    original_text: str
    options: list[str]
    evidence: list[str]
    proposer_id: str
    proposed_at: datetime
    proposed_by: Actor
    links: list[LinkDoc] = []
    amendments: list[AmendmentDoc] = []
    interests: list[InterestDoc] = []
    votes: list[VoteDoc] = []
    taken: TakenDoc | None = None
    deferrals: list[DeferralDoc] = []
    reviews: list[ReviewDoc] = []
    supersession: SupersessionDoc | None = None
    citations: list[CitationDoc] = []
    action_ids: list[UUID] = []


class ResponseDoc(msgspec.Struct, kw_only=True):
    outcome: str
    rationale: str
    actions: list[str]
    at: datetime
    by: str


class DecisionLinkDoc(msgspec.Struct, kw_only=True):
    decision_id: UUID
    influence: str
    linked: bool


class ContributionDoc(Doc, kw_only=True, tag="contribution"):
    plan_id: UUID | None
    reference: str
    contributor_kind: str
    channel: str
    depth: str
    themes: list[str]
    sections: list[str]
    submitted_at: datetime
    triaged_at: datetime | None = None
    routed_to_case: bool = False
    response: ResponseDoc | None = None
    summary: str = ""
    notified_at: datetime | None = None
    decisions: list[DecisionLinkDoc] = []


class MeetingDoc(Doc, kw_only=True, tag="meeting"):
    title: str
    held_at: datetime
    present: list[str] = []
    apologies: list[str] = []
    attendance_recorded: bool = False
    minutes_approved: bool = False


class ProgressDoc(msgspec.Struct, kw_only=True):
    note: str
    percent_complete: int
    at: datetime
    by: str


class ActionDoc(Doc, kw_only=True, tag="action"):
    decision_id: UUID
    reference: str
    title: str
    owner: str
    due_on: date
    measure: str
    committed_at: datetime
    committed_by: Actor
    percent_complete: int = 0
    completed_at: datetime | None = None
    progress: list[ProgressDoc] = []


AnyDoc = PartnershipDoc | PlanDoc | DecisionDoc | ContributionDoc | MeetingDoc | ActionDoc

MODELS: dict[str, type[AnyDoc]] = {
    "partnership": PartnershipDoc,
    "plan": PlanDoc,
    "decision": DecisionDoc,
    "contribution": ContributionDoc,
    "meeting": MeetingDoc,
    "action": ActionDoc,
}


_MODEL_BY_TYPE: dict[type[AnyDoc], str] = {kind: model for model, kind in MODELS.items()}


def model_of(doc: AnyDoc) -> str:
    return _MODEL_BY_TYPE[type(doc)]
