"""The application service's handlers of decision commands: proposing a decision,
linking and unlinking contributions, amending it, votes cast and withdrawn, taking
it at a meeting, deferral, review and supersession."""

from __future__ import annotations

from uuid import UUID

from domain.contribution import Contribution
from domain.decision import Decision
from domain.errors import NotFound
from domain.meeting import Meeting
from domain.partnership import Partnership
from services.ledger import commands
from services.ledger.application_base import LedgerApplicationBase


class DecisionHandlers(LedgerApplicationBase):
    def propose_decision(self, cmd: commands.ProposeDecision) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        decision = Decision.propose(
            decision_id=self.given_or_new_id("decision_id", cmd.decision_id),
            partnership_id=partnership.id,
            reference=cmd.reference,
            title=cmd.title,
            category=cmd.category,
            text=cmd.text,
            options=cmd.options,
            evidence=cmd.evidence,
            proposer=partnership.active_member(cmd.proposer_id),
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def link_contribution(self, cmd: commands.LinkContribution) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        contribution = self.load(Contribution, cmd.contribution_id)
        if contribution.partnership_id != decision.partnership_id:
            raise NotFound(f"Contribution {contribution.reference} belongs to another partnership.")
        decision.link_contribution(
            contribution_id=contribution.id,
            influence=cmd.influence,
            note=cmd.note,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def unlink_contribution(self, cmd: commands.UnlinkContribution) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.unlink_contribution(
            contribution_id=cmd.contribution_id,
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def amend_decision(self, cmd: commands.AmendDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.amend(
            text=cmd.text,
            caused_by=cmd.caused_by,
            rationale=cmd.rationale,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def record_vote(self, cmd: commands.RecordVote) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        decision.record_vote(
            voter=partnership.active_member(cmd.member_id),
            stance=cmd.stance,
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def withdraw_vote(self, cmd: commands.WithdrawVote) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        decision.withdraw_vote(
            voter=partnership.active_member(cmd.member_id),
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def take_decision(self, cmd: commands.TakeDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        meeting = self.load(Meeting, cmd.meeting_id)
        self._same_partnership(partnership, meeting.partnership_id, meeting.title)
        now = self.clock()
        decision.take(
            outcome=cmd.outcome,
            rationale=cmd.rationale,
            meeting_id=meeting.id,
            held_at=meeting.require_held(now, f"take {decision.reference} at"),
            present=meeting.attendance(),
            roster=partnership.roster(),
            terms=partnership.terms_in_force(),
            interested=partnership.interested_members(decision.id),
            coproduced=cmd.coproduced,
            actor=cmd.actor,
            at=now,
        )
        self.save_all(decision)
        return decision.id

    def defer_decision(self, cmd: commands.DeferDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.defer(reason=cmd.reason, until=cmd.until, actor=cmd.actor, at=self.clock())
        self.save_all(decision)
        return decision.id

    def schedule_review(self, cmd: commands.ScheduleReview) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.schedule_review(
            review_on=cmd.review_on, reason=cmd.reason, actor=cmd.actor, at=self.clock()
        )
        self.save_all(decision)
        return decision.id

    def supersede_decision(self, cmd: commands.SupersedeDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        successor = self.load(Decision, cmd.superseded_by)
        if successor.partnership_id != decision.partnership_id:
            raise NotFound(f"{successor.reference} belongs to another partnership.")
        decision.supersede(
            superseded_by=successor.id,
            rationale=cmd.rationale,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id
