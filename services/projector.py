"""The projector: reads the ordered log in batches and keeps the read models current.

Each batch's documents and its last log position are committed together, so a
crash at any point leaves the views exactly at a batch boundary, and a restart
carries on from there. Documents stay in a bounded cache between batches, so a
rebuild touches the database once per document per batch, and memory does not
grow with the log.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Protocol, cast, runtime_checkable
from uuid import UUID

import msgspec
from eventsourcing.persistence import MapperDeserialisationError, Notification
from eventsourcing.utils import TopicError

from domain.base import LedgerEvent
from projections.documents import AnyDoc, model_of
from projections.ledger_views import SCHEMA_VERSION, Key, apply, keys_for
from projections.store import LedgerViewStore, ViewsMovedOn
from services.ledger import LedgerApplication

Progress = Callable[[int, int], None]
"""Called after each batch with (events done, events in this run)."""

LogRow = tuple[int, UUID, int, str, bytes]
"""(position, aggregate id, aggregate version, topic, stored state)."""

ReadLog = Callable[[int, int, int], Sequence[LogRow]]
"""Rows after a position, at most `limit` of them, none past `stop`."""


class ViewsOutdated(RuntimeError):
    """The stored views were built by older code; they need a rebuild."""


class RebuildInterrupted(RuntimeError):
    """A rebuild stopped before it finished; the previous views still serve."""


class CatchUp(msgspec.Struct, frozen=True, kw_only=True):
    applied: int
    skipped: int
    position: int
    complete: bool


class _BatchDocs:
    """Documents for one batch: the shared cache plus what the batch changed."""

    strict = True

    def __init__(self, cache: OrderedDict[UUID, AnyDoc]) -> None:
        self.cache = cache
        self.dirty: dict[UUID, AnyDoc] = {}

    def get(self, model: str, key: UUID) -> AnyDoc | None:
        doc = self.cache.get(key)
        if doc is not None and model_of(doc) != model:
            return None
        return doc

    def put(self, doc: AnyDoc) -> None:
        self.cache[doc.id] = doc
        self.dirty[doc.id] = doc


class Projector:
    def __init__(
        self,
        app: LedgerApplication,
        store: LedgerViewStore,
        *,
        batch_size: int = 5000,
        cache_size: int = 20_000,
        clock: Callable[[], datetime] | None = None,
        read_log: ReadLog | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.read_log = read_log or self._read_log
        mapper = app.mapper
        self._decode_row: Callable[[str, bytes, UUID, int], object] | None = (
            mapper.decode if isinstance(mapper, EventDecoder) else None
        )
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.clock = clock or app.clock
        self._cache: OrderedDict[UUID, AnyDoc] = OrderedDict()
        self._cache_position = -1  # the store position the cached documents reflect

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def position(self) -> int:
        status = self.store.status()
        if status is None:
            return 0
        if status.schema_version != SCHEMA_VERSION:
            raise ViewsOutdated(
                f"The read models were built by schema version {status.schema_version}; this "
                f"release reads version {SCHEMA_VERSION}. Run `inclusion-ledger projections "
                "rebuild`."
            )
        return status.position

    def catch_up(
        self,
        *,
        until: int | None = None,
        progress: Progress | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> CatchUp:
        """Apply every event after the views' position up to `until` (default: the head)."""
        with _no_cyclic_gc():
            return self._catch_up(until=until, progress=progress, should_stop=should_stop)

    def _catch_up(
        self,
        *,
        until: int | None,
        progress: Progress | None,
        should_stop: Callable[[], bool] | None,
    ) -> CatchUp:
        position = self.position()
        if position != self._cache_position:
            # Another projector moved the views on: what is cached may be stale.
            self._cache.clear()
            self._cache_position = position
        target = self.head() if until is None else until
        total = max(target - position, 0)
        applied = skipped = 0
        complete = True
        while position < target:
            if should_stop and should_stop():
                complete = False
                break
            notes = self.read_log(position, self.batch_size, target)
            if not notes:
                break  # the rest up to the target is a gap in the log's numbering
            try:
                done, unknown = self._apply_batch(notes, position)
            except ViewsMovedOn:
                self._cache.clear()
                position = self._cache_position = self.position()
                continue
            applied += done
            skipped += unknown
            position = self._cache_position = notes[-1][0]
            if progress:
                progress(min(position - (target - total), total), total)
        return CatchUp(applied=applied, skipped=skipped, position=position, complete=complete)

    def _read_log(self, after: int, limit: int, stop: int) -> list[LogRow]:
        notes = self.app.recorder.select_notifications(after + 1, limit, stop=stop)
        return [_row(n) for n in notes]

    def _apply_batch(self, notes: Sequence[LogRow], position: int) -> tuple[int, int]:
        events: list[tuple[LedgerEvent, int]] = []
        unknown = 0
        for note in notes:
            event = self._decode(note)
            if event is None:
                unknown += 1
            else:
                events.append((event, note[0]))
        self._prefetch(keys_for(event) for event, _ in events)
        docs = _BatchDocs(self._cache)
        try:
            for event, at in events:
                if not apply(event, at, docs):
                    unknown += 1
            self.store.commit(
                list(docs.dirty.values()),
                expected_position=position,
                position=notes[-1][0],
                skipped=unknown,
                at=self.clock(),
            )
        except BaseException:
            # Cached documents were changed in place: they no longer match the store.
            self._cache.clear()
            self._cache_position = -1
            raise
        self._evict()
        return len(events), unknown

    def _decode(self, row: LogRow) -> LedgerEvent | None:
        position, originator_id, version, topic, state = row
        try:
            if self._decode_row is not None:
                return cast(LedgerEvent, self._decode_row(topic, state, originator_id, version))
            note = Notification(
                id=position,
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=state,
            )
            return cast(LedgerEvent, self.app.mapper.to_domain_event(note))
        except MapperDeserialisationError as e:
            if isinstance(e.__cause__, TopicError):
                return None  # an event type from a newer release: skipped and counted
            raise

    def _prefetch(self, key_lists: Iterable[list[Key]]) -> None:
        wanted: dict[UUID, Key] = {}
        for keys in key_lists:
            for key in keys:
                if key[1] in self._cache:
                    self._cache.move_to_end(key[1])
                else:
                    wanted[key[1]] = key
        if wanted:
            for (_, doc_id), doc in self.store.load(list(wanted.values())).items():
                self._cache[doc_id] = doc

    def _evict(self) -> None:
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Projection allocates many short-lived objects and makes no reference cycles;
    the cyclic collector's scans of the document cache would only slow it down."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _row(n: Notification) -> LogRow:
    oid = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
    return (n.id, oid, n.originator_version, n.topic, n.state)


