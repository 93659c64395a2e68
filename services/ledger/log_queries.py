"""The log as it is: every event of one aggregate, and the ordered log itself.

Both are read straight from the event store, not from the read models: they show
the events themselves, with who recorded each, when and why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import msgspec

from domain.base import LedgerEvent
from domain.errors import NotFound
from domain.values import PersonalData
from services import views
from services.ledger.application import LedgerApplication

PositionsOf = Callable[[UUID], dict[int, int]]
PAGE = 1000
WITHHELD = "[personal data withheld]"

WHY_FIELDS = ("reason", "rationale", "note", "nature", "findings")
"""The fields in which events record why they happened (the first one an event has)."""


class LogQueries:
    def __init__(self, app: LedgerApplication, positions_of: PositionsOf | None = None) -> None:
        """`positions_of` gives the log position of each version of an aggregate;
        without it the log is scanned (for the in-memory store)."""
        self.app = app
        self.positions_of: PositionsOf = positions_of or self._scan_positions

    def history(self, aggregate_id: UUID) -> list[views.HistoryEntry]:
        events = cast(list[LedgerEvent], self.app.aggregate_events(aggregate_id))
        if not events:
            raise NotFound(f"No aggregate with id {aggregate_id}.")
        positions = self.positions_of(aggregate_id)
        return [
            views.HistoryEntry(
                position=positions.get(e.originator_version),
                version=e.originator_version,
                occurred_at=e.timestamp,
                type=type(e).TOPIC,
                actor=e.actor.id,
                role=e.actor.role,
                why=why_of(e),
            )
            for e in events
        ]

    def position_at(self, when: datetime) -> int:
        """The last log position recorded at or before `when` (0 if none was): a binary
        search, since the log is in time order."""
        low, high = 0, self.app.recorder.max_notification_id() or 0
        while low < high:
            middle = (low + high + 1) // 2
            notes = self.app.recorder.select_notifications(middle, 1)
            event = self.app.mapper.to_domain_event(notes[0]) if notes else None
            if event is not None and cast(LedgerEvent, event).timestamp <= when:
                low = notes[0].id
            else:
                high = middle - 1
        return low

    def events(self, after: int = 0, limit: int = 100) -> list[views.LogEntry]:
        notifications = self.app.recorder.select_notifications(after + 1, limit)
        entries = []
        for n in notifications:
            e = cast(LedgerEvent, self.app.mapper.to_domain_event(n))
            entries.append(
                views.LogEntry(
                    position=n.id,
                    aggregate_id=e.originator_id,
                    version=e.originator_version,
                    type=type(e).TOPIC,
                    occurred_at=e.timestamp,
                    actor=e.actor.id,
                    role=e.actor.role,
                    data=_payload(e),
                )
            )
        return entries

    def _scan_positions(self, aggregate_id: UUID) -> dict[int, int]:
        positions = {}
        start = 1
        while True:
            page = self.app.recorder.select_notifications(start, PAGE)
            for n in page:
                if n.originator_id == aggregate_id:
                    positions[n.originator_version] = n.id
            if len(page) < PAGE:
                return positions
            start = page[-1].id + 1


def why_of(event: LedgerEvent) -> str:
    """The reason, rationale or note an event records for itself, or ""."""
    for name in WHY_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, tuple) and value and all(isinstance(x, str) for x in value):
            return "; ".join(value)
    return ""


def _payload(event: LedgerEvent) -> dict[str, Any]:
    """The event's fields as JSON-ready values, personal data withheld."""
    data = {
        k: (msgspec.structs.replace(val, value=WITHHELD) if isinstance(val, PersonalData) else val)
        for k, val in vars(event).items()
        if k
        not in ("originator_id", "originator_version", "originator_topic", "timestamp", "actor")
    }
    return cast(dict[str, Any], msgspec.to_builtins(data))
