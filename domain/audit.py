"""What makes the log tamper-evident: each stored event's leaf, and the hash chain.

A leaf commits to an event's log position, aggregate id and version, topic and
its stored bytes exactly as recorded (ciphertext where a field is encrypted, so
erasing a person by deleting their key never changes a leaf). Leaves are hashed
as RFC 6962 Merkle leaves; the chain links each leaf to everything before it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

import msgspec

GENESIS = bytes(32)
"""The chain value before the first event."""


def leaf_data(position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The exact bytes a leaf commits to: fixed-width integers, length-prefixed topic."""
    return raw_leaf_data(position, originator_id.bytes, version, topic, state)


def raw_leaf_data(
    position: int, originator_id: bytes, version: int, topic: str, state: bytes
) -> bytes:
    """`leaf_data` with the aggregate id as its 16 bytes."""
    encoded_topic = topic.encode()
    return b"".join(
        (
            position.to_bytes(8, "big"),
            originator_id,
            version.to_bytes(8, "big"),
            len(encoded_topic).to_bytes(2, "big"),
            encoded_topic,
            state,
        )
    )


def event_leaf_hash(
    position: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """The RFC 6962 leaf hash of one stored event: SHA-256(0x00 || leaf data)."""
    return raw_leaf_hash(position, originator_id.bytes, version, topic, state)


def raw_leaf_hash(
    position: int, originator_id: bytes, version: int, topic: str, state: bytes
) -> bytes:
    """`event_leaf_hash` with the aggregate id as its 16 bytes."""
    return hashlib.sha256(
        b"\x00" + raw_leaf_data(position, originator_id, version, topic, state)
    ).digest()


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key: the start of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def chain_next(previous: bytes, leaf_hash: bytes) -> bytes:
    """The chain value after a leaf: SHA-256(previous chain value || leaf hash)."""
    return hashlib.sha256(previous + leaf_hash).digest()


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A signed tree head: the first `tree_size` events have this Merkle root and chain."""

    sequence: int
    tree_size: int
    root_hash: str
    chain_hash: str
    signed_at: datetime
    key_id: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        return checkpoint_message(self.tree_size, self.root_hash, self.chain_hash, self.signed_at)


def checkpoint_message(
    tree_size: int, root_hash: str, chain_hash: str, signed_at: datetime
) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return (
        f"inclusion-ledger checkpoint v1\n{tree_size}\n{root_hash}\n{chain_hash}\n"
        f"{signed_at.isoformat()}\n"
    ).encode()
