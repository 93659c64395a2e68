"""What the read commands return: msgspec structs, one schema for the CLI's text and JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.decision import Tally
from domain.values import MemberRecord, TermsOfReference


class View(msgspec.Struct, frozen=True, kw_only=True):
    pass


class PartnershipSummary(View, frozen=True, kw_only=True):
    id: UUID
    name: str
    kind: str
    la_code: str
    icb_code: str
    terms: TermsOfReference | None
    members: list[MemberRecord]


class RevisionView(View, frozen=True, kw_only=True):
    revision: int
    text: str
    rationale: str
    cited_decisions: list[UUID]
    cited_contributions: list[UUID]
    revised_at: datetime
    revised_by: str


class SectionView(View, frozen=True, kw_only=True):
    key: str
    title: str
    revision: int
    text: str
    revisions: list[RevisionView]


class PlanView(View, frozen=True, kw_only=True):
    id: UUID
    partnership_id: UUID
    title: str
    stage: str
    template: str
    template_version: int
    period_start: date
    period_end: date
    sections: list[SectionView]
    submitted_versions: dict[int, str]
    local_offer_url: str
    as_of: datetime | None


class MemberRef(View, frozen=True, kw_only=True):
    member_id: str
    name: str
    role: str
    sector: str


class LinkView(View, frozen=True, kw_only=True):
    contribution_id: UUID
    reference: str
    influence: str
    note: str
    channel: str
    depth: str
    contributor_kind: str
    linked_at: datetime
    linked_by: str
    unlinked_at: datetime | None = None
    unlink_reason: str = ""
    response: str | None = None
    response_rationale: str = ""
    summary: str = ""


class AmendmentView(View, frozen=True, kw_only=True):
    text: str
    rationale: str
    caused_by: list[str]
    amended_at: datetime
    amended_by: str


class VoteView(View, frozen=True, kw_only=True):
    member: MemberRef
    stance: str
    reason: str
    excluded: bool
    exclusion_reason: str
    recorded_at: datetime


class InterestView(View, frozen=True, kw_only=True):
    member: MemberRef
    has_interest: bool
    nature: str
    declared_at: datetime


class TakenView(View, frozen=True, kw_only=True):
    outcome: str
    rationale: str
    taken_at: datetime
    meeting_id: UUID
    meeting_title: str
    members_present: list[MemberRef]
    terms_version: int
    quorum_required: int
    quorum_met: bool
    forum_present: bool
    tally: Tally
    excluded_votes: list[str]
    dissent: list[VoteView]
    coproduced: bool


class CitationView(View, frozen=True, kw_only=True):
    plan_id: UUID
    plan_title: str
    section: str
    revision: int
    revised_at: datetime


class ActionView(View, frozen=True, kw_only=True):
    id: UUID
    reference: str
    title: str
    owner: str
    due_on: date
    percent_complete: int
    completed: bool


class DecisionProvenance(View, frozen=True, kw_only=True):
    id: UUID
    partnership_id: UUID
    reference: str
    title: str
    category: str
    status: str
    text: str
    original_text: str
    options: list[str]
    evidence: list[str]
    proposer: MemberRef
    proposed_at: datetime
    contributions: list[LinkView]
    amendments: list[AmendmentView]
    interests: list[InterestView]
    votes: list[VoteView]
    taken: TakenView | None
    deferrals: list[str]
    reviews: list[date]
    superseded_by: UUID | None
    plan_revisions: list[CitationView]
    actions: list[ActionView]


class DecisionEntry(View, frozen=True, kw_only=True):
    id: UUID
    partnership_id: UUID
    reference: str
    title: str
    category: str
    status: str
    outcome: str | None
    coproduced: bool
    review_on: date | None


class HistoryEntry(View, frozen=True, kw_only=True):
    position: int | None
    version: int
    occurred_at: datetime
    type: str
    actor: str
    role: str


class LogEntry(View, frozen=True, kw_only=True):
    position: int
    aggregate_id: UUID
    version: int
    type: str
    occurred_at: datetime
    actor: str
    role: str
    data: dict[str, Any]
