"""How a meeting's events change its document."""

from __future__ import annotations

from domain.base import LedgerEvent
from domain.meeting import AttendanceRecorded, MeetingScheduled, MinutesApproved
from projections.documents import MeetingDoc
from projections.event_logic.access import DocAccess, get_doc, no_case, save_doc


def apply_meeting_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, MeetingScheduled):
        doc = MeetingDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            title=e.title,
            held_at=e.held_at,
        )
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, MeetingDoc, "meeting", e.originator_id)
    match e:
        case AttendanceRecorded():
            doc.present, doc.apologies = list(e.present), list(e.apologies)
            doc.attendance_recorded = True
        case MinutesApproved():
            doc.minutes_approved = True
        case _:
            no_case(e, "meeting")
    save_doc(docs, doc, position)
