"""The msgspec mapper keeps every stored event exactly, under its stable topic.

Random events are built from each event class's own type hints, so a new event
class or a new field type is covered (or refused loudly) without touching this file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from eventsourcing.utils import TopicError, get_topic, resolve_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.codec import MsgspecMapper
from domain import AGGREGATE_TYPES, event_types
from domain.base import LedgerCreated, LedgerEvent
from domain.decision_events import VoteRecorded
from domain.values import Actor, Stance

EVENT_TYPES = event_types()
ENVELOPE = ("originator_id", "originator_version")

# UTF-8 has no surrogates; every other character must survive.
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
UTC_DATETIMES = st.datetimes(timezones=st.just(UTC))


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """A strategy for any type a stored event may hold; unknown types fail the test."""
    if isinstance(hint, typing.TypeVar):
        # The aggregate id is a type variable on eventsourcing's base event.
        return st.uuids()
    if hint is type(None):
        return st.none()
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=4).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a) for a in args))
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return st.sampled_from(list(hint))
        if issubclass(hint, msgspec.Struct):
            return struct_strategy(hint)
        scalars: dict[type, st.SearchStrategy[Any]] = {
            bool: st.booleans(),
            int: INT64,
            str: TEXT,
            UUID: st.uuids(),
            datetime: UTC_DATETIMES,
            date: st.dates(),
        }
        for kind, strategy in scalars.items():
            if hint is kind:
                return strategy
    raise TypeError(f"No strategy for stored field type {hint!r}: teach strategy_for about it.")


def struct_strategy(struct_type: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(struct_type)
    return st.builds(
        struct_type,
        **{name: strategy_for(hints[name]) for name in struct_type.__struct_fields__},
    )


def event_strategy(event_class: type[LedgerEvent]) -> st.SearchStrategy[LedgerEvent]:
    hints = typing.get_type_hints(event_class)
    fields = dataclasses.fields(typing.cast(Any, event_class))
    return st.builds(
        event_class,
        **{
            f.name: st.integers(min_value=1, max_value=2**31)
            if f.name == "originator_version"
            else strategy_for(hints[f.name])
            for f in fields
        },
    )


def all_ledger_event_subclasses(cls: type[LedgerEvent]) -> Iterator[type[LedgerEvent]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from all_ledger_event_subclasses(sub)


@pytest.mark.parametrize("event_class", EVENT_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_event_type_survives_a_round_trip_through_stored_bytes(
    event_class: type[LedgerEvent], data: st.DataObject
) -> None:
    mapper = MsgspecMapper()
    event = data.draw(event_strategy(event_class), label="event")

    stored = mapper.to_stored_event(event)
    restored = mapper.to_domain_event(stored)

    assert stored.topic == event_class.TOPIC
    assert stored.originator_id == event.originator_id
    assert stored.originator_version == event.originator_version
    assert type(restored) is event_class
    assert restored == event


@pytest.mark.parametrize("event_class", EVENT_TYPES, ids=lambda c: c.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_stored_state_is_a_json_object_that_names_only_a_class_version_above_one(
    event_class: type[LedgerEvent], data: st.DataObject
) -> None:
    event = data.draw(event_strategy(event_class), label="event")

    state = msgspec.json.decode(MsgspecMapper().to_stored_event(event).state)

    assert isinstance(state, dict)
    assert not set(ENVELOPE) & set(state)
    class_version = getattr(event_class, "class_version", 1)
    assert state.get("class_version") == (class_version if class_version > 1 else None)


def test_an_event_decodes_the_same_from_a_fresh_mapper() -> None:
    fields: dict[str, Any] = {
        "originator_id": uuid4(),
        "originator_version": 4,
        "timestamp": datetime(2026, 1, 14, 15, 3, 7, 123456, tzinfo=UTC),
        "actor": Actor(id="m-forum-cochair", role="member"),
        "member_id": "m-forum-cochair",
        "stance": Stance.BLOCK,
        "reason": "The forum was not consulted on this change.",
    }
    event = VoteRecorded(**fields)
    stored = MsgspecMapper().to_stored_event(event)

    restored = MsgspecMapper().to_domain_event(stored)

    assert restored == event
    assert isinstance(restored, VoteRecorded)
    assert restored.stance is Stance.BLOCK
    assert restored.timestamp.utcoffset() is not None


INVALID_STATES = {
    "not JSON": b"\xff\x00 this is not JSON",
    "a JSON array": b"[1, 2, 3]",
    "an empty object": b"{}",
    "a wrongly typed actor": b'{"timestamp": "2026-01-14T15:00:00Z", "actor": 42}',
}


@pytest.mark.parametrize("event_class", EVENT_TYPES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("state", INVALID_STATES.values(), ids=INVALID_STATES.keys())
def test_invalid_stored_bytes_raise_a_deserialisation_error_naming_the_topic(
    event_class: type[LedgerEvent], state: bytes
) -> None:
    originator_id = uuid4()
    stored = StoredEvent(
        originator_id=originator_id, originator_version=3, topic=event_class.TOPIC, state=state
    )

    with pytest.raises(MapperDeserialisationError) as raised:
        MsgspecMapper().to_domain_event(stored)

    message = str(raised.value)
    assert event_class.TOPIC in message
    assert str(originator_id) in message
    assert "v3" in message


def test_a_stored_vote_the_upcaster_cannot_map_is_refused_rather_than_guessed() -> None:
    state = msgspec.json.encode(
        {
            "timestamp": "2024-03-05T10:00:00Z",
            "actor": {"id": "m-icb-lead", "role": "member"},
            "member_id": "m-icb-lead",
            "vote": "maybe",
            "reason": "",
        }
    )
    stored = StoredEvent(
        originator_id=uuid4(), originator_version=2, topic=VoteRecorded.TOPIC, state=state
    )

    with pytest.raises(MapperDeserialisationError, match=VoteRecorded.TOPIC):
        MsgspecMapper().to_domain_event(stored)


def test_an_unknown_topic_fails_clearly_with_the_topic_in_the_message() -> None:
    topic = "MotionWithdrawnFromAFutureVersion"
    stored = StoredEvent(originator_id=uuid4(), originator_version=1, topic=topic, state=b"{}")

    with pytest.raises(MapperDeserialisationError) as raised:
        MsgspecMapper().to_domain_event(stored)

    assert topic in str(raised.value)
    assert isinstance(raised.value.__cause__, TopicError)


def test_event_types_lists_every_concrete_ledger_event_class() -> None:
    defined_in_domain = {
        cls
        for cls in all_ledger_event_subclasses(LedgerEvent)
        if cls.__module__.startswith("domain.") and cls is not LedgerCreated
    }

    assert set(EVENT_TYPES) == defined_in_domain
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))


@pytest.mark.parametrize("event_class", EVENT_TYPES, ids=lambda c: c.__name__)
def test_every_event_class_declares_its_own_explicit_topic_that_resolves_to_it(
    event_class: type[LedgerEvent],
) -> None:
    topic = event_class.__dict__.get("TOPIC")

    assert isinstance(topic, str)
    assert topic
    # A module path in a topic would tie stored history to where the class lives.
    assert ":" not in topic
    assert "." not in topic
    assert get_topic(event_class) == topic
    assert resolve_topic(topic) is event_class


def test_stored_topics_are_unique_across_events_and_aggregates() -> None:
    topics = [cls.TOPIC for cls in EVENT_TYPES] + [get_topic(cls) for cls in AGGREGATE_TYPES]

    duplicates = sorted({t for t in topics if topics.count(t) > 1})

    assert duplicates == []
    assert len(set(topics)) == len(EVENT_TYPES) + len(AGGREGATE_TYPES)
