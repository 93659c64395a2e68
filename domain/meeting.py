"""Meeting: where decisions are taken, with the members present recorded.

A meeting is scheduled for a time with a UTC offset, in the past (entering a
meeting from its minutes) or the future; who attended, its minutes and the
decisions taken at it are recorded only once that time has come.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.errors import (
    AttendanceNotRecorded,
    InvalidValue,
    MeetingNotYetHeld,
    MeetingRecordFinal,
    MemberNotActive,
)
from domain.values import Actor, MemberRecord


class MeetingScheduled(LedgerCreated):
    TOPIC = "MeetingScheduled"

    partnership_id: UUID
    title: str
    held_at: datetime

    def apply(self, aggregate: Meeting) -> None:
        aggregate.partnership_id = self.partnership_id
        aggregate.title = self.title
        aggregate.held_at = self.held_at


class AttendanceRecorded(LedgerEvent):
    TOPIC = "AttendanceRecorded"

    present: tuple[str, ...]
    apologies: tuple[str, ...]

    def apply(self, aggregate: Meeting) -> None:
        aggregate.present = self.present
        aggregate.apologies = self.apologies
        aggregate.attendance_recorded = True


class MinutesApproved(LedgerEvent):
    TOPIC = "MinutesApproved"

    summary: str

    def apply(self, aggregate: Meeting) -> None:
        aggregate.minutes_approved = True


class Meeting(LedgerAggregate):
    TOPIC = "Meeting"
    Event = LedgerEvent
    Created = MeetingScheduled

    def __init__(self) -> None:
        self.partnership_id: UUID | None = None
        self.title = ""
        self.held_at: datetime | None = None
        self.present: tuple[str, ...] = ()
        self.apologies: tuple[str, ...] = ()
        self.attendance_recorded = False
        self.minutes_approved = False

    @classmethod
    def schedule(
        cls,
        *,
        meeting_id: UUID,
        partnership_id: UUID,
        title: str,
        held_at: datetime,
        actor: Actor,
        at: datetime,
    ) -> Meeting:
        if held_at.utcoffset() is None:
            raise InvalidValue(
                f"The time of {title.strip() or 'a meeting'} needs a UTC offset "
                f"(such as {held_at.isoformat()}Z or +01:00)."
            )
        return cls._create(
            MeetingScheduled,
            id=meeting_id,
            partnership_id=partnership_id,
            title=require_text(title, InvalidValue, "A meeting needs a title."),
            held_at=held_at,
            actor=actor,
            timestamp=at,
        )

    def record_attendance(
        self,
        *,
        present: tuple[str, ...],
        apologies: tuple[str, ...],
        roster: Mapping[str, MemberRecord],
        actor: Actor,
        at: datetime,
    ) -> None:
        self.require_held(at, "record who attended")
        if self.minutes_approved:
            raise MeetingRecordFinal(f"The minutes of {self.title} are approved and final.")
        for member_id in present:
            member = roster.get(member_id)
            if member is None or not member.active:
                raise MemberNotActive(f"{member_id} is not an active member and cannot attend.")
        if set(present) & set(apologies):
            raise InvalidValue("A member cannot be both present and giving apologies.")
        self.trigger_event(
            AttendanceRecorded,
            present=tuple(dict.fromkeys(present)),
            apologies=tuple(dict.fromkeys(apologies)),
            actor=actor,
            timestamp=at,
        )

    def approve_minutes(self, *, summary: str, actor: Actor, at: datetime) -> None:
        self.require_held(at, "approve the minutes of")
        if not self.attendance_recorded:
            raise AttendanceNotRecorded(f"Record who attended {self.title} before the minutes.")
        if self.minutes_approved:
            raise MeetingRecordFinal(f"The minutes of {self.title} are already approved.")
        self.trigger_event(MinutesApproved, summary=summary.strip(), actor=actor, timestamp=at)

    def require_held(self, now: datetime, doing: str) -> datetime:
        """When the meeting was held; refused while that is still after `now`."""
        assert self.held_at is not None  # every meeting is scheduled with its time
        if self.held_at > now:
            raise MeetingNotYetHeld(
                f"Cannot {doing} {self.title}: it is to be held on {self.held_at.isoformat()}, "
                f"after now ({now.isoformat()})."
            )
        return self.held_at

    def attendance(self) -> tuple[str, ...]:
        if not self.attendance_recorded:
            raise AttendanceNotRecorded(f"No attendance is recorded for {self.title}.")
        return self.present
