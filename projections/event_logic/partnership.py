"""How a partnership's events change its document (and a decision's, for a declared interest)."""

from __future__ import annotations

import msgspec

from domain.base import LedgerEvent
from domain.partnership import (
    InterestDeclared,
    MemberAppointed,
    MemberStoodDown,
    PartnershipEstablished,
    TermsOfReferenceAdopted,
)
from domain.values import MemberRecord
from projections.documents import DecisionDoc, InterestDoc, PartnershipDoc
from projections.event_logic.access import DocAccess, get_doc, no_case, related_doc, save_doc


def apply_partnership_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, PartnershipEstablished):
        doc = PartnershipDoc(
            id=e.originator_id,
            partnership_id=e.originator_id,
            name=e.name,
            kind=e.kind,
            la_code=e.la_code,
            icb_code=e.icb_code,
            established_at=e.timestamp,
        )
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, PartnershipDoc, "partnership", e.originator_id)
    match e:
        case MemberAppointed():
            doc.members[e.member_id] = MemberRecord(
                member_id=e.member_id,
                name=e.name,
                role=e.role,
                sector=e.sector,
                organisation=e.organisation,
                voting=e.voting,
            )
        case MemberStoodDown():
            member = doc.members[e.member_id]
            doc.members[e.member_id] = msgspec.structs.replace(member, active=False)
        case TermsOfReferenceAdopted():
            doc.terms = e.terms
        case InterestDeclared():
            decision = related_doc(docs, DecisionDoc, "decision", e.decision_id)
            if decision is not None:
                declared = InterestDoc(
                    member_id=e.member_id,
                    has_interest=e.has_interest,
                    nature=e.nature,
                    declared_at=e.timestamp,
                    declared_by=e.actor,
                )
                # A member's later declaration replaces their earlier one in place.
                for i, interest in enumerate(decision.interests):
                    if interest.member_id == e.member_id:
                        decision.interests[i] = declared
                        break
                else:
                    decision.interests.append(declared)
                save_doc(docs, decision, position)
        case _:
            no_case(e, "partnership")
    save_doc(docs, doc, position)
