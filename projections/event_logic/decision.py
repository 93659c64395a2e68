"""How a decision's events change its document (and a linked contribution's)."""

from __future__ import annotations

from uuid import UUID

from domain.base import LedgerEvent
from domain.decision_events import (
    ContributionLinked,
    ContributionUnlinked,
    DecisionAmended,
    DecisionDeferred,
    DecisionProposed,
    DecisionSuperseded,
    DecisionTaken,
    ReviewScheduled,
    VoteRecorded,
    VoteWithdrawn,
)
from domain.values import DecisionStatus
from projections.documents import (
    AmendmentDoc,
    ContributionDoc,
    DecisionDoc,
    DecisionLinkDoc,
    DeferralDoc,
    LinkDoc,
    ReviewDoc,
    SupersessionDoc,
    TakenDoc,
    VoteDoc,
)
from projections.event_logic.access import DocAccess, get_doc, no_case, related_doc, save_doc


def apply_decision_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, DecisionProposed):
        doc = DecisionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            reference=e.reference,
            title=e.title,
            category=e.category.value,
            status=DecisionStatus.PROPOSED.value,
            text=e.text,
            original_text=e.text,
            options=list(e.options),
            evidence=list(e.evidence),
            proposer_id=e.proposer_id,
            proposed_at=e.timestamp,
            proposed_by=e.actor,
        )
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, DecisionDoc, "decision", e.originator_id)
    match e:
        case ContributionLinked():
            doc.links.append(
                LinkDoc(
                    contribution_id=e.contribution_id,
                    influence=e.influence.value,
                    note=e.note,
                    linked_at=e.timestamp,
                    linked_by=e.actor,
                )
            )
            _mark_link(docs, e.contribution_id, doc.id, e.influence.value, True, position)
        case ContributionUnlinked():
            for link in doc.links:
                if link.contribution_id == e.contribution_id and link.unlinked_at is None:
                    link.unlinked_at, link.unlinked_by = e.timestamp, e.actor
                    link.unlink_reason = e.reason
                    _mark_link(docs, e.contribution_id, doc.id, link.influence, False, position)
        case DecisionAmended():
            doc.text = e.text
            doc.amendments.append(
                AmendmentDoc(
                    text=e.text,
                    rationale=e.rationale,
                    caused_by=list(e.caused_by),
                    amended_at=e.timestamp,
                    amended_by=e.actor,
                )
            )
        case VoteRecorded():
            doc.votes.append(
                VoteDoc(
                    member_id=e.member_id,
                    stance=e.stance.value,
                    reason=e.reason,
                    recorded_at=e.timestamp,
                    recorded_by=e.actor,
                )
            )
        case VoteWithdrawn():  # a withdrawn vote stays in the account, marked withdrawn
            for vote in doc.votes:
                if vote.member_id == e.member_id and vote.withdrawn_at is None:
                    vote.withdrawn_at, vote.withdrawn_by = e.timestamp, e.actor
                    vote.withdrawal_reason = e.reason
        case DecisionTaken():
            doc.status = DecisionStatus.TAKEN.value
            doc.taken = TakenDoc(
                outcome=e.outcome.value,
                rationale=e.rationale,
                taken_at=e.taken_at,
                recorded_at=e.timestamp,
                taken_by=e.actor,
                meeting_id=e.meeting_id,
                members_present=list(e.members_present),
                terms_version=e.terms_version,
                quorum_required=e.quorum_required,
                quorum_met=e.quorum_met,
                forum_present=e.forum_present,
                tally=e.tally,
                excluded_votes=list(e.excluded_votes),
                absent_votes=list(e.absent_votes),
                dissent=list(e.dissent),
                coproduced=e.coproduced,
            )
        case DecisionDeferred():
            doc.status = DecisionStatus.DEFERRED.value
            doc.deferrals.append(
                DeferralDoc(reason=e.reason, until=e.until, at=e.timestamp, by=e.actor)
            )
        case ReviewScheduled():
            doc.reviews.append(
                ReviewDoc(review_on=e.review_on, reason=e.reason, at=e.timestamp, by=e.actor)
            )
        case DecisionSuperseded():
            doc.status = DecisionStatus.SUPERSEDED.value
            doc.supersession = SupersessionDoc(
                superseded_by=e.superseded_by, rationale=e.rationale, at=e.timestamp, by=e.actor
            )
        case _:
            no_case(e, "decision")
    save_doc(docs, doc, position)


def _mark_link(
    docs: DocAccess,
    contribution_id: UUID,
    decision_id: UUID,
    influence: str,
    linked: bool,
    position: int,
) -> None:
    contribution = related_doc(docs, ContributionDoc, "contribution", contribution_id)
    if contribution is None:
        return
    contribution.decisions = [d for d in contribution.decisions if d.decision_id != decision_id]
    contribution.decisions.append(
        DecisionLinkDoc(decision_id=decision_id, influence=influence, linked=linked)
    )
    save_doc(docs, contribution, position)
