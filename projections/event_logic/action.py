"""How an action's events change its document (and its decision's, when committed)."""

from __future__ import annotations

from domain.action import ActionCommitted, ActionCompleted, ProgressReported
from domain.base import LedgerEvent
from projections.documents import ActionDoc, DecisionDoc, ProgressDoc
from projections.event_logic.access import DocAccess, get_doc, no_case, related_doc, save_doc


def apply_action_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, ActionCommitted):
        doc = ActionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            decision_id=e.decision_id,
            reference=e.reference,
            title=e.title,
            owner=e.owner,
            due_on=e.due_on,
            measure=e.measure,
            committed_at=e.timestamp,
            committed_by=e.actor,
        )
        decision = related_doc(docs, DecisionDoc, "decision", e.decision_id)
        if decision is not None:
            decision.action_ids.append(doc.id)
            save_doc(docs, decision, position)
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, ActionDoc, "action", e.originator_id)
    match e:
        case ProgressReported():
            doc.percent_complete = e.percent_complete
            doc.progress.append(
                ProgressDoc(
                    note=e.note,
                    percent_complete=e.percent_complete,
                    at=e.timestamp,
                    by=e.actor.id,
                )
            )
        case ActionCompleted():
            doc.percent_complete = 100
            doc.completed_at = e.timestamp
            doc.progress.append(
                ProgressDoc(note=e.note, percent_complete=100, at=e.timestamp, by=e.actor.id)
            )
        case _:
            no_case(e, "action")
    save_doc(docs, doc, position)
