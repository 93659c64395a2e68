"""The audit store's stored Merkle subtrees and its streamed read of the log, on SQLite and
on PostgreSQL.

For the subtrees a store is given chain links for made-up leaves (a tree needs no
events), builds its subtrees, and answers proofs that must equal the proofs over the
same leaves held in memory (`domain.merkle.ListNodes`): whole blocks of 256 leaves and
a part block, every size a proof can be asked at, with stored nodes missing. A proof
reads what it needs in one query; building what is already built writes nothing.

For the stream the Northmoor scenario is written through the ledger: its events come
with their chain links, in log order, while the store answers other queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.audit_store import open_audit_store
from adapters.audit_store.shared import BLOCK, TREE_LEVEL, AuditStore
from adapters.bootstrap import bootstrap
from adapters.persistence import parse_database_url
from adapters.settings import Settings
from domain.merkle import (
    ListNodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from domain.merkle import root as merkle_root
from services.demo.cast import ScenarioClock
from services.demo.northmoor import write_northmoor

LEAVES = 3 * BLOCK + 37
"""Three whole blocks and a part block."""
SIZES = (LEAVES, 3 * BLOCK, 2 * BLOCK + 1, BLOCK - 1, 1)
NORTHMOOR_EVENTS = 56


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


def open_store(url: str) -> AuditStore:
    return open_audit_store(parse_database_url(url))


@pytest.fixture
def store(url: str) -> Iterator[AuditStore]:
    bootstrap(Settings(database_url=url), in_process=False).close()  # creates the tables
    opened = open_store(url)
    yield opened
    opened.close()


def made_up_leaves(count: int) -> list[bytes]:
    return [leaf_hash(n.to_bytes(4, "big")) for n in range(count)]


@pytest.fixture
def leaves(store: AuditStore) -> list[bytes]:
    """The store's chain holds these leaves (positions from 1), its subtrees built."""
    hashes = made_up_leaves(LEAVES)
    store.backfill_chain([(n + 1, n, h, h) for n, h in enumerate(hashes)])
    store.build_tree(LEAVES)
    return hashes


class Spy:
    """Counts the calls to one method of an object, still calling it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> None:
        self.calls = 0
        method = getattr(target, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        monkeypatch.setattr(target, name, counted)


# Proofs from the stored subtrees


def test_proofs_from_the_stored_subtrees_match_proofs_over_the_leaves(
    store: AuditStore, leaves: list[bytes]
) -> None:
    in_memory = ListNodes(leaves)

    for size in SIZES:
        assert store.tree().subtree(0, size) == merkle_root(leaves[:size])
        for index in {0, 1, size // 2, BLOCK - 1, BLOCK, 2 * BLOCK + 5, size - 2, size - 1}:
            if 0 <= index < size:
                expected = inclusion_proof(index, size, in_memory)
                assert inclusion_proof(index, size, store.tree()) == expected, (index, size)
        for old in SIZES:
            if old <= size:
                expected = consistency_proof(old, size, in_memory)
                assert consistency_proof(old, size, store.tree()) == expected, (old, size)


def test_a_proof_reads_every_stored_node_and_leaf_it_needs_in_one_query(
    store: AuditStore, leaves: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Spy(monkeypatch, store, "_stored_rows")

    path = inclusion_proof(BLOCK + 3, LEAVES, store.tree())

    assert reads.calls == 1
    assert path == inclusion_proof(BLOCK + 3, LEAVES, ListNodes(leaves))


def test_a_subtree_missing_from_the_store_is_computed_from_its_halves(
    store: AuditStore, leaves: list[bytes]
) -> None:
    store.conn.execute(f"DELETE FROM {store.tree_table} WHERE level = 9")
    in_memory = ListNodes(leaves)

    for index in (0, BLOCK + 3, 2 * BLOCK + 7, LEAVES - 1):
        assert inclusion_proof(index, LEAVES, store.tree()) == inclusion_proof(
            index, LEAVES, in_memory
        )
    assert store.tree().subtree(0, LEAVES) == merkle_root(leaves)


def test_subtrees_already_built_are_checked_in_one_query_and_not_written_again(
    url: str, leaves: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    again = open_store(url)
    try:
        reads = Spy(monkeypatch, again, "_stored_rows")
        writes = Spy(monkeypatch, again, "_many")

        again.build_tree(LEAVES)
        again.build_tree(LEAVES)  # known built by now: no query at all
        again.build_tree(2 * BLOCK)

        assert (reads.calls, writes.calls) == (1, 0)
    finally:
        again.close()


def test_subtrees_are_built_further_as_the_log_grows(
    store: AuditStore, leaves: list[bytes]
) -> None:
    more = made_up_leaves(LEAVES + 2 * BLOCK)[LEAVES:]
    store.backfill_chain([(LEAVES + n + 1, LEAVES + n, h, h) for n, h in enumerate(more)])
    grown = [*leaves, *more]

    store.build_tree(len(grown))

    top = TREE_LEVEL + (len(grown) // BLOCK).bit_length() - 1  # the highest level built
    assert store.stored([(top, 0)])[0] == {(top, 0): merkle_root(grown[: 1 << top])}
    for index in (5, LEAVES - 1, LEAVES, len(grown) - 1):
        assert inclusion_proof(index, len(grown), store.tree()) == inclusion_proof(
            index, len(grown), ListNodes(grown)
        )


# The log, streamed


def test_events_stream_in_log_order_with_their_links_while_the_store_answers_queries(
    url: str,
) -> None:
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
    finally:
        ledger.close()
    store = open_store(url)
    try:
        rows = store.joined(0)
        first = next(rows)
        assert store.link_at_position(first[0]) == (first[0], *first[5:])
        rest = list(rows)
    finally:
        store.close()

    positions = [first[0], *(row[0] for row in rest)]
    assert positions == sorted(positions)
    assert len(positions) == NORTHMOOR_EVENTS
    assert [row[5] for row in (first, *rest)] == list(range(NORTHMOOR_EVENTS))
    assert all(isinstance(row[1], bytes) and len(row[1]) == 16 for row in (first, *rest))
