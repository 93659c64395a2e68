"""The application service's handlers of partnership commands: establishing a
partnership, appointing and standing down members, adopting terms of reference and
declaring interests."""

from __future__ import annotations

from uuid import UUID

from domain.decision import Decision
from domain.partnership import Partnership
from services.ledger import commands
from services.ledger.application_base import LedgerApplicationBase


class PartnershipHandlers(LedgerApplicationBase):
    def establish_partnership(self, cmd: commands.EstablishPartnership) -> UUID:
        partnership = Partnership.establish(
            partnership_id=self.given_or_new_id("partnership_id", cmd.partnership_id),
            name=cmd.name,
            kind=cmd.kind,
            la_code=cmd.la_code,
            icb_code=cmd.icb_code,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def appoint_member(self, cmd: commands.AppointMember) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.appoint_member(
            member_id=cmd.member_id,
            name=cmd.name,
            role=cmd.role,
            sector=cmd.sector,
            organisation=cmd.organisation,
            voting=cmd.voting,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def stand_down_member(self, cmd: commands.StandDownMember) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.stand_down_member(
            member_id=cmd.member_id, reason=cmd.reason, actor=cmd.actor, at=self.clock()
        )
        self.save_all(partnership)
        return partnership.id

    def adopt_terms_of_reference(self, cmd: commands.AdoptTermsOfReference) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.adopt_terms_of_reference(
            quorum=cmd.quorum,
            forum_required=cmd.forum_required,
            description=cmd.description,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def declare_interest(self, cmd: commands.DeclareInterest) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        decision = self.load(Decision, cmd.decision_id)
        self._same_partnership(partnership, decision.partnership_id, decision.reference)
        partnership.declare_interest(
            member_id=cmd.member_id,
            decision_id=decision.id,
            has_interest=cmd.has_interest,
            nature=cmd.nature,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id
