"""The projector: reads the ordered log in batches and keeps the read models current.

Each batch's documents and its last log position are committed together, so a
crash at any point leaves the read models exactly at a batch boundary, and a restart
carries on from there. Documents stay in a bounded cache between batches, so
memory does not grow with the log.

A rebuild writes into fresh tables no one else reads or writes, and is started
again from nothing if it stops, so it needs no commit per batch: changed documents
that leave its cache are parked, encoded, until a bounded amount of memory is
full, and only then written, in bulk; the position is committed once, at the end.
Most documents are written once.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from uuid import UUID

import msgspec
from eventsourcing.persistence import Notification

from domain.base import LedgerEvent
from projections.dispatch import SCHEMA_VERSION, UNSHOWN_TOPICS, Key, apply, keys_for
from projections.documents import AnyDoc, model_of
from projections.store import ReadModelsMovedOn, ReadModelStore, add_skipped, row_of
from services.ledger.application import LedgerApplication
from services.projection.background_writer import BackgroundWriter
from services.projection.log_rows import LogRow, ReadLog, RowDecoder
from services.projection.parked import ParkedDocs

Progress = Callable[[int, int], None]
"""Called after each batch with (events done, events in this run)."""


REBUILD_CACHE_SIZE = 20_000
"""Documents a rebuild keeps as objects."""

REBUILD_PARK_BYTES = 48 * 1024 * 1024
"""Memory for changed documents a rebuild keeps encoded before writing them."""


WRITE_SLICE = 2000
"""Documents encoded at a time when a rebuild writes what its cache holds."""


class ReadModelsOutdated(RuntimeError):
    """The stored read models were built by older code; they need a rebuild."""


class RebuildInterrupted(RuntimeError):
    """A rebuild stopped before it finished; the previous read models still serve."""


class CatchUp(msgspec.Struct, frozen=True, kw_only=True):
    applied: int
    skipped: int
    """Events of a type the read models do not know: passed over, changing nothing."""
    position: int
    complete: bool
    skipped_types: dict[str, int] = {}
    """The skipped events by stored topic."""


class _BatchDocs:
    """Documents for one batch: the shared cache plus what the batch changed."""

    strict = True

    def __init__(self, cache: OrderedDict[UUID, AnyDoc], dirty: dict[UUID, AnyDoc]) -> None:
        self.cache = cache
        self.dirty = dirty

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
        store: ReadModelStore,
        *,
        batch_size: int = 5000,
        cache_size: int = 20_000,
        clock: Callable[[], datetime] | None = None,
        read_log: ReadLog | None = None,
        write_back: bool = False,
        park_bytes: int = REBUILD_PARK_BYTES,
    ) -> None:
        """`write_back`: only for a store no one else uses (a rebuild's fresh tables):
        changed documents that leave the cache are parked, up to `park_bytes`, and
        written when they leave that; the position only when a catch-up completes."""
        self.app = app
        self.store = store
        self.read_log = read_log or self._read_log
        self._decode = RowDecoder(app.mapper)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.clock = clock or app.clock
        self.write_back = write_back
        self._cache: OrderedDict[UUID, AnyDoc] = OrderedDict()
        self._cache_position = -1  # the store position the cached documents reflect
        self._unwritten: dict[UUID, AnyDoc] = {}  # changed and not yet in the store
        self._parked = ParkedDocs(park_bytes)
        self._writer: BackgroundWriter | None = None

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def position(self) -> int:
        status = self.store.status()
        if status is None:
            return 0
        if status.schema_version != SCHEMA_VERSION:
            raise ReadModelsOutdated(
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
        """Apply every event after the read models' position up to `until` (default: the head)."""
        with _no_cyclic_gc():
            try:
                return self._catch_up(until=until, progress=progress, should_stop=should_stop)
            except BaseException:
                if self.write_back:
                    # Some changes were written and others not: the store is only fit
                    # to be discarded, and the cache no longer matches it.
                    self._forget(stale=True)
                raise

    def _catch_up(
        self,
        *,
        until: int | None,
        progress: Progress | None,
        should_stop: Callable[[], bool] | None,
    ) -> CatchUp:
        position = self.position()
        if position != self._cache_position:
            # Another projector moved the read models on: what is cached may be stale.
            self._forget()
            self._cache_position = position
        start = position
        target = self.head() if until is None else until
        total = max(target - position, 0)
        applied = 0
        skipped: dict[str, int] = {}
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
            except ReadModelsMovedOn:
                self._forget()
                position = self._cache_position = self.position()
                continue
            applied += done
            if unknown:
                skipped = add_skipped(skipped, unknown)
            position = notes[-1][0]
            if not self.write_back:
                self._cache_position = position
            if progress:
                progress(min(position - (target - total), total), total)
        if self.write_back and position != start:
            self._write_back(start, position, skipped)
        return CatchUp(
            applied=applied,
            skipped=sum(skipped.values()),
            position=position,
            complete=complete,
            skipped_types=skipped,
        )

    def _read_log(self, after: int, limit: int, stop: int) -> list[LogRow]:
        notes = self.app.recorder.select_notifications(after + 1, limit, stop=stop)
        return [_row(n) for n in notes]

    def _apply_batch(self, notes: Sequence[LogRow], position: int) -> tuple[int, dict[str, int]]:
        """Apply a batch; (the events applied, those skipped by topic)."""
        events: list[tuple[LedgerEvent, int]] = []
        unshown = 0
        unknown: dict[str, int] = {}
        for note in notes:
            if note[3] in UNSHOWN_TOPICS:
                unshown += 1
                continue
            event = self._decode(note)
            if event is None:  # a topic this release cannot even decode
                unknown[note[3]] = unknown.get(note[3], 0) + 1
            else:
                events.append((event, note[0]))
        self._prefetch(keys_for(event) for event, _ in events)
        docs = _BatchDocs(self._cache, self._unwritten)
        try:
            unapplied = 0
            for event, at in events:
                if not apply(event, at, docs):  # decoded, but no read model knows its class
                    unapplied += 1
                    topic = type(event).TOPIC
                    unknown[topic] = unknown.get(topic, 0) + 1
            if not self.write_back:
                self.store.commit(
                    list(docs.dirty.values()),
                    expected_position=position,
                    position=notes[-1][0],
                    skipped=unknown,
                    at=self.clock(),
                )
                docs.dirty.clear()
            self._evict()
        except BaseException:
            # Cached documents were changed in place: they no longer match the store.
            self._forget(stale=True)
            raise
        return len(events) - unapplied + unshown, unknown

    def _write_back(self, start: int, position: int, skipped: dict[str, int]) -> None:
        """Write everything parked, then what the cache holds unwritten with the position.
        (If this fails, `catch_up` forgets the cache: the store is only fit to discard.)"""
        if self._writer is not None:
            self._writer.wait()
        self.store.write(self._parked.drain())
        # Encoded a slice at a time, so the last write needs little memory of its own.
        docs = list(self._unwritten.values())
        last = max(len(docs) - WRITE_SLICE, 0)
        for i in range(0, last, WRITE_SLICE):
            self.store.write([row_of(d) for d in docs[i : min(i + WRITE_SLICE, last)]])
        self.store.commit(
            docs[last:],
            expected_position=start,
            position=position,
            skipped=skipped,
            at=self.clock(),
        )
        self._unwritten.clear()
        self._cache_position = position

    def _prefetch(self, key_lists: Iterable[list[Key]]) -> None:
        wanted: dict[UUID, Key] = {}
        cache, parked = self._cache, self._parked
        for keys in key_lists:
            for key in keys:
                doc_id = key[1]
                if doc_id in cache:
                    cache.move_to_end(doc_id)
                elif doc_id in parked:
                    doc = parked.take(doc_id)
                    assert doc is not None
                    cache[doc_id] = self._unwritten[doc_id] = doc
                elif self._writer and (doc := self._writer.take(doc_id)) is not None:
                    cache[doc_id] = self._unwritten[doc_id] = doc
                else:
                    wanted[doc_id] = key
        if wanted:
            for (_, doc_id), doc in self.store.load(list(wanted.values())).items():
                self._cache[doc_id] = doc

    def _evict(self) -> None:
        cache = self._cache
        while len(cache) > self.cache_size:
            doc_id, _ = cache.popitem(last=False)
            # Only a write-back projector has changed documents left between batches.
            doc = self._unwritten.pop(doc_id, None)
            if doc is not None:
                self._parked.park(doc)
        leaving = self._parked.overflow()
        if leaving:
            if self._writer is None:
                self._writer = BackgroundWriter(self.store)
            self._writer.submit(leaving)

    def close(self) -> None:
        """End the writer thread of a write-back projector, if it started one."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _forget(self, *, stale: bool = False) -> None:
        """Drop every cached document; `stale`: they no longer match any stored position."""
        self.close()
        self._cache.clear()
        self._unwritten.clear()
        self._parked.clear()
        if stale:
            self._cache_position = -1


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


def rebuild(
    app: LedgerApplication,
    store: ReadModelStore,
    *,
    until: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = 5000,
    cache_size: int = REBUILD_CACHE_SIZE,
    park_bytes: int = REBUILD_PARK_BYTES,
    read_log: ReadLog | None = None,
) -> CatchUp:
    """Build every read model from the start of the log into fresh tables, then swap
    them in. Readers see the old read models until the swap; an interrupted rebuild leaves
    them serving and the fresh tables are discarded."""
    fresh = store.fresh()
    projector: Projector | None = None
    try:
        projector = Projector(
            app,
            fresh,
            batch_size=batch_size,
            cache_size=cache_size,
            read_log=read_log,
            write_back=True,
            park_bytes=park_bytes,
        )
        target = projector.head() if until is None else until
        result = projector.catch_up(until=target, progress=progress, should_stop=should_stop)
        projector.close()
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
        # starts by dropping them anyway. The writer thread stops first.
        if projector is not None:
            projector.close()
        with suppress(Exception):
            fresh.discard()
        raise
    finally:
        if projector is not None:
            projector.close()
        with suppress(Exception):
            fresh.close()
