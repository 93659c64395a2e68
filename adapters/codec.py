"""msgspec transcoding for stored events, in place of eventsourcing's JSON transcoder.

Each event class gets a msgspec struct type derived from its dataclass fields,
so stored state is decoded and validated in one typed pass. Old payloads
(`class_version` below the class's) are decoded untyped, upcast, then converted.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

import domain  # noqa: F401  (registers every stored event topic)

_ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version"})


class UnusedTranscoder(Transcoder):
    """The mapper encodes whole events itself; this only satisfies the interface."""

    def encode(self, obj: Any) -> bytes:
        return msgspec.json.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)


class _EventShape:
    __slots__ = ("class_version", "current_decoder", "decoder", "field_names", "state_type")

    def __init__(self, event_class: type[object]) -> None:
        hints = typing.get_type_hints(event_class)
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for f in dataclasses.fields(cast(Any, event_class)):
            if f.name in _ENVELOPE_FIELDS:
                continue
            if f.default is not dataclasses.MISSING:
                fields.append((f.name, hints[f.name], f.default))
            else:
                fields.append((f.name, hints[f.name]))
        self.class_version: int = getattr(event_class, "class_version", 1)
        self.state_type = msgspec.defstruct(
            f"{event_class.__name__}State", fields, kw_only=True, frozen=True
        )
        self.field_names: tuple[str, ...] = self.state_type.__struct_fields__
        self.decoder = msgspec.json.Decoder(self.state_type)
        # Payloads of the current version decode in one typed pass; older ones
        # fail this (or carry an older class_version) and take the upcasting path.
        current = msgspec.defstruct(
            f"{event_class.__name__}StateV{self.class_version}",
            [*fields, ("class_version", int, 1)],
            kw_only=True,
            frozen=True,
        )
        self.current_decoder = msgspec.json.Decoder(current)


class MsgspecMapper(Mapper[UUID]):
    """Maps domain events to stored events with msgspec JSON."""

    def __init__(self) -> None:
        super().__init__(transcoder=UnusedTranscoder())
        self._shapes: dict[type[object], _EventShape] = {}
        self._by_topic: dict[str, tuple[type[object], _EventShape]] = {}
        self._encoder = msgspec.json.Encoder()

    def shape(self, event_class: type[object]) -> _EventShape:
        shape = self._shapes.get(event_class)
        if shape is None:
            shape = self._shapes[event_class] = _EventShape(event_class)
        return shape

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event_class = type(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = self.shape(event_class).class_version
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(event_class),
            state=self._encoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        originator_id = stored_event.originator_id
        return self.decode(
            stored_event.topic,
            stored_event.state,
            originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)),
            stored_event.originator_version,
        )

    def decode(
        self, topic: str, state: bytes, originator_id: UUID, originator_version: int
    ) -> DomainEventProtocol[UUID]:
        """The domain event stored under `topic` with `state` for that aggregate version."""
        try:
            known = self._by_topic.get(topic)
            if known is None:
                event_class = resolve_topic(topic)
                known = self._by_topic[topic] = (event_class, self.shape(event_class))
            event_class, shape = known
            if shape.class_version > 1:
                values = self._decode_versioned(event_class, shape, state)
            else:
                values = msgspec.structs.asdict(shape.decoder.decode(state))
        except Exception as e:
            msg = (
                f"Failed to decode stored event {topic} {originator_id} v{originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        values["originator_id"] = originator_id
        values["originator_version"] = originator_version
        event = object.__new__(event_class)
        object.__setattr__(event, "__dict__", values)
        return cast(DomainEventProtocol[UUID], event)

    def _decode_versioned(
        self, event_class: type[object], shape: _EventShape, data: bytes
    ) -> dict[str, Any]:
        try:
            values = msgspec.structs.asdict(shape.current_decoder.decode(data))
        except msgspec.ValidationError:
            return self._decode_and_upcast(event_class, shape, data)
        if values.pop("class_version") != shape.class_version:
            return self._decode_and_upcast(event_class, shape, data)
        return values

    @staticmethod
    def _decode_and_upcast(
        event_class: type[object], shape: _EventShape, data: bytes
    ) -> dict[str, Any]:
        raw = msgspec.json.decode(data)
        if not isinstance(raw, dict):
            raise MapperDeserialisationError("stored state is not a JSON object")
        version = raw.pop("class_version", 1)
        while version < shape.class_version:
            getattr(event_class, f"upcast_v{version}_v{version + 1}")(raw)
            version += 1
        return msgspec.structs.asdict(msgspec.convert(raw, shape.state_type))
