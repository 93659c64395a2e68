"""What the read commands return: msgspec structs, one schema for the CLI's text and JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

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


class DecisionEntry(View, frozen=True, kw_only=True):
    id: UUID
    partnership_id: UUID
    reference: str
    title: str
    category: str
    status: str
    outcome: str | None
    coproduced: bool
    taken_at: datetime | None
    """When the meeting that took it was held."""
    recorded_at: datetime | None
    """When the decision was recorded as taken."""
    review_on: date | None
    """The review date as of today (`projections.register.next_review_on`)."""


class HistoryEntry(View, frozen=True, kw_only=True):
    position: int | None
    version: int
    occurred_at: datetime
    type: str
    actor: str
    role: str
    why: str
    """The reason, rationale or note the event records, or "" when it records none."""


class LogEntry(View, frozen=True, kw_only=True):
    position: int
    aggregate_id: UUID
    version: int
    type: str
    occurred_at: datetime
    actor: str
    role: str
    data: dict[str, Any]
