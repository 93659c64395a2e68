"""The projector: reads the ordered log in batches and keeps the read models current.

Each batch's documents and its last log position are committed together, so a
crash at any point leaves the views exactly at a batch boundary, and a restart
carries on from there. Documents stay in a bounded cache between batches, so a
rebuild touches the database once per document per batch, and memory does not
grow with the log.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import cast
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
        batch_size: int = 1000,
        cache_size: int = 20_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.clock = clock or app.clock
        self._cache: OrderedDict[UUID, AnyDoc] = OrderedDict()

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
        position = self.position()
        target = self.head() if until is None else until
        total = max(target - position, 0)
        applied = skipped = 0
        complete = True
        while position < target:
            if should_stop and should_stop():
                complete = False
                break
            notes = self.app.recorder.select_notifications(
                position + 1, self.batch_size, stop=target
            )
            if not notes:
                break  # the rest up to the target is a gap in the log's numbering
            try:
                done, unknown = self._apply_batch(notes, position)
            except ViewsMovedOn:
                self._cache.clear()
                position = self.position()
                continue
            applied += done
            skipped += unknown
            position = notes[-1].id
            if progress:
                progress(min(position - (target - total), total), total)
        return CatchUp(applied=applied, skipped=skipped, position=position, complete=complete)

    def _apply_batch(self, notes: Sequence[Notification], position: int) -> tuple[int, int]:
        events: list[tuple[LedgerEvent, int]] = []
        unknown = 0
        for note in notes:
            event = self._decode(note)
            if event is None:
                unknown += 1
            else:
                events.append((event, note.id))
        self._prefetch(keys_for(event) for event, _ in events)
        docs = _BatchDocs(self._cache)
        try:
            for event, at in events:
                if not apply(event, at, docs):
                    unknown += 1
            self.store.commit(
                list(docs.dirty.values()),
                expected_position=position,
                position=notes[-1].id,
                skipped=unknown,
                at=self.clock(),
            )
        except BaseException:
            # Cached documents were changed in place: they no longer match the store.
            self._cache.clear()
            raise
        self._evict()
        return len(events), unknown

    def _decode(self, note: Notification) -> LedgerEvent | None:
        try:
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


def rebuild(
    app: LedgerApplication,
    store: LedgerViewStore,
    *,
    until: int | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = 1000,
) -> CatchUp:
    """Build every read model from the start of the log into fresh tables, then swap
    them in. Readers see the old views until the swap; an interrupted rebuild leaves
    them serving and the fresh tables are discarded."""
    fresh = store.fresh()
    try:
        projector = Projector(app, fresh, batch_size=batch_size)
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
        fresh.discard()
        raise
    finally:
        fresh.close()