@runtime_checkable
class EventDecoder(Protocol):
    """A mapper that decodes straight from a log row's parts (the msgspec mapper does)."""

    def decode(
        self, topic: str, state: bytes, originator_id: UUID, originator_version: int
    ) -> object: ...


def rebuild(
    app: LedgerApplication,
    store: LedgerViewStore,
    *,
    until: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = 5000,
    read_log: ReadLog | None = None,
) -> CatchUp:
    """Build every read model from the start of the log into fresh tables, then swap
    them in. Readers see the old views until the swap; an interrupted rebuild leaves
    them serving and the fresh tables are discarded."""
    fresh = store.fresh()
    try:
        projector = Projector(app, fresh, batch_size=batch_size, read_log=read_log)
        target = projector.head() if until is None else until
        result = projector.catch_up(until=target, progress=progress, should_stop=should_stop)
        if not result.complete:
            raise RebuildInterrupted(
                f"The rebuild stopped at position {result.position} of {target}; the previous "
                "read models are still in use."
            )
        store.swap_in(fresh)
        return result
    except BaseException:
        # The reason the rebuild stopped (a Ctrl-C, say) is what the caller must see,
        # even if clearing up the half-built tables fails too; the next rebuild
        # starts by dropping them anyway.
        with suppress(Exception):
            fresh.discard()
        raise
    finally:
        with suppress(Exception):
            fresh.close()
