"""Partnership: the board, its members, terms of reference and declared interests."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.errors import (
    DuplicateMember,
    InvalidTermsOfReference,
    InvalidValue,
    MemberNotActive,
    NoTermsOfReference,
    TermsUnchanged,
)
from domain.values import Actor, MemberRecord, Sector, TermsOfReference


class Interest(msgspec.Struct, frozen=True):
    member_id: str
    decision_id: UUID
    has_interest: bool
    nature: str


class PartnershipEstablished(LedgerCreated):
    TOPIC = "PartnershipEstablished"

    name: str
    kind: str
    la_code: str
    icb_code: str

    def apply(self, aggregate: Partnership) -> None:
        aggregate.name = self.name
        aggregate.kind = self.kind
        aggregate.la_code = self.la_code
        aggregate.icb_code = self.icb_code


class MemberAppointed(LedgerEvent):
    TOPIC = "MemberAppointed"

    member_id: str
    name: str
    role: str
    sector: Sector
    organisation: str
    voting: bool

    def apply(self, aggregate: Partnership) -> None:
        aggregate.members[self.member_id] = MemberRecord(
            member_id=self.member_id,
            name=self.name,
            role=self.role,
            sector=self.sector,
            organisation=self.organisation,
            voting=self.voting,
        )


class MemberStoodDown(LedgerEvent):
    TOPIC = "MemberStoodDown"

    member_id: str
    reason: str

    def apply(self, aggregate: Partnership) -> None:
        member = aggregate.members[self.member_id]
        aggregate.members[self.member_id] = msgspec.structs.replace(member, active=False)


class TermsOfReferenceAdopted(LedgerEvent):
    TOPIC = "TermsOfReferenceAdopted"

    terms: TermsOfReference

    def apply(self, aggregate: Partnership) -> None:
        aggregate.terms = self.terms


class InterestDeclared(LedgerEvent):
    TOPIC = "InterestDeclared"

    member_id: str
    decision_id: UUID
    has_interest: bool
    nature: str

    def apply(self, aggregate: Partnership) -> None:
        aggregate.interests[(self.member_id, self.decision_id)] = Interest(
            member_id=self.member_id,
            decision_id=self.decision_id,
            has_interest=self.has_interest,
            nature=self.nature,
        )


def _same_terms(
    terms: TermsOfReference, quorum: int, forum_required: bool, description: str
) -> bool:
    return (terms.quorum, terms.forum_required, terms.description.strip()) == (
        quorum,
        forum_required,
        description.strip(),
    )


class Partnership(LedgerAggregate):
    TOPIC = "Partnership"
    Event = LedgerEvent
    Created = PartnershipEstablished

    def __init__(self) -> None:
        self.name = ""
        self.kind = ""
        self.la_code = ""
        self.icb_code = ""
        self.members: dict[str, MemberRecord] = {}
        self.terms: TermsOfReference | None = None
        self.interests: dict[tuple[str, UUID], Interest] = {}

    @classmethod
    def establish(
        cls,
        *,
        partnership_id: UUID,
        name: str,
        kind: str,
        la_code: str,
        icb_code: str,
        actor: Actor,
        at: datetime,
    ) -> Partnership:
        return cls._create(
            PartnershipEstablished,
            id=partnership_id,
            name=require_text(name, InvalidValue, "A partnership needs a name."),
            kind=require_text(kind, InvalidValue, "A partnership needs a kind."),
            la_code=la_code.strip(),
            icb_code=icb_code.strip(),
            actor=actor,
            timestamp=at,
        )

    def appoint_member(
        self,
        *,
        member_id: str,
        name: str,
        role: str,
        sector: Sector,
        organisation: str,
        voting: bool,
        actor: Actor,
        at: datetime,
    ) -> None:
        member_id = require_text(member_id, InvalidValue, "A member needs an id.")
        if member_id in self.members:
            raise DuplicateMember(f"Member {member_id} is already appointed to {self.name}.")
        self.trigger_event(
            MemberAppointed,
            member_id=member_id,
            name=require_text(name, InvalidValue, "A member needs a name."),
            role=require_text(role, InvalidValue, "A member needs a role."),
            sector=sector,
            organisation=organisation.strip(),
            voting=voting,
            actor=actor,
            timestamp=at,
        )

    def stand_down_member(self, *, member_id: str, reason: str, actor: Actor, at: datetime) -> None:
        self.active_member(member_id)
        self.trigger_event(
            MemberStoodDown, member_id=member_id, reason=reason, actor=actor, timestamp=at
        )

    def adopt_terms_of_reference(
        self, *, quorum: int, forum_required: bool, description: str, actor: Actor, at: datetime
    ) -> None:
        if quorum < 1:
            raise InvalidTermsOfReference("The quorum must be at least one voting member.")
        voting = [m for m in self.members.values() if m.active and m.voting]
        if quorum > len(voting):
            raise InvalidTermsOfReference(
                f"A quorum of {quorum} cannot be met by {len(voting)} active voting members."
            )
        if forum_required and not any(
            m.active and m.sector is Sector.PARENT_CARER_FORUM for m in self.members.values()
        ):
            raise InvalidTermsOfReference(
                "Terms that require the parent carer forum need an active forum member first."
            )
        current = self.terms
        if current is not None and _same_terms(current, quorum, forum_required, description):
            raise TermsUnchanged(
                f"These terms of reference are already in force in {self.name} (version "
                f"{current.version}), so nothing was adopted; change the quorum, the forum "
                "requirement or the description to adopt new terms."
            )
        version = 1 if current is None else current.version + 1
        terms = TermsOfReference(
            version=version, quorum=quorum, forum_required=forum_required, description=description
        )
        self.trigger_event(TermsOfReferenceAdopted, terms=terms, actor=actor, timestamp=at)

    def declare_interest(
        self,
        *,
        member_id: str,
        decision_id: UUID,
        has_interest: bool,
        nature: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        self.active_member(member_id)
        if has_interest:
            nature = require_text(nature, InvalidValue, "A declared interest needs its nature.")
        self.trigger_event(
            InterestDeclared,
            member_id=member_id,
            decision_id=decision_id,
            has_interest=has_interest,
            nature=nature.strip(),
            actor=actor,
            timestamp=at,
        )

    # Queries other aggregates' rules rely on.

    def active_member(self, member_id: str) -> MemberRecord:
        member = self.members.get(member_id)
        if member is None:
            raise MemberNotActive(f"{member_id} is not a member of {self.name}.")
        if not member.active:
            raise MemberNotActive(f"{member_id} has stood down from {self.name} and cannot act.")
        return member

    def terms_in_force(self) -> TermsOfReference:
        if self.terms is None:
            raise NoTermsOfReference(f"{self.name} has adopted no terms of reference yet.")
        return self.terms

    def interested_members(self, decision_id: UUID) -> frozenset[str]:
        return frozenset(
            i.member_id
            for i in self.interests.values()
            if i.decision_id == decision_id and i.has_interest
        )

    def roster(self) -> dict[str, MemberRecord]:
        return dict(self.members)
