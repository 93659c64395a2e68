"""The audit store's SQL shared by both backends, and the stored tree it serves proofs from."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.persistence import CHAIN_TABLE, CHECKPOINT_TABLE, TREE_TABLE
from domain.audit import Checkpoint
from domain.merkle import NodeSource, Range, node_hash
from domain.merkle import root as merkle_root

TREE_LEVEL = 8
BLOCK = 1 << TREE_LEVEL

EventRow = tuple[int, UUID, int, str, bytes]
"""(position, aggregate id, version, topic, stored state)."""
LinkRow = tuple[int, int, bytes, bytes]
"""(position, leaf index, leaf hash, chain value)."""
JoinedRow = tuple[int, bytes, int, str, bytes, int | None, bytes | None, bytes | None]
"""(position, aggregate id bytes, version, topic, state, leaf index, leaf hash, chain value)."""
Row = tuple[Any, ...]
"""A row as the database driver returns it."""
NodeKey = tuple[int, int]
"""(level, index) of a stored subtree: the 2**level leaves from index * 2**level."""


class AuditStore:
    """SQL shared by both backends; subclasses say how to reach the events. Table names
    come quoted (and qualified by the schema on PostgreSQL) from `quote`."""

    ph = "?"

    def __init__(self, conn: Any, quote: Callable[[str], str] = lambda name: name) -> None:
        self.conn = conn
        self.chain_table = quote(CHAIN_TABLE)
        self.tree_table = quote(TREE_TABLE)
        self.checkpoint_table = quote(CHECKPOINT_TABLE)
        self._built_to = 0  # the stored subtrees are known to cover this many leaves
        self._create()

    # Set-up

    def _create(self) -> None:
        blob = self._blob
        self._run(
            f"CREATE TABLE IF NOT EXISTS {self.tree_table} (level INTEGER NOT NULL, "
            f"idx BIGINT NOT NULL, hash {blob} NOT NULL, PRIMARY KEY (level, idx))"
        )
        self._run(
            f"CREATE TABLE IF NOT EXISTS {self.checkpoint_table} ("
            "sequence BIGINT PRIMARY KEY, tree_size BIGINT NOT NULL, root_hash TEXT NOT NULL, "
            "chain_hash TEXT NOT NULL, signed_at TEXT NOT NULL, key_id TEXT NOT NULL, "
            "public_key TEXT NOT NULL, signature TEXT NOT NULL)"
        )

    _blob = "BLOB"

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(sql.replace("?", self.ph), params)
        return list(cursor.fetchall()) if cursor.description else []

    # The chain

    def leaf_count(self) -> int:
        rows = self._run(f"SELECT MAX(leaf_index) FROM {self.chain_table}")
        return 0 if not rows or rows[0][0] is None else int(rows[0][0]) + 1

    def leaves(self, start: int, end: int) -> list[bytes]:
        rows = self._run(
            f"SELECT leaf_hash FROM {self.chain_table} WHERE leaf_index >= ? AND "
            "leaf_index < ? ORDER BY leaf_index",
            (start, end),
        )
        return [bytes(r[0]) for r in rows]

    def link_at_leaf(self, index: int) -> LinkRow | None:
        rows = self._run(
            f"SELECT position, leaf_index, leaf_hash, chain_hash FROM {self.chain_table} "
            "WHERE leaf_index = ?",
            (index,),
        )
        return _link(rows[0]) if rows else None

    def link_at_position(self, position: int) -> LinkRow | None:
        rows = self._run(
            f"SELECT position, leaf_index, leaf_hash, chain_hash FROM {self.chain_table} "
            "WHERE position = ?",
            (position,),
        )
        return _link(rows[0]) if rows else None

    def links(self, after: int, limit: int) -> list[LinkRow]:
        rows = self._run(
            f"SELECT position, leaf_index, leaf_hash, chain_hash FROM {self.chain_table} "
            "WHERE position > ? ORDER BY position LIMIT ?",
            (after, limit),
        )
        return [_link(r) for r in rows]

    def events(self, after: int, limit: int) -> list[EventRow]:
        raise NotImplementedError

    def joined(self, after: int) -> Generator[JoinedRow, None, None]:
        """Every event after a position, in log order, with its chain link (None where
        there is none), read as one stream; the store may be queried while it is open."""
        raise NotImplementedError

    def backfill_chain(self, rows: Sequence[LinkRow]) -> None:
        self._many(
            f"INSERT INTO {self.chain_table} (position, leaf_index, leaf_hash, "
            "chain_hash) VALUES (?, ?, ?, ?)",
            rows,
        )

    # Stored subtrees

    def stored(
        self, keys: Sequence[NodeKey], blocks: Sequence[int] = ()
    ) -> tuple[dict[NodeKey, bytes], dict[int, list[bytes]]]:
        """The stored subtree hashes among these (level, index) keys, and the leaf hashes of
        these blocks, in one query: (hashes by key, leaf hashes by block, in leaf order)."""
        nodes: dict[NodeKey, bytes] = {}
        leaves: dict[int, list[bytes]] = {block: [] for block in blocks}
        for level, idx, value in self._stored_rows(keys, blocks) if keys or blocks else ():
            if level == 0:
                leaves[idx // BLOCK].append(bytes(value))
            else:
                nodes[(level, idx)] = bytes(value)
        return nodes, leaves

    def _stored_rows(self, keys: Sequence[NodeKey], blocks: Sequence[int]) -> list[Row]:
        """(level, index, hash) of the stored nodes among `keys`, and of the leaves of
        `blocks` as the nodes of level 0, ordered by level and index."""
        parts: list[str] = []
        params: list[int] = []
        if keys:
            parts.append(
                f"SELECT level, idx, hash FROM {self.tree_table} WHERE "
                + " OR ".join(["(level = ? AND idx = ?)"] * len(keys))
            )
            params += [value for key in keys for value in key]
        for block in blocks:
            parts.append(
                f"SELECT 0, leaf_index, leaf_hash FROM {self.chain_table} "
                "WHERE leaf_index >= ? AND leaf_index < ?"
            )
            params += [block * BLOCK, (block + 1) * BLOCK]
        return self._run(" UNION ALL ".join(parts) + " ORDER BY 1, 2", params)

    def build_tree(self, size: int) -> None:
        """Store every perfect subtree of at least BLOCK leaves within the first `size`."""
        if size <= self._built_to or self._tree_built(size):
            self._built_to = max(self._built_to, size)
            return
        blocks = size // BLOCK
        # How far each level is built, in one query.
        built = {
            int(level): int(top) + 1
            for level, top in self._run(
                f"SELECT level, MAX(idx) FROM {self.tree_table} GROUP BY level"
            )
        }
        first = built.get(TREE_LEVEL, 0)
        for start in range(first, blocks, 64):
            end = min(start + 64, blocks)
            leaves = self.leaves(start * BLOCK, end * BLOCK)
            self._many(
                f"INSERT INTO {self.tree_table} (level, idx, hash) VALUES (?, ?, ?) "
                "ON CONFLICT (level, idx) DO NOTHING",
                [
                    (
                        TREE_LEVEL,
                        b,
                        merkle_root(leaves[(b - start) * BLOCK : (b - start + 1) * BLOCK]),
                    )
                    for b in range(start, end)
                ],
            )
        level, count = TREE_LEVEL, blocks
        while count > 1:
            parents = count // 2
            done = built.get(level + 1, 0)
            if done < parents:
                children = {
                    int(i): bytes(h)
                    for i, h in self._run(
                        f"SELECT idx, hash FROM {self.tree_table} WHERE level = ? AND "
                        "idx >= ? AND idx < ?",
                        (level, done * 2, parents * 2),
                    )
                }
                self._many(
                    f"INSERT INTO {self.tree_table} (level, idx, hash) VALUES (?, ?, ?) "
                    "ON CONFLICT (level, idx) DO NOTHING",
                    [
                        (level + 1, p, node_hash(children[2 * p], children[2 * p + 1]))
                        for p in range(done, parents)
                    ],
                )
            level, count = level + 1, parents
        self._commit()
        self._built_to = size

    def _tree_built(self, size: int) -> bool:
        """Whether every subtree `build_tree(size)` stores is there, in one query: each
        level is built from the left, so its last node tells."""
        last = [(level, (size >> level) - 1) for level in range(TREE_LEVEL, size.bit_length())]
        return len(self.stored(last)[0]) == len(last)

    def rebuild_tree(self, size: int) -> None:
        """Drop every stored subtree and build them again from the leaf hashes."""
        self._built_to = 0
        self._run(f"DELETE FROM {self.tree_table}")
        self.build_tree(size)

    # Checkpoints

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._run(
            f"SELECT sequence, tree_size, root_hash, chain_hash, signed_at, key_id, public_key, "
            f"signature FROM {self.checkpoint_table} ORDER BY sequence"
        )
        return [
            Checkpoint(
                sequence=int(r[0]),
                tree_size=int(r[1]),
                root_hash=str(r[2]),
                chain_hash=str(r[3]),
                signed_at=datetime.fromisoformat(str(r[4])),
                key_id=str(r[5]),
                public_key=str(r[6]),
                signature=str(r[7]),
            )
            for r in rows
        ]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        c = checkpoint
        self._run(
            f"INSERT INTO {self.checkpoint_table} (sequence, tree_size, root_hash, "
            "chain_hash, signed_at, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                c.sequence,
                c.tree_size,
                c.root_hash,
                c.chain_hash,
                c.signed_at.isoformat(),
                c.key_id,
                c.public_key,
                c.signature,
            ),
        )
        self._commit()

    def tree(self) -> StoredTree:
        return StoredTree(self)

    # Plumbing

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.executemany(sql.replace("?", self.ph), rows)

    def _commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


class StoredTree(NodeSource):
    """A merkle `NodeSource` over the stored subtrees and leaf hashes. The stored nodes
    and leaf blocks one call needs are read together, in one query."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self._nodes: dict[NodeKey, bytes | None] = {}  # None: looked for, not stored
        self._blocks: dict[int, list[bytes]] = {}

    def subtree(self, start: int, end: int) -> bytes:
        return self.subtrees([(start, end)])[0]

    def subtrees(self, ranges: Sequence[Range]) -> list[bytes]:
        keys: set[NodeKey] = set()
        blocks: set[int] = set()
        for start, end in ranges:
            _plan(start, end, keys, blocks)
        keys.difference_update(self._nodes)
        blocks.difference_update(self._blocks)
        if keys or blocks:
            found, leaves = self.store.stored(sorted(keys), sorted(blocks))
            self._nodes.update((key, found.get(key)) for key in keys)
            self._blocks.update(leaves)
        return [self._hash(start, end) for start, end in ranges]

    def _hash(self, start: int, end: int) -> bytes:
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            if level < TREE_LEVEL:
                offset = start % BLOCK
                return merkle_root(self._blocks[start // BLOCK][offset : offset + size])
            stored = self._nodes[(level, start >> level)]
            if stored is not None:
                return stored
            # Not stored (not built yet, or removed): from its halves.
            return node_hash(*self.subtrees([(start, start + size // 2), (start + size // 2, end)]))
        half = 1 << ((size - 1).bit_length() - 1)
        return node_hash(self._hash(start, start + half), self._hash(start + half, end))


def _plan(start: int, end: int, keys: set[NodeKey], blocks: set[int]) -> None:
    """The stored nodes and leaf blocks the subtree [start, end) is made of."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        if level >= TREE_LEVEL:
            keys.add((level, start >> level))
        else:
            blocks.add(start // BLOCK)
        return
    half = 1 << ((size - 1).bit_length() - 1)
    _plan(start, start + half, keys, blocks)
    _plan(start + half, end, keys, blocks)


def _link(row: Sequence[Any]) -> LinkRow:
    return (int(row[0]), int(row[1]), bytes(row[2]), bytes(row[3]))
