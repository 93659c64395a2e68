"""The events a decision records, and how each sets the decision's state.

The rules that decide whether an event may happen are on the aggregate, in
`domain.decision`; an event here only sets the state it records.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import msgspec

from domain.base import LedgerCreated, LedgerEvent
from domain.values import (
    DecisionCategory,
    DecisionOutcome,
    DecisionStatus,
    Influence,
    Stance,
)
from domain.votes import Dissent, Tally, Vote


class Link(msgspec.Struct, frozen=True):
    contribution_id: UUID
    influence: Influence
    note: str
    linked_at: datetime


@runtime_checkable
class DecisionState(Protocol):
    """The state a decision's events set: `domain.decision.Decision` holds it."""

    partnership_id: UUID | None
    reference: str
    title: str
    category: DecisionCategory
    text: str
    proposer_id: str
    status: DecisionStatus
    outcome: DecisionOutcome | None
    links: dict[UUID, Link]
    votes: dict[str, Vote]
    amendments: int
    review_on: date | None
    superseded_by: UUID | None


class DecisionProposed(LedgerCreated):
    TOPIC = "DecisionProposed"

    partnership_id: UUID
    reference: str
    title: str
    category: DecisionCategory
    text: str
    options: tuple[str, ...]
    evidence: tuple[str, ...]
    proposer_id: str

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.partnership_id = self.partnership_id
        aggregate.reference = self.reference
        aggregate.title = self.title
        aggregate.category = self.category
        aggregate.text = self.text
        aggregate.proposer_id = self.proposer_id


class ContributionLinked(LedgerEvent):
    TOPIC = "ContributionLinked"

    contribution_id: UUID
    influence: Influence
    note: str

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.links[self.contribution_id] = Link(
            contribution_id=self.contribution_id,
            influence=self.influence,
            note=self.note,
            linked_at=self.timestamp,
        )


class ContributionUnlinked(LedgerEvent):
    TOPIC = "ContributionUnlinked"

    contribution_id: UUID
    reason: str

    def apply(self, aggregate: DecisionState) -> None:
        del aggregate.links[self.contribution_id]


class DecisionAmended(LedgerEvent):
    TOPIC = "DecisionAmended"

    text: str
    caused_by: tuple[UUID, ...]
    rationale: str

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.text = self.text
        aggregate.amendments += 1


class VoteRecorded(LedgerEvent):
    """Version 2 renamed `vote` (yes/no/abstain) to `stance` and added `block`."""

    TOPIC = "VoteRecorded"
    class_version = 2

    member_id: str
    stance: Stance
    reason: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        old = state.pop("vote")
        state["stance"] = {"yes": "for", "no": "against"}.get(old, old)

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.votes[self.member_id] = Vote(
            member_id=self.member_id,
            stance=self.stance,
            reason=self.reason,
            recorded_at=self.timestamp,
        )


class VoteWithdrawn(LedgerEvent):
    """A member withdrew their vote, with a reason; they may vote again."""

    TOPIC = "VoteWithdrawn"

    member_id: str
    reason: str

    def apply(self, aggregate: DecisionState) -> None:
        del aggregate.votes[self.member_id]


class DecisionTaken(LedgerEvent):
    """`taken_at` is when the meeting that took it was held; the event's own
    timestamp stays the time it was recorded. Version 2 added `taken_at`: a
    version-1 decision is taken when it was recorded, as it was shown then."""

    TOPIC = "DecisionTaken"
    class_version = 2

    outcome: DecisionOutcome
    rationale: str
    meeting_id: UUID
    taken_at: datetime
    members_present: tuple[str, ...]
    terms_version: int
    quorum_required: int
    quorum_met: bool
    forum_present: bool
    tally: Tally
    excluded_votes: tuple[str, ...]
    dissent: tuple[Dissent, ...]
    coproduced: bool
    absent_votes: tuple[str, ...] = ()
    """Votes of members not present at the meeting: recorded, not counted."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["taken_at"] = state["timestamp"]

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.status = DecisionStatus.TAKEN
        aggregate.outcome = self.outcome


class DecisionDeferred(LedgerEvent):
    TOPIC = "DecisionDeferred"

    reason: str
    until: date | None

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.status = DecisionStatus.DEFERRED


class ReviewScheduled(LedgerEvent):
    TOPIC = "ReviewScheduled"

    review_on: date
    reason: str

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.review_on = self.review_on


class DecisionSuperseded(LedgerEvent):
    TOPIC = "DecisionSuperseded"

    superseded_by: UUID
    rationale: str

    def apply(self, aggregate: DecisionState) -> None:
        aggregate.status = DecisionStatus.SUPERSEDED
        aggregate.superseded_by = self.superseded_by
