"""Decision: proposed by a member, shaped by contributions, voted on, taken at a meeting.

Its events, and the state each sets, are in `domain.decision_events`; how votes count
(absent members, blocks, withdrawals) is in `domain.votes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from uuid import UUID

from domain.base import LedgerAggregate, LedgerEvent, require_text
from domain.decision_events import (
    ContributionLinked,
    ContributionUnlinked,
    DecisionAmended,
    DecisionDeferred,
    DecisionProposed,
    DecisionSuperseded,
    DecisionTaken,
    Link,
    ReviewScheduled,
    VoteRecorded,
    VoteWithdrawn,
)
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
    DecisionStatus,
    Influence,
    MemberRecord,
    Stance,
    TermsOfReference,
)
from domain.votes import Vote, count_votes


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
