"""What an executed command did (`LedgerApplication.execute`): the aggregate it
created or changed, the ids the ledger assigned because the command left them out,
and the events stored, each with its position in the ordered log.

The same struct is the JSON `inclusion-ledger command --json` prints, so a script
takes the ids it needs from it instead of reading the sentence the text output says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast
from uuid import UUID

import msgspec
from eventsourcing.persistence import Recording

from domain.base import LedgerEvent


class RecordedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event a command stored, as the log (`inclusion-ledger events`) shows it."""

    type: str
    """The stored event name, e.g. `VoteRecorded`."""
    aggregate_id: UUID
    version: int
    """The aggregate's version this event made."""
    position: int
    """The event's position in the ordered log."""


class CommandOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What one command did."""

    command: str
    """The command type, e.g. `RecordVote`."""
    aggregate_id: UUID
    """The aggregate the command created or changed (what `handle` returns)."""
    assigned_ids: dict[str, UUID]
    """The id fields the command left out, with the id the ledger gave each."""
    events: tuple[RecordedEvent, ...]
    """The events stored, in log order."""


def outcome_of(
    command: msgspec.Struct,
    aggregate_id: UUID,
    assigned_ids: Mapping[str, UUID],
    recordings: Iterable[Recording[UUID]],
) -> CommandOutcome:
    return CommandOutcome(
        command=type(command).__name__,
        aggregate_id=aggregate_id,
        assigned_ids=dict(assigned_ids),
        events=tuple(
            RecordedEvent(
                type=type(cast(LedgerEvent, r.domain_event)).TOPIC,
                aggregate_id=r.domain_event.originator_id,
                version=r.domain_event.originator_version,
                position=r.notification.id,
            )
            for r in recordings
        ),
    )
