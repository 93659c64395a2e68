"""The base of every aggregate and event in the ledger.

Every event records who did it (`actor`) and when (`timestamp`, taken from the
clock the service injects, exposed as `occurred_at`). Stored topics are explicit
strings, so moving a class never orphans history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self, TypeVar

from eventsourcing.domain import Aggregate, ProgrammingError
from eventsourcing.utils import register_topic

from domain.errors import LedgerRuleBroken
from domain.values import Actor


class LedgerEvent(Aggregate.Event):
    TOPIC = "LedgerEvent"

    actor: Actor

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        topic = cls.__dict__.get("TOPIC")
        if not topic:
            msg = f"{cls.__qualname__} needs its own explicit TOPIC: stored names must be stable."
            raise ProgrammingError(msg)
        register_topic(topic, cls)

    @property
    def occurred_at(self) -> datetime:
        return self.timestamp


class LedgerCreated(LedgerEvent, Aggregate.Created):
    TOPIC = "LedgerCreated"


class LedgerAggregate(Aggregate):
    """Aggregates here use explicit event classes with `apply` methods:
    public methods validate, then trigger an event; `apply` only sets state.

    State is immutable values (str, int, dates, UUIDs, enums, frozen structs,
    tuples) or dicts, lists and sets of them, so a copy needs to copy those
    containers and nothing deeper.
    """

    Event = LedgerEvent
    Created = LedgerCreated

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {
                name: value.copy() if isinstance(value, dict | list | set) else value
                for name, value in self.__dict__.items()
            }
        )
        return clone


E = TypeVar("E", bound=LedgerRuleBroken)


def require_text(value: str, error: type[E], message: str) -> str:
    """Return the stripped text, or raise `error(message)` when it is blank."""
    text = value.strip()
    if not text:
        raise error(message)
    return text
