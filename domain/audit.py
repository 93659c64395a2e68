"""What makes the log tamper-evident: each stored event's leaf, and the hash chain.

A leaf commits to an event's log position, aggregate id and version, topic and
its stored bytes exactly as recorded (ciphertext where a field is encrypted, so
erasing a person by deleting their key never changes a leaf). Leaves are hashed
as RFC 6962 Merkle leaves; the chain links each leaf to everything before it.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

GENESIS = bytes(32)
"""The chain value before the first event."""


def leaf_data(position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The exact bytes a leaf commits to: fixed-width integers, length-prefixed topic."""
    encoded_topic = topic.encode()
    return b"".join(
        (
            position.to_bytes(8, "big"),
            originator_id.bytes,
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
    return hashlib.sha256(
        b"\x00" + leaf_data(position, originator_id, version, topic, state)
    ).digest()


def chain_next(previous: bytes, leaf_hash: bytes) -> bytes:
    """The chain value after a leaf: SHA-256(previous chain value || leaf hash)."""
    return hashlib.sha256(previous + leaf_hash).digest()
