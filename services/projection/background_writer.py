"""Writes a rebuild hands to a second thread, so that the database's work overlaps
with decoding and applying events: SQLite releases the GIL inside each step, and
PostgreSQL does the work in a process of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from uuid import UUID

from projections.documents import AnyDoc
from projections.store import DocRow, ReadModelStore, decode_doc


class BackgroundWriter:
    """Writes rows to a store on a connection of its own, one bulk write at a time,
    while the caller goes on. Rows being written can still be taken back."""

    def __init__(self, store: ReadModelStore) -> None:
        self._store = store
        self._own: ReadModelStore | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="view-writer")
        self._writing: Future[None] | None = None
        self._rows: dict[UUID, DocRow] = {}

    def submit(self, rows: Sequence[DocRow]) -> None:
        """Start writing `rows` once the previous write has finished."""
        self.wait()
        if self._own is None:
            self._own = self._store.fork()
        self._rows = {row[0]: row for row in rows}
        self._writing = self._pool.submit(self._own.write, rows)

    def take(self, doc_id: UUID) -> AnyDoc | None:
        """The document as it is being written, or None. Taking it back does not stop
        the write: a later write of the document overwrites it."""
        row = self._rows.get(doc_id)
        return None if row is None else decode_doc(row[4])

    def wait(self) -> None:
        """Wait for the write under way; raise what it raised."""
        writing, self._writing = self._writing, None
        self._rows = {}
        if writing is not None:
            writing.result()

    def close(self) -> None:
        """Wait for any write under way, without raising, and close the connection."""
        with suppress(Exception):
            self.wait()
        self._pool.shutdown(wait=True)
        if self._own is not None and self._own is not self._store:
            self._own.close()
        self._own = None
