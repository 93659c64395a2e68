"""Rows of the event log as the read side takes them, and how they become events.

The projector reads the log in position order in batches; time travel reads
the rows of a few aggregates. Both take rows straight from the store's events
table where the store offers that, and decode them with the ledger's mapper.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Protocol, cast, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import Mapper, MapperDeserialisationError, Notification
from eventsourcing.utils import TopicError

from domain.base import LedgerEvent

LogRow = tuple[int, UUID, int, str, bytes]
"""(position, aggregate id, aggregate version, topic, stored state)."""

ReadLog = Callable[[int, int, int], Sequence[LogRow]]
"""Rows after a position, at most `limit` of them, none past `stop`."""

ReadHistory = Callable[[Sequence[UUID], int | None, Collection[str]], Sequence[LogRow]]
"""The rows of some aggregates' events in log order, none past a position (when
given) and none with one of the topics given."""


@runtime_checkable
class EventDecoder(Protocol):
    """A mapper that decodes straight from a log row's parts (the msgspec mapper does)."""

    def decode(
        self, topic: str, state: bytes, originator_id: UUID, originator_version: int
    ) -> object: ...


class RowDecoder:
    """Log rows to events; None for an event type from a newer release."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self._decode: Callable[[str, bytes, UUID, int], object] | None = (
            mapper.decode if isinstance(mapper, EventDecoder) else None
        )

    def __call__(self, row: LogRow) -> LedgerEvent | None:
        position, originator_id, version, topic, state = row
        try:
            if self._decode is not None:
                return cast(LedgerEvent, self._decode(topic, state, originator_id, version))
            note = Notification(
                id=position,
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=state,
            )
            return cast(LedgerEvent, self.mapper.to_domain_event(note))
        except MapperDeserialisationError as e:
            if isinstance(e.__cause__, TopicError):
                return None
            raise
