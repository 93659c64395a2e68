"""The Merkle tree over the event log, hashed as RFC 6962 / RFC 9162 specify.

Auditors check the log the way Certificate Transparency logs are checked: a
signed checkpoint names a tree size and its root; an inclusion proof shows one
event's leaf is in that tree; a consistency proof shows a later checkpoint's
tree extends an earlier one, so nothing recorded was changed or removed.

Everything here is pure: leaf hashes go in, hashes and proofs come out. Proofs
read subtree hashes through a `NodeSource`, asking for all a proof needs at once,
so a store can answer from its own cached nodes, without loading every leaf, in
one round trip; `ListNodes` answers from a list.

Sizes and indexes are 0-based leaf counts and positions, as in RFC 9162. The
verifiers trust that a tree size belongs to its root; a signed checkpoint binds
the two, and each proof is only as good as that binding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final, Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ListNodes",
    "NodeSource",
    "Range",
    "TreeBuilder",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
"""Bytes in every leaf hash, node hash and root (SHA-256)."""

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""The root of the tree with no leaves: SHA-256 of the empty string."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data). The prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where the tree splits."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of these leaf hashes (RFC 9162 §2.1.1).

    The empty tree hashes to `EMPTY_ROOT`, one leaf to its own leaf hash, and n
    leaves to the node hash of the first k and the remaining n - k, where k is
    the largest power of two smaller than n.

    Computed a level at a time, pairing neighbours and carrying an odd last hash
    up unchanged, which gives the same tree: the split at k is where the pairing
    of the perfect left part ends.
    """
    if not set(map(len, leaf_hashes)) <= {HASH_SIZE}:  # one pass in C; then name the first
        for i, value in enumerate(leaf_hashes):
            _check_hash(value, f"leaf hash {i}")
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        pairs = iter(level)
        parents = [
            sha256(_NODE_PREFIX + left + right).digest()
            for left, right in zip(pairs, pairs, strict=False)
        ]
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


class TreeBuilder:
    """Roots a log read once in order, holding O(log n) hashes.

    The stack holds the roots of the perfect subtrees that make up the leaves so
    far, largest first, one for each set bit of the size; the tree's root folds
    them from the right.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf, merging the perfect subtrees it completes."""
        _check_hash(leaf_hash, "leaf hash")
        self._stack.append(leaf_hash)
        self._size += 1
        completed = self._size
        while completed & 1 == 0:
            right = self._stack.pop()
            left = self._stack.pop()
            self._stack.append(node_hash(left, right))
            completed >>= 1

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


Range = tuple[int, int]
"""A subtree as the leaf positions [start, end) it covers."""


class NodeSource(Protocol):
    """Where proofs read subtree hashes from."""

    def subtree(self, start: int, end: int) -> bytes:
        """MTH of the leaves at positions [start, end), where 0 <= start < end."""
        ...

    def subtrees(self, ranges: Sequence[Range]) -> list[bytes]:
        """The hashes of several subtrees, in order. A proof asks for all it needs in one
        call, so a store can read them in one round trip."""
        return [self.subtree(start, end) for start, end in ranges]


class ListNodes(NodeSource):
    """A `NodeSource` over leaf hashes held in memory, for tests and small trees.

    Subtree hashes are kept once computed, so the proofs for every leaf of one
    tree cost O(n) hashing in all rather than O(n) each.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        for i, value in enumerate(leaf_hashes):
            _check_hash(value, f"leaf hash {i}")
        self._leaves = tuple(leaf_hashes)
        self._known: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    def subtree(self, start: int, end: int) -> bytes:
        if not 0 <= start < end <= len(self._leaves):
            raise ValueError(
                f"subtree [{start}, {end}) is not a non-empty range "
                f"of the {len(self._leaves)} leaves held"
            )
        return self._subtree(start, end)

    def _subtree(self, start: int, end: int) -> bytes:
        if end - start == 1:
            return self._leaves[start]
        known = self._known.get((start, end))
        if known is None:
            mid = start + _split(end - start)
            known = node_hash(self._subtree(start, mid), self._subtree(mid, end))
            self._known[(start, end)] = known
        return known


def inclusion_proof(index: int, size: int, nodes: NodeSource) -> list[bytes]:
    """The audit path for leaf `index` in the tree of the first `size` leaves.

    RFC 9162 §2.1.3.1 PATH(m, D[n]), listed from the leaf's sibling up to the
    root's child. Raises ValueError unless 0 <= index < size.
    """
    return nodes.subtrees(inclusion_ranges(index, size))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make up `inclusion_proof(index, size)`, in its order."""
    if size < 1:
        raise ValueError(f"tree size must be at least 1 for an inclusion proof, got {size}")
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    ranges.reverse()
    return ranges


def consistency_proof(old_size: int, new_size: int, nodes: NodeSource) -> list[bytes]:
    """The proof that the tree of `new_size` leaves extends that of `old_size`.

    RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true). It is empty when
    the sizes are equal or the old tree is empty. Raises ValueError unless
    0 <= old_size <= new_size.
    """
    return nodes.subtrees(consistency_ranges(old_size, new_size))


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose hashes make up `consistency_proof(old_size, new_size)`, in order."""
    if old_size < 0:
        raise ValueError(f"old tree size must not be negative, got {old_size}")
    if old_size > new_size:
        raise ValueError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size in (0, new_size):
        return []
    # SUBPROOF unrolled: (start, m, n) is the current subtree, `whole` is its b.
    ranges: list[Range] = []
    start, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = _split(n)
        if m <= k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        ranges.append((start, start + m))
    ranges.reverse()
    return ranges


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows leaf `index` with `leaf_hash` is in the tree `root`.

    RFC 9162 §2.1.3.2. Returns False, never raises, for any malformed input:
    an index outside the tree, a proof of the wrong length, a hash not 32 bytes.
    """
    if not 0 <= index < size:
        return False
    if not _well_formed(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree `new_root` extends the tree `old_root`.

    RFC 9162 §2.1.4.2 for 0 < old_size < new_size. Equal sizes need equal roots
    and an empty proof; an empty old tree needs `EMPTY_ROOT` and an empty proof.
    Returns False, never raises, for any malformed input.
    """
    if not 0 <= old_size <= new_size:
        return False
    if not _well_formed(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one: its root starts the path.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
