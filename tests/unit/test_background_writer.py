"""The rebuild's writer thread: writes in order on a handle of its own, gives back
rows while they are being written, and reports a failed write to the caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from projections.documents import MeetingDoc
from projections.store import DocRow, MemoryReadModelStore, row_of
from services.projection.background_writer import BackgroundWriter


def a_row(title: str = "Board") -> DocRow:
    return row_of(
        MeetingDoc(
            id=uuid4(),
            partnership_id=uuid4(),
            position=3,
            title=title,
            held_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
    )


class GatedReadStore(MemoryReadModelStore):
    """Memory views whose writes wait for a gate, run on a fork of their own, and
    fail when told to."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.forks = 0
        self.fail = False
        self.writer_threads: set[str] = set()

    def fork(self) -> GatedReadStore:
        self.forks += 1
        return self

    def write(self, rows: Sequence[DocRow]) -> None:
        self.writer_threads.add(threading.current_thread().name)
        self.gate.wait(timeout=10)
        if self.fail:
            raise OSError("disk full")
        super().write(rows)


def test_rows_are_written_on_another_thread_and_in_order() -> None:
    read_store = GatedReadStore()
    writer = BackgroundWriter(read_store)
    first, second = a_row("first"), a_row("second")
    again = (
        first[0],
        *first[1:4],
        row_of(
            MeetingDoc(
                id=first[0],
                partnership_id=first[2],
                position=9,
                title="again",
                held_at=datetime(2026, 2, 1, tzinfo=UTC),
            )
        )[4],
    )

    writer.submit([first, second])
    writer.submit([again])
    writer.wait()
    writer.close()

    assert read_store.forks == 1
    assert threading.current_thread().name not in read_store.writer_threads
    doc = read_store.docs[first[0]]
    assert isinstance(doc, MeetingDoc)
    assert doc.title == "again"
    assert second[0] in read_store.docs


def test_a_row_being_written_can_be_taken_back() -> None:
    read_store = GatedReadStore()
    read_store.gate.clear()
    writer = BackgroundWriter(read_store)
    row = a_row()

    writer.submit([row])
    taken = writer.take(row[0])
    read_store.gate.set()
    writer.wait()
    writer.close()

    assert isinstance(taken, MeetingDoc)
    assert taken.id == row[0]
    assert writer.take(row[0]) is None


def test_a_failed_write_is_raised_by_the_next_wait_and_close_does_not_raise() -> None:
    read_store = GatedReadStore()
    read_store.fail = True
    writer = BackgroundWriter(read_store)

    writer.submit([a_row()])
    with pytest.raises(OSError, match="disk full"):
        writer.wait()

    writer.submit([a_row()])
    writer.close()
    assert read_store.docs == {}
