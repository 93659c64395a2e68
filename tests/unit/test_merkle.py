"""The Merkle tree auditors check the log with: published vectors, then properties.

The known answers are the RFC 6962 test vectors that Certificate Transparency
implementations share (an eight-leaf reference tree, its roots, some audit paths
and consistency proofs). Hypothesis then checks, for random trees, that every
proof verifies and that a proof stops verifying once anything it vouches for
is changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.merkle import (
    EMPTY_ROOT,
    ListNodes,
    Range,
    TreeBuilder,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# ---------------------------------------------------------------------------
# Published vectors. Copied, not regenerated, from:
#   google/certificate-transparency  cpp/merkletree/merkle_tree_test.cc
#     (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs, kSHA256EmptyTreeHash)
#   transparency-dev/merkle  proof/verify_test.go
#     (leaves, roots, inclusionProofs, consistencyProofs, which add 6 -> 7)
#   transparency-dev/merkle  rfc6962/rfc6962_test.go  (TestRFC6962Hasher)
# Leaf numbers in the published path vectors count from 1; indexes here from 0.
# ---------------------------------------------------------------------------

EMPTY_TREE_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# transparency-dev/merkle proof/verify_test.go: sha256SomeHash
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

LEAF_INPUTS = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]

# Roots of the reference tree after 1, 2, ..., 8 leaves.
ROOTS = [
    bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    bytes.fromhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    bytes.fromhex("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    bytes.fromhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    bytes.fromhex("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    bytes.fromhex("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    bytes.fromhex("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (leaf number counted from 1, tree size, audit path)
INCLUSION_PROOFS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        3,
        3,
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (old size, new size, consistency proof)
CONSISTENCY_PROOFS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# transparency-dev/merkle rfc6962/rfc6962_test.go: (description, computed, expected)
HASHER_VECTORS = [
    ("empty tree", EMPTY_ROOT, EMPTY_TREE_HASH),
    (
        "empty leaf",
        leaf_hash(b""),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    ),
    (
        "leaf",
        leaf_hash(b"L123456"),
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
    ),
    (
        "node",
        node_hash(b"N123", b"N456"),
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
    ),
]

REFERENCE_LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]
REFERENCE_NODES = ListNodes(REFERENCE_LEAVES)


def flipped(value: bytes, mask: int = 1) -> bytes:
    """The same hash with bits of its first byte flipped."""
    return bytes([value[0] ^ mask]) + value[1:]


# ---------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("description", "computed", "expected"), HASHER_VECTORS)
def test_hashes_match_the_published_rfc6962_vectors(
    description: str, computed: bytes, expected: str
) -> None:
    assert computed.hex() == expected, description


def test_the_empty_tree_hashes_to_the_published_empty_root() -> None:
    assert root([]).hex() == EMPTY_TREE_HASH
    assert TreeBuilder().root().hex() == EMPTY_TREE_HASH


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_reference_tree_match_the_published_roots(size: int) -> None:
    assert root(REFERENCE_LEAVES[:size]) == ROOTS[size - 1]
    assert REFERENCE_NODES.subtree(0, size) == ROOTS[size - 1]


def test_a_builder_fed_the_reference_leaves_passes_through_every_published_root() -> None:
    builder = TreeBuilder()
    for size, leaf in enumerate(REFERENCE_LEAVES, start=1):
        builder.append(leaf)
        assert builder.size == size
        assert builder.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION_PROOFS)
def test_inclusion_proofs_match_the_published_paths_and_verify(
    leaf: int, size: int, path: list[str]
) -> None:
    proof = inclusion_proof(leaf - 1, size, REFERENCE_NODES)

    assert [p.hex() for p in proof] == path
    assert verify_inclusion(leaf - 1, size, REFERENCE_LEAVES[leaf - 1], proof, ROOTS[size - 1])


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION_PROOFS)
def test_published_inclusion_proofs_fail_once_corrupted(
    leaf: int, size: int, path: list[str]
) -> None:
    # The probes of VerifierCheck / corruptInclusionProof in the sources above.
    index, good_root, good_leaf = leaf - 1, ROOTS[size - 1], REFERENCE_LEAVES[leaf - 1]
    proof = [bytes.fromhex(p) for p in path]
    probes: list[tuple[str, int, int, bytes, list[bytes], bytes]] = [
        ("index - 1", index - 1, size, good_leaf, proof, good_root),
        ("index + 1", index + 1, size, good_leaf, proof, good_root),
        ("index ^ 2", index ^ 2, size, good_leaf, proof, good_root),
        ("size * 2", index, size * 2, good_leaf, proof, good_root),
        ("size // 2", index, size // 2, good_leaf, proof, good_root),
        ("wrong leaf", index, size, b"WrongLeaf", proof, good_root),
        ("wrong leaf hash", index, size, leaf_hash(b"WrongLeaf"), proof, good_root),
        ("empty root", index, size, good_leaf, proof, EMPTY_ROOT),
        ("random root", index, size, good_leaf, proof, SOME_HASH),
        ("trailing garbage", index, size, good_leaf, [*proof, b""], good_root),
        ("trailing root", index, size, good_leaf, [*proof, good_root], good_root),
        ("preceding garbage", index, size, good_leaf, [b"", *proof], good_root),
        ("preceding root", index, size, good_leaf, [good_root, *proof], good_root),
    ]
    for i in range(len(proof)):
        changed = [*proof[:i], flipped(proof[i], 8), *proof[i + 1 :]]
        probes.append((f"proof[{i}] bit 3", index, size, good_leaf, changed, good_root))
        replaced = [*proof[:i], EMPTY_ROOT, *proof[i + 1 :]]
        probes.append((f"proof[{i}] replaced", index, size, good_leaf, replaced, good_root))
    if proof:
        probes.append(("removed component", index, size, good_leaf, proof[:-1], good_root))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", index, size, good_leaf, inserted, good_root))

    accepted = [
        description
        for description, i, n, leaf_value, p, r in probes
        if verify_inclusion(i, n, leaf_value, p, r)
    ]
    assert accepted == []


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CONSISTENCY_PROOFS)
def test_consistency_proofs_match_the_published_proofs_and_verify(
    old_size: int, new_size: int, expected: list[str]
) -> None:
    proof = consistency_proof(old_size, new_size, REFERENCE_NODES)

    assert [p.hex() for p in proof] == expected
    assert verify_consistency(old_size, new_size, ROOTS[old_size - 1], ROOTS[new_size - 1], proof)


@pytest.mark.parametrize(
    ("old_size", "new_size", "expected"), [v for v in CONSISTENCY_PROOFS if v[2]]
)
def test_published_consistency_proofs_fail_once_corrupted(
    old_size: int, new_size: int, expected: list[str]
) -> None:
    # The probes of VerifierConsistencyCheck / corruptConsistencyProof above.
    m, n = old_size, new_size
    old_root, new_root = ROOTS[m - 1], ROOTS[n - 1]
    proof = [bytes.fromhex(p) for p in expected]
    probes: list[tuple[str, int, int, bytes, bytes, list[bytes]]] = [
        ("old size - 1", m - 1, n, old_root, new_root, proof),
        ("old size + 1", m + 1, n, old_root, new_root, proof),
        ("old size ^ 2", m ^ 2, n, old_root, new_root, proof),
        ("new size * 2", m, n * 2, old_root, new_root, proof),
        ("new size // 2", m, n // 2, old_root, new_root, proof),
        ("wrong old root", m, n, b"WrongRoot", new_root, proof),
        ("wrong new root", m, n, old_root, b"WrongRoot", proof),
        ("changed old root", m, n, flipped(old_root), new_root, proof),
        ("changed new root", m, n, old_root, flipped(new_root), proof),
        ("swapped roots", m, n, new_root, old_root, proof),
        ("empty proof", m, n, old_root, new_root, []),
        ("trailing garbage", m, n, old_root, new_root, [*proof, b""]),
        ("trailing old root", m, n, old_root, new_root, [*proof, old_root]),
        ("trailing new root", m, n, old_root, new_root, [*proof, new_root]),
        ("trailing last element", m, n, old_root, new_root, [*proof, proof[-1]]),
        ("preceding garbage", m, n, old_root, new_root, [b"", *proof]),
        ("preceding old root", m, n, old_root, new_root, [old_root, *proof]),
        ("preceding new root", m, n, old_root, new_root, [new_root, *proof]),
        ("preceding proof[0]", m, n, old_root, new_root, [proof[0], *proof]),
        ("truncated proof", m, n, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        changed = [*proof[:i], flipped(proof[i], 16), *proof[i + 1 :]]
        probes.append((f"proof[{i}] bit 4", m, n, old_root, new_root, changed))
        replaced = [*proof[:i], EMPTY_ROOT, *proof[i + 1 :]]
        probes.append((f"proof[{i}] replaced", m, n, old_root, new_root, replaced))

    accepted = [
        description
        for description, m2, n2, r1, r2, p in probes
        if verify_consistency(m2, n2, r1, r2, p)
    ]
    assert accepted == []


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_published_impossible_inclusion_probes_do_not_verify(index: int, size: int) -> None:
    # TestVerifyInclusion in transparency-dev/merkle proof/verify_test.go.
    assert not verify_inclusion(index, size, SOME_HASH, [], b"")
    assert not verify_inclusion(index, size, b"", [], EMPTY_ROOT)
    assert not verify_inclusion(index, size, SOME_HASH, [], EMPTY_ROOT)


def test_a_single_entry_tree_proves_its_leaf_with_an_empty_path() -> None:
    # TestVerifyInclusionSingleEntry in transparency-dev/merkle proof/verify_test.go.
    hashed = leaf_hash(b"data")

    assert verify_inclusion(0, 1, hashed, [], hashed)
    assert not verify_inclusion(0, 1, b"", [], hashed)
    assert not verify_inclusion(0, 1, hashed, [], b"")
    assert not verify_inclusion(0, 1, b"", [], b"")


# ---------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------


def test_a_single_leaf_tree_has_that_leaf_as_its_root_and_empty_proofs() -> None:
    only = leaf_hash(b"first event")
    nodes = ListNodes([only])

    assert root([only]) == only
    assert inclusion_proof(0, 1, nodes) == []
    assert consistency_proof(1, 1, nodes) == []
    assert consistency_proof(0, 1, nodes) == []
    assert verify_consistency(0, 1, EMPTY_ROOT, only, [])
    assert verify_consistency(1, 1, only, only, [])


def test_the_empty_tree_is_consistent_with_any_tree_but_only_under_the_empty_root() -> None:
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[7], [])
    assert not verify_consistency(0, 8, ROOTS[0], ROOTS[7], [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, ROOTS[7], [EMPTY_ROOT])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


def test_equal_sizes_are_consistent_only_with_equal_roots_and_no_proof() -> None:
    assert verify_consistency(5, 5, ROOTS[4], ROOTS[4], [])
    assert not verify_consistency(5, 5, ROOTS[4], ROOTS[5], [])
    assert not verify_consistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


@pytest.mark.parametrize(("old_size", "new_size"), [(1, 0), (2, 1), (8, 6), (-1, 3)])
def test_a_tree_cannot_be_shown_consistent_with_a_larger_or_negative_one(
    old_size: int, new_size: int
) -> None:
    assert not verify_consistency(old_size, new_size, ROOTS[0], ROOTS[1], [])
    assert not verify_consistency(old_size, new_size, ROOTS[0], ROOTS[1], [ROOTS[2]])


def test_a_growing_tree_needs_a_non_empty_consistency_proof() -> None:
    assert not verify_consistency(1, 2, ROOTS[0], ROOTS[1], [])


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [
        (0, 0, "at least 1"),
        (-1, 4, "outside"),
        (4, 4, "outside"),
        (9, 8, "outside"),
        (0, 9, "leaves held"),
    ],
)
def test_inclusion_proofs_outside_the_tree_are_refused(index: int, size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inclusion_proof(index, size, REFERENCE_NODES)


@pytest.mark.parametrize(
    ("old_size", "new_size", "message"),
    [(-1, 3, "negative"), (4, 3, "larger"), (1, 0, "larger"), (3, 9, "leaves held")],
)
def test_consistency_proofs_between_impossible_sizes_are_refused(
    old_size: int, new_size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        consistency_proof(old_size, new_size, REFERENCE_NODES)


@pytest.mark.parametrize(("start", "end"), [(3, 3), (4, 2), (-1, 2), (0, 9), (8, 9)])
def test_list_nodes_refuse_ranges_that_are_empty_or_beyond_their_leaves(
    start: int, end: int
) -> None:
    with pytest.raises(ValueError, match="leaves held"):
        REFERENCE_NODES.subtree(start, end)


def test_raw_data_is_refused_where_a_leaf_hash_is_expected() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TreeBuilder().append(b"not a hash")
    with pytest.raises(ValueError, match="32 bytes"):
        root([REFERENCE_LEAVES[0], b"not a hash"])
    with pytest.raises(ValueError, match="32 bytes"):
        ListNodes([b"not a hash"])


def test_inclusion_proofs_of_the_wrong_shape_do_not_verify() -> None:
    proof = inclusion_proof(5, 8, REFERENCE_NODES)
    leaf, good_root = REFERENCE_LEAVES[5], ROOTS[7]

    assert verify_inclusion(5, 8, leaf, proof, good_root)
    assert not verify_inclusion(5, 8, leaf, proof[:-1], good_root)
    assert not verify_inclusion(5, 8, leaf, [*proof, proof[-1]], good_root)
    assert not verify_inclusion(5, 8, leaf, [], good_root)
    assert not verify_inclusion(5, 8, leaf, [*proof[:-1], proof[-1][:31]], good_root)
    assert not verify_inclusion(5, 8, leaf[:31], proof, good_root)
    assert not verify_inclusion(5, 8, leaf, proof, good_root + b"\x00")
    assert not verify_inclusion(-1, 8, leaf, proof, good_root)
    # A proof decoded from untrusted input may hold things that are not bytes.
    assert not verify_inclusion(5, 8, leaf, [cast(bytes, "not bytes"), *proof[1:]], good_root)


def test_consistency_proofs_of_the_wrong_shape_do_not_verify() -> None:
    proof = consistency_proof(3, 7, REFERENCE_NODES)
    old_root, new_root = ROOTS[2], ROOTS[6]

    assert verify_consistency(3, 7, old_root, new_root, proof)
    assert not verify_consistency(3, 7, old_root, new_root, proof[:-1])
    assert not verify_consistency(3, 7, old_root, new_root, [*proof, proof[-1]])
    assert not verify_consistency(3, 7, old_root, new_root, [*proof[:-1], proof[-1][:31]])
    assert not verify_consistency(3, 7, old_root[:31], new_root, proof)
    assert not verify_consistency(3, 7, old_root, new_root + b"\x00", proof)
    assert not verify_consistency(3, 7, old_root, new_root, [cast(bytes, None), *proof[1:]])


# ---------------------------------------------------------------------------
# Properties of random trees
# ---------------------------------------------------------------------------


@st.composite
def distinct_leaf_data(draw: st.DrawFn) -> list[bytes]:
    """1 to 300 leaves of random bytes, the size drawn across that whole range.

    Each leaf starts with its position, so no two are equal: with two equal
    leaves, swapping them really is the same tree.
    """
    size = draw(st.integers(1, 300), label="leaves")
    tails = draw(st.lists(st.binary(max_size=8), min_size=size, max_size=size))
    return [index.to_bytes(2, "big") + tail for index, tail in enumerate(tails)]


@settings(max_examples=100, deadline=None)
@given(leaf_data=distinct_leaf_data(), data=st.data())
def test_every_leaf_is_proven_in_its_tree_and_not_as_another_leaf_index_or_size(
    leaf_data: list[bytes], data: st.DataObject
) -> None:
    leaves = [leaf_hash(d) for d in leaf_data]
    nodes = ListNodes(leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    tree_root = root(leaves[:size])

    for index in range(size):
        proof = inclusion_proof(index, size, nodes)
        leaf = leaves[index]

        assert verify_inclusion(index, size, leaf, proof, tree_root)
        assert not verify_inclusion(index, size, flipped(leaf), proof, tree_root)
        assert not verify_inclusion(
            index, size, leaf_hash(leaf_data[index] + b"!"), proof, tree_root
        )
        for other in {index - 1, index + 1, index ^ 2} - {index}:
            assert not verify_inclusion(other, size, leaf, proof, tree_root)
        # A checkpoint signs a size together with its root, so a wrong size
        # arrives with that size's root.
        for other_size in {size - 1, size + 1, size * 2} - {size}:
            if index < other_size <= len(leaves):
                other_root = nodes.subtree(0, other_size)
                assert not verify_inclusion(index, other_size, leaf, proof, other_root)


@settings(max_examples=100, deadline=None)
@given(leaf_data=distinct_leaf_data(), data=st.data())
def test_every_earlier_tree_is_proven_consistent_and_a_changed_root_is_caught(
    leaf_data: list[bytes], data: st.DataObject
) -> None:
    leaves = [leaf_hash(d) for d in leaf_data]
    nodes = ListNodes(leaves)
    new_size = data.draw(st.integers(1, len(leaves)), label="new size")
    new_root = root(leaves[:new_size])

    for old_size in range(new_size + 1):
        old_root = nodes.subtree(0, old_size) if old_size else EMPTY_ROOT
        proof = consistency_proof(old_size, new_size, nodes)

        assert verify_consistency(old_size, new_size, old_root, new_root, proof)
        assert not verify_consistency(old_size, new_size, flipped(old_root), new_root, proof)
        if old_size:
            assert not verify_consistency(old_size, new_size, old_root, flipped(new_root), proof)
        for i in range(len(proof)):
            changed = [*proof[:i], flipped(proof[i]), *proof[i + 1 :]]
            assert not verify_consistency(old_size, new_size, old_root, new_root, changed)


@settings(max_examples=100, deadline=None)
@given(leaf_data=distinct_leaf_data())
def test_a_tree_builder_has_the_merkle_root_of_every_prefix(leaf_data: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in leaf_data]
    builder = TreeBuilder()
    assert builder.root() == root([])

    for size, leaf in enumerate(leaves, start=1):
        builder.append(leaf)
        assert builder.size == size
        assert builder.root() == root(leaves[:size])


def split_at_the_largest_power_of_two(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it: the reference for `root`."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(
        split_at_the_largest_power_of_two(leaves[:k]), split_at_the_largest_power_of_two(leaves[k:])
    )


@settings(max_examples=100, deadline=None)
@given(leaf_data=distinct_leaf_data())
def test_the_root_computed_a_level_at_a_time_is_the_rfc_tree_hash(
    leaf_data: list[bytes],
) -> None:
    leaves = [leaf_hash(d) for d in leaf_data]

    assert root(leaves) == split_at_the_largest_power_of_two(leaves)


class CountingNodes(ListNodes):
    """ListNodes that count the calls a proof makes for subtrees."""

    def __init__(self, leaf_hashes: list[bytes]) -> None:
        super().__init__(leaf_hashes)
        self.calls: list[list[Range]] = []

    def subtrees(self, ranges: Sequence[Range]) -> list[bytes]:
        self.calls.append(list(ranges))
        return super().subtrees(ranges)


@pytest.mark.parametrize(("index", "size"), [(0, 1), (5, 8), (2, 7), (300, 301)])
def test_an_inclusion_proof_asks_for_all_its_subtrees_at_once(index: int, size: int) -> None:
    nodes = CountingNodes([leaf_hash(n.to_bytes(2, "big")) for n in range(size)])

    proof = inclusion_proof(index, size, nodes)

    assert nodes.calls == [inclusion_ranges(index, size)]
    assert proof == [nodes.subtree(start, end) for start, end in inclusion_ranges(index, size)]


@pytest.mark.parametrize(("old_size", "new_size"), [(0, 4), (3, 7), (4, 8), (6, 301)])
def test_a_consistency_proof_asks_for_all_its_subtrees_at_once(
    old_size: int, new_size: int
) -> None:
    nodes = CountingNodes([leaf_hash(n.to_bytes(2, "big")) for n in range(new_size)])

    proof = consistency_proof(old_size, new_size, nodes)

    assert nodes.calls == [consistency_ranges(old_size, new_size)]
    assert len(proof) == len(consistency_ranges(old_size, new_size))
