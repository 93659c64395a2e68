"""Parked documents: kept encoded, given back whole, written oldest first past a limit."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from projections.documents import MeetingDoc
from projections.store import decode_doc, encode_doc
from services.projection.parked import ENTRY_BYTES, ParkedDocs


def a_meeting(title: str = "Board") -> MeetingDoc:
    return MeetingDoc(
        id=uuid4(),
        partnership_id=uuid4(),
        position=7,
        title=title,
        held_at=datetime(2026, 1, 5, tzinfo=UTC),
        present=["m-1", "m-2"],
    )


def test_a_parked_document_comes_back_equal_and_leaves_the_park() -> None:
    parked = ParkedDocs(limit_bytes=1_000_000)
    doc = a_meeting()

    parked.park(doc)
    assert doc.id in parked
    back = parked.take(doc.id)

    assert back == doc
    assert back is not doc
    assert doc.id not in parked
    assert parked.take(doc.id) is None
    assert (len(parked), parked.size) == (0, 0)


def test_parking_again_replaces_the_earlier_copy_and_counts_it_once() -> None:
    parked = ParkedDocs(limit_bytes=1_000_000)
    doc = a_meeting()
    parked.park(doc)
    doc.minutes_approved = True
    parked.park(doc)

    assert len(parked) == 1
    assert parked.size == len(encode_doc(doc)) + ENTRY_BYTES
    back = parked.take(doc.id)
    assert isinstance(back, MeetingDoc)
    assert back.minutes_approved


def test_nothing_overflows_under_the_limit() -> None:
    parked = ParkedDocs(limit_bytes=1_000_000)
    for _ in range(10):
        parked.park(a_meeting())

    assert parked.overflow() == []
    assert len(parked) == 10


def test_past_the_limit_the_oldest_rows_leave_down_to_three_quarters_of_it() -> None:
    docs = [a_meeting(f"Board {n}") for n in range(20)]
    each = len(encode_doc(docs[0])) + ENTRY_BYTES
    parked = ParkedDocs(limit_bytes=each * 10)
    for doc in docs[:11]:
        parked.park(doc)

    leaving = parked.overflow()

    assert [row[0] for row in leaving] == [d.id for d in docs[: len(leaving)]]
    assert parked.size <= parked.limit_bytes * 3 // 4
    assert len(parked) == 11 - len(leaving)
    first = leaving[0]
    assert first == (docs[0].id, "meeting", docs[0].partnership_id, 7, encode_doc(docs[0]))
    assert decode_doc(first[4]) == docs[0]


def test_drain_gives_every_row_and_empties_the_park() -> None:
    parked = ParkedDocs(limit_bytes=1_000_000)
    docs = [a_meeting() for _ in range(3)]
    for doc in docs:
        parked.park(doc)

    rows = parked.drain()

    assert [row[0] for row in rows] == [d.id for d in docs]
    assert (len(parked), parked.size) == (0, 0)
