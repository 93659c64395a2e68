"""How the event logic reads and writes documents: `DocAccess` and its helpers."""

from __future__ import annotations

from typing import NoReturn, Protocol, TypeVar
from uuid import UUID

from domain.base import LedgerEvent
from projections.documents import AnyDoc


class DocAccess(Protocol):
    """Documents by key. `strict` is False when only some aggregates' events are
    folded (time travel): then a document another event refers to may be absent."""

    strict: bool

    def get(self, model: str, key: UUID) -> AnyDoc | None: ...

    def put(self, doc: AnyDoc) -> None: ...


class MissingDocument(LookupError):
    """An event refers to a document the read models never saw: the log is incomplete."""


def no_case(e: LedgerEvent, view: str) -> NoReturn:
    raise TypeError(f"{type(e).TOPIC} is in SHOWN but the {view} view has no case for it.")


D = TypeVar("D", bound=AnyDoc)


def get_doc(docs: DocAccess, kind: type[D], model: str, key: UUID) -> D:
    doc = docs.get(model, key)
    if not isinstance(doc, kind):
        raise MissingDocument(f"No {model} view for {key}: the log is incomplete.")
    return doc


def related_doc(docs: DocAccess, kind: type[D], model: str, key: UUID) -> D | None:
    """A document another aggregate's event updates; absent only when folding a part."""
    doc = docs.get(model, key)
    if doc is None and not docs.strict:
        return None
    if not isinstance(doc, kind):
        raise MissingDocument(f"No {model} view for {key}: the log is incomplete.")
    return doc


def save_doc(docs: DocAccess, doc: AnyDoc, position: int) -> None:
    doc.position = position
    docs.put(doc)
