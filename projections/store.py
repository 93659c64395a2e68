"""The read-model store the projector writes through, and an in-memory implementation.

A store keeps the documents and the log position they reflect. `commit`
writes a batch's documents and the new position in one transaction, and only
if the stored position is still the one the batch started from, so two
projectors can never apply the same events twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from projections.dispatch import SCHEMA_VERSION, Key
from projections.documents import AnyDoc, model_of

VIEWS_NAME = "ledger_views"


DocRow = tuple[UUID, str, UUID, int, bytes]
"""A document as stored: (id, model, partnership id, position, encoded body)."""


class ReadModelsMovedOn(RuntimeError):
    """Another projector advanced the read models first; reload the position and go on."""


class ReadModelStatus(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    schema_version: int
    skipped: int
    """Events of a type the read models do not know, passed over unapplied."""
    updated_at: datetime | None
    skipped_types: dict[str, int] = {}
    """The skipped events by stored topic. (Views first built by a release that did not
    name them may have skipped more than these add up to.)"""


class ReadModelStore(Protocol):
    def status(self) -> ReadModelStatus | None:
        """The tracking record, or None when the read models were never built."""
        ...

    def load(self, keys: Sequence[Key]) -> dict[Key, AnyDoc]: ...

    def commit(
        self,
        docs: Sequence[AnyDoc],
        *,
        expected_position: int,
        position: int,
        skipped: Mapping[str, int],
        at: datetime,
    ) -> None:
        """`skipped`: the batch's events of types the read models do not know, by topic."""
        ...

    def write(self, rows: Sequence[DocRow]) -> None:
        """Write encoded documents and leave the position alone: only for a store no
        one else reads or writes (a rebuild's fresh one), whose position comes last."""
        ...

    def fork(self) -> ReadModelStore:
        """Another handle on the same tables, with a connection of its own, for
        writing from another thread."""
        ...

    def scan(self, model: str, partnership_id: UUID | None = None) -> list[AnyDoc]: ...

    def counts(self) -> dict[str, int]: ...

    def scopes_of(self, ids: Collection[UUID]) -> dict[UUID, UUID]:
        """The partnership of each of these documents there is, by document id, without
        decoding documents."""
        ...

    def fresh(self) -> ReadModelStore:
        """An empty store beside the live one, for a rebuild."""
        ...

    def swap_in(self, fresh: ReadModelStore) -> None:
        """Make a fully built fresh store the live one, atomically."""
        ...

    def discard(self) -> None: ...

    def close(self) -> None: ...


class MemoryReadModelStore:
    """Views held in memory: for tests and for folding a few events on demand."""

    def __init__(self) -> None:
        self.docs: dict[UUID, AnyDoc] = {}
        self._status: ReadModelStatus | None = None

    def status(self) -> ReadModelStatus | None:
        return self._status

    def load(self, keys: Sequence[Key]) -> dict[Key, AnyDoc]:
        found: dict[Key, AnyDoc] = {}
        for model, key in keys:
            doc = self.docs.get(key)
            if doc is not None and model_of(doc) == model:
                found[(model, key)] = _copy(doc)
        return found

    def commit(
        self,
        docs: Sequence[AnyDoc],
        *,
        expected_position: int,
        position: int,
        skipped: Mapping[str, int],
        at: datetime,
    ) -> None:
        current = self._status.position if self._status else 0
        if current != expected_position:
            raise ReadModelsMovedOn(f"read models are at {current}, not {expected_position}")
        self.docs.update({doc.id: _copy(doc) for doc in docs})
        before = self._status
        self._status = ReadModelStatus(
            position=position,
            schema_version=SCHEMA_VERSION,
            skipped=(before.skipped if before else 0) + sum(skipped.values()),
            updated_at=at,
            skipped_types=add_skipped(before.skipped_types if before else {}, skipped),
        )

    def write(self, rows: Sequence[DocRow]) -> None:
        self.docs.update({row[0]: decode_doc(row[4]) for row in rows})

    def fork(self) -> MemoryReadModelStore:
        return self

    def scan(self, model: str, partnership_id: UUID | None = None) -> list[AnyDoc]:
        return [
            _copy(d)
            for d in self.docs.values()
            if model_of(d) == model
            and (partnership_id is None or d.partnership_id == partnership_id)
        ]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in self.docs.values():
            counts[model_of(doc)] = counts.get(model_of(doc), 0) + 1
        return counts

    def scopes_of(self, ids: Collection[UUID]) -> dict[UUID, UUID]:
        return {i: doc.partnership_id for i in ids if (doc := self.docs.get(i)) is not None}

    def fresh(self) -> MemoryReadModelStore:
        return MemoryReadModelStore()

    def swap_in(self, fresh: ReadModelStore) -> None:
        assert isinstance(fresh, MemoryReadModelStore)
        self.docs, self._status = fresh.docs, fresh._status

    def discard(self) -> None:
        self.docs.clear()
        self._status = None

    def close(self) -> None:
        pass


_ENCODER = msgspec.json.Encoder()
_DECODER: msgspec.json.Decoder[AnyDoc] = msgspec.json.Decoder(AnyDoc)


def encode_doc(doc: AnyDoc) -> bytes:
    return _ENCODER.encode(doc)


def decode_doc(data: bytes) -> AnyDoc:
    return _DECODER.decode(data)


def row_of(doc: AnyDoc) -> DocRow:
    return (doc.id, model_of(doc), doc.partnership_id, doc.position, _ENCODER.encode(doc))


def _copy(doc: AnyDoc) -> AnyDoc:
    return decode_doc(encode_doc(doc))


def add_skipped(counted: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    """Skipped events by topic, with more of them counted in."""
    total = dict(counted)
    for topic, n in more.items():
        total[topic] = total.get(topic, 0) + n
    return total


_SKIPPED_DECODER = msgspec.json.Decoder(dict[str, int])


def encode_skipped(skipped: Mapping[str, int]) -> str:
    """Skipped events by topic, as a tracking row stores them."""
    return _ENCODER.encode(dict(sorted(skipped.items()))).decode()


def decode_skipped(stored: str | bytes | None) -> dict[str, int]:
    return _SKIPPED_DECODER.decode(stored) if stored else {}
