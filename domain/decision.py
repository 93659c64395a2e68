"""Decision: proposed by a member, shaped by contributions, voted on, taken at a meeting.

How votes count (absent members, blocks, withdrawals) is in `domain.votes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.errors import (
    AlreadyVoted,
    ContributionAlreadyLinked,
    ContributionNotLinked,
    CoproductionNotEvidenced,
    DecisionBlocked,
    DecisionFinal,
    DecisionNotTaken,
    InvalidValue,
    MajorityNotReached,
    MeetingNotYetHeld,
    MemberNotActive,
    QuorumNotMet,
    RationaleRequired,
    ReasonRequired,
    VoteNotRecorded,
)
from domain.governance import check_quorum
from domain.values import (
    Actor,
    DecisionCategory,
    DecisionOutcome,
    Influence,
    MemberRecord,
    Stance,
    TermsOfReference,
)

# Re-exported: stored events and read models name these as decision types.
from domain.votes import Dissent as Dissent
from domain.votes import Tally as Tally
from domain.votes import Vote as Vote
from domain.votes import count_votes


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    DEFERRED = "deferred"
    TAKEN = "taken"
    SUPERSEDED = "superseded"


class Link(msgspec.Struct, frozen=True):
    contribution_id: UUID
    influence: Influence
    note: str
    linked_at: datetime


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

    def apply(self, aggregate: Decision) -> None:
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

    def apply(self, aggregate: Decision) -> None:
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

    def apply(self, aggregate: Decision) -> None:
        del aggregate.links[self.contribution_id]


class DecisionAmended(LedgerEvent):
    TOPIC = "DecisionAmended"

    text: str
    caused_by: tuple[UUID, ...]
    rationale: str

    def apply(self, aggregate: Decision) -> None:
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

    def apply(self, aggregate: Decision) -> None:
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

    def apply(self, aggregate: Decision) -> None:
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

    def apply(self, aggregate: Decision) -> None:
        aggregate.status = DecisionStatus.TAKEN
        aggregate.outcome = self.outcome


class DecisionDeferred(LedgerEvent):
    TOPIC = "DecisionDeferred"

    reason: str
    until: date | None

    def apply(self, aggregate: Decision) -> None:
        aggregate.status = DecisionStatus.DEFERRED


class ReviewScheduled(LedgerEvent):
    TOPIC = "ReviewScheduled"

    review_on: date
    reason: str

    def apply(self, aggregate: Decision) -> None:
        aggregate.review_on = self.review_on


class DecisionSuperseded(LedgerEvent):
    TOPIC = "DecisionSuperseded"

    superseded_by: UUID
    rationale: str

    def apply(self, aggregate: Decision) -> None:
        aggregate.status = DecisionStatus.SUPERSEDED
        aggregate.superseded_by = self.superseded_by


class Decision(LedgerAggregate):
    TOPIC = "Decision"
    Event = LedgerEvent
    Created = DecisionProposed

    def __init__(self) -> None:
        self.partnership_id: UUID | None = None
        self.reference = ""
        self.title = ""
        self.category = DecisionCategory.OTHER
        self.text = ""
        self.proposer_id = ""
        self.status = DecisionStatus.PROPOSED
        self.outcome: DecisionOutcome | None = None
        self.links: dict[UUID, Link] = {}
        self.votes: dict[str, Vote] = {}
        self.amendments = 0
        self.review_on: date | None = None
        self.superseded_by: UUID | None = None

    @classmethod
    def propose(
        cls,
        *,
        decision_id: UUID,
        partnership_id: UUID,
        reference: str,
        title: str,
        category: DecisionCategory,
        text: str,
        options: tuple[str, ...],
        evidence: tuple[str, ...],
        proposer: MemberRecord,
        actor: Actor,
        at: datetime,
    ) -> Decision:
        if not proposer.active:
            raise MemberNotActive(f"{proposer.member_id} has stood down and cannot propose.")
        return cls._create(
            DecisionProposed,
            id=decision_id,
            partnership_id=partnership_id,
            reference=require_text(reference, InvalidValue, "A decision needs a reference."),
            title=require_text(title, InvalidValue, "A decision needs a title."),
            category=category,
            text=require_text(text, InvalidValue, "A decision needs the text proposed."),
            options=options,
            evidence=evidence,
            proposer_id=proposer.member_id,
            actor=actor,
            timestamp=at,
        )

    def link_contribution(
        self,
        *,
        contribution_id: UUID,
        influence: Influence,
        note: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        self._require_open("link a contribution to")
        if contribution_id in self.links:
            raise ContributionAlreadyLinked(
                f"Contribution {contribution_id} is already linked to {self.reference}."
            )
        self.trigger_event(
            ContributionLinked,
            contribution_id=contribution_id,
            influence=influence,
            note=note.strip(),
            actor=actor,
            timestamp=at,
        )

    def unlink_contribution(
        self, *, contribution_id: UUID, reason: str, actor: Actor, at: datetime
    ) -> None:
        self._require_open("unlink a contribution from")
        if contribution_id not in self.links:
            raise ContributionNotLinked(
                f"Contribution {contribution_id} is not linked to {self.reference}."
            )
        self.trigger_event(
            ContributionUnlinked,
            contribution_id=contribution_id,
            reason=require_text(reason, ReasonRequired, "Unlinking a contribution needs a reason."),
            actor=actor,
            timestamp=at,
        )

    def amend(
        self,
        *,
        text: str,
        caused_by: tuple[UUID, ...],
        rationale: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        self._require_open("amend")
        unlinked = [c for c in caused_by if c not in self.links]
        if unlinked:
            raise ContributionNotLinked(
                f"An amendment can only cite linked contributions; {unlinked[0]} is not linked "
                f"to {self.reference}."
            )
        self.trigger_event(
            DecisionAmended,
            text=require_text(text, InvalidValue, "An amendment needs the new text."),
            caused_by=caused_by,
            rationale=require_text(rationale, RationaleRequired, "An amendment needs a rationale."),
            actor=actor,
            timestamp=at,
        )

    def record_vote(
        self, *, voter: MemberRecord, stance: Stance, reason: str, actor: Actor, at: datetime
    ) -> None:
        self._require_open("vote on")
        if not voter.active:
            raise MemberNotActive(f"{voter.member_id} has stood down and cannot vote.")
        if not voter.voting:
            raise MemberNotActive(f"{voter.member_id} has no voting rights.")
        if voter.member_id in self.votes:
            raise AlreadyVoted(f"{voter.member_id} has already voted on {self.reference}.")
        if stance in (Stance.AGAINST, Stance.BLOCK) and not reason.strip():
            raise ReasonRequired(f"A vote {stance.value} {self.reference} needs a reason.")
        self.trigger_event(
            VoteRecorded,
            member_id=voter.member_id,
            stance=stance,
            reason=reason.strip(),
            actor=actor,
            timestamp=at,
        )

    def withdraw_vote(
        self, *, voter: MemberRecord, reason: str, actor: Actor, at: datetime
    ) -> None:
        self._require_open("withdraw a vote on")
        if voter.member_id not in self.votes:
            raise VoteNotRecorded(f"{voter.member_id} has no vote on {self.reference} to withdraw.")
        self.trigger_event(
            VoteWithdrawn,
            member_id=voter.member_id,
            reason=require_text(reason, ReasonRequired, "Withdrawing a vote needs a reason."),
            actor=actor,
            timestamp=at,
        )

    def take(
        self,
        *,
        outcome: DecisionOutcome,
        rationale: str,
        meeting_id: UUID,
        held_at: datetime,
        present: tuple[str, ...],
        roster: Mapping[str, MemberRecord],
        terms: TermsOfReference,
        interested: frozenset[str],
        coproduced: bool,
        actor: Actor,
        at: datetime,
    ) -> None:
        self._require_open("take")
        if held_at > at:
            raise MeetingNotYetHeld(
                f"{self.reference} cannot be taken at a meeting still to be held "
                f"({held_at.isoformat()})."
            )
        rationale = require_text(
            rationale, RationaleRequired, "Taking a decision needs a rationale."
        )
        quorum = check_quorum(terms, roster, present, interested)
        if not quorum.met:
            raise QuorumNotMet(
                f"{self.reference} cannot be taken: quorum not met ({quorum.shortfall()})."
            )
        votes = count_votes(self.votes.values(), present, roster, interested)
        tally = votes.tally
        if outcome is DecisionOutcome.APPROVED:
            if votes.blockers:
                raise DecisionBlocked(
                    f"{self.reference} is blocked by {_names(votes.blockers, roster)}: a block "
                    "stands, whoever attends, until the member withdraws it with a reason."
                )
            if tally.for_ <= tally.against:
                raise MajorityNotReached(
                    f"{self.reference} has {tally.for_} eligible votes for and "
                    f"{tally.against} against."
                )
        if coproduced and not (quorum.forum_present and votes.forum_voted(roster)):
            raise CoproductionNotEvidenced(
                f"{self.reference} cannot be recorded as co-produced: the parent carer forum "
                "was not present and voting."
            )
        self.trigger_event(
            DecisionTaken,
            outcome=outcome,
            rationale=rationale,
            meeting_id=meeting_id,
            taken_at=held_at,
            members_present=tuple(sorted(present)),
            terms_version=terms.version,
            quorum_required=terms.quorum,
            quorum_met=True,
            forum_present=quorum.forum_present,
            tally=tally,
            excluded_votes=votes.excluded,
            dissent=votes.dissent,
            absent_votes=votes.absent,
            coproduced=coproduced,
            actor=actor,
            timestamp=at,
        )

    def defer(self, *, reason: str, until: date | None, actor: Actor, at: datetime) -> None:
        self._require_open("defer")
        self.trigger_event(
            DecisionDeferred,
            reason=require_text(reason, ReasonRequired, "Deferring a decision needs a reason."),
            until=until,
            actor=actor,
            timestamp=at,
        )

    def schedule_review(self, *, review_on: date, reason: str, actor: Actor, at: datetime) -> None:
        if self.status is not DecisionStatus.TAKEN:
            raise DecisionNotTaken(
                f"{self.reference} is {self.status.value}; only taken decisions are reviewed."
            )
        if review_on <= at.date():
            raise InvalidValue("A review must be scheduled for a future date.")
        self.trigger_event(
            ReviewScheduled, review_on=review_on, reason=reason.strip(), actor=actor, timestamp=at
        )

    def supersede(self, *, superseded_by: UUID, rationale: str, actor: Actor, at: datetime) -> None:
        if self.status is not DecisionStatus.TAKEN:
            raise DecisionNotTaken(
                f"{self.reference} is {self.status.value}; only a taken decision is superseded."
            )
        if superseded_by == self.id:
            raise InvalidValue("A decision cannot supersede itself.")
        self.trigger_event(
            DecisionSuperseded,
            superseded_by=superseded_by,
            rationale=require_text(rationale, RationaleRequired, "Superseding needs a rationale."),
            actor=actor,
            timestamp=at,
        )

    def _require_open(self, doing: str) -> None:
        if self.status in (DecisionStatus.TAKEN, DecisionStatus.SUPERSEDED):
            raise DecisionFinal(
                f"Cannot {doing} {self.reference}: it is {self.status.value} and final "
                "(supersede it instead)."
            )


def _names(member_ids: tuple[str, ...], roster: Mapping[str, MemberRecord]) -> str:
    return ", ".join(f"{roster[m].name} ({m})" if m in roster else m for m in member_ids)
