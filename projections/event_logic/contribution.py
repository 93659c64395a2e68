"""How a contribution's events change its document."""

from __future__ import annotations

from domain.base import LedgerEvent
from domain.contribution import (
    ContributionRoutedToIndividualCase,
    ContributionSubmitted,
    ContributionTriaged,
    ContributorNotified,
    DeidentifiedSummaryRecorded,
    ResponseIssued,
)
from projections.documents import ContributionDoc, ResponseDoc
from projections.event_logic.access import DocAccess, get_doc, no_case, save_doc


def apply_contribution_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, ContributionSubmitted):
        doc = ContributionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            plan_id=e.plan_id,
            reference=e.reference,
            contributor_kind=e.contributor_kind.value,
            channel=e.channel.value,
            depth=e.depth.value,
            themes=list(e.themes),
            sections=list(e.sections),
            submitted_at=e.timestamp,
        )
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, ContributionDoc, "contribution", e.originator_id)
    match e:
        case ContributionTriaged():
            doc.triaged_at = e.timestamp
            doc.themes = list(e.themes) or doc.themes
            doc.sections = list(e.sections) or doc.sections
        case ContributionRoutedToIndividualCase():
            doc.triaged_at = doc.triaged_at or e.timestamp
            doc.routed_to_case = True
        case ResponseIssued():
            doc.response = ResponseDoc(
                outcome=e.outcome.value,
                rationale=e.rationale,
                actions=list(e.actions),
                at=e.timestamp,
                by=e.actor.id,
            )
        case DeidentifiedSummaryRecorded():
            doc.summary = e.summary
        case ContributorNotified():
            doc.notified_at = e.timestamp
        case _:
            no_case(e, "contribution")
    save_doc(docs, doc, position)
