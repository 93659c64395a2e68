"""An export looks up aggregates' partnerships a slice at a time and keeps only the most
recently used, so its memory does not grow with the log."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID, uuid4

from services.audit.bundle_export import _Owners


def test_only_unknown_aggregates_are_looked_up_and_unknown_owners_are_none() -> None:
    partnership = uuid4()
    a, b, stranger = uuid4(), uuid4(), uuid4()
    asked: list[set[UUID]] = []

    def lookup(ids: Collection[UUID]) -> dict[UUID, UUID]:
        asked.append(set(ids))
        return {i: partnership for i in ids if i != stranger}

    owners = _Owners(lookup, keep=10)

    assert owners.of([a, b, a]) == {a: partnership, b: partnership}
    assert owners.of([a, stranger]) == {a: partnership, stranger: None}
    assert owners.of([stranger, b]) == {stranger: None, b: partnership}
    assert asked == [{a, b}, {stranger}]


def test_at_most_keep_owners_are_kept_the_least_recently_used_leaving_first() -> None:
    partnership = uuid4()
    asked: list[set[UUID]] = []

    def lookup(ids: Collection[UUID]) -> dict[UUID, UUID]:
        asked.append(set(ids))
        return dict.fromkeys(ids, partnership)

    owners = _Owners(lookup, keep=3)
    first, *rest = [uuid4() for _ in range(5)]
    owners.of([first])
    owners.of(rest[:2])
    owners.of([first])  # used again: now the most recent
    owners.of(rest[2:])

    asked.clear()
    owners.of([first])
    assert asked == []
    owners.of([rest[0]])
    assert asked == [{rest[0]}]
