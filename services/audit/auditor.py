"""Auditor tools over the log: sign checkpoints, prove inclusion, verify everything.

`verify` streams the whole log once, recomputing every leaf from the stored
event, the chain from the leaves, and the Merkle root at every checkpoint from
the recomputed leaves, so memory stays flat however long the log is. It names
the first position where what is stored disagrees with what was committed.
Checkpoints count only when signed by a key the auditor is told to trust, and a log
that no signed checkpoint covers is not shown intact (services/audit/verify_report.py).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from domain.audit import (
    GENESIS,
    Checkpoint,
    checkpoint_message,
    event_leaf_hash,
    key_id,
)
from domain.merkle import EMPTY_ROOT, NodeSource, inclusion_proof, node_hash, verify_inclusion
from services.audit.signature_check import SignatureCheck
from services.audit.verify_report import Problem as Problem
from services.audit.verify_report import VerifyReport as VerifyReport
from services.audit.verify_report import unsigned, untrusted

EventRow = tuple[int, UUID, int, str, bytes]
LinkRow = tuple[int, int, bytes, bytes]
JoinedRow = tuple[int, bytes, int, str, bytes, int | None, bytes | None, bytes | None]
Progress = Callable[[int, int], None]
BATCH = 20_000
"""Events verified between two progress reports."""
_LEAF_START = struct.Struct(">BQ").pack
"""The leaf prefix and the position: the start of domain.audit.raw_leaf_data, prefixed."""
_LEAF_MIDDLE = struct.Struct(">QH").pack
"""The version and the topic's length, between the aggregate id and the topic."""
FIRST_POSITION = -(2**62)
"""Read from far below 1, so an event forged at position 0 or below is still seen."""


class AuditLog(Protocol):
    def leaf_count(self) -> int: ...

    def link_at_leaf(self, index: int) -> LinkRow | None: ...

    def link_at_position(self, position: int) -> LinkRow | None: ...

    def links(self, after: int, limit: int) -> list[LinkRow]: ...

    def events(self, after: int, limit: int) -> list[EventRow]: ...

    def joined(self, after: int) -> Generator[JoinedRow, None, None]:
        """Every event after a position, in log order, with its chain link (None where
        there is none), read as one stream; the log may be queried while it is open."""
        ...

    def build_tree(self, size: int) -> None: ...

    def rebuild_tree(self, size: int) -> None: ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def tree(self) -> NodeSource: ...


class Signing(Protocol):
    key_id: str
    public_key: bytes

    def sign(self, message: bytes) -> bytes: ...


class AuditFailed(RuntimeError):
    """The log or a checkpoint does not match what was committed (exit 1)."""


class InclusionProof(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    leaf_index: int
    leaf_hash: str
    tree_size: int
    root_hash: str
    path: list[str]
    checkpoint: Checkpoint


class Auditor:
    def __init__(
        self,
        log: AuditLog,
        signatures: SignatureCheck,
        *,
        trusted_keys: frozenset[bytes] = frozenset(),
    ) -> None:
        """`signatures` checks the checkpoints' signatures; `trusted_keys`: the raw
        Ed25519 public keys whose checkpoints count."""
        self.log = log
        self.signatures = signatures
        self.trusted_keys = trusted_keys

    # Checkpoints

    def checkpoint(self, signer: Signing, at: datetime) -> Checkpoint:
        """Sign the log as it stands: its size, Merkle root and chain value."""
        size = self.log.leaf_count()
        self.log.build_tree(size)
        root = self.tree().subtree(0, size) if size else EMPTY_ROOT
        last = self.log.link_at_leaf(size - 1) if size else None
        chain = last[3] if last else GENESIS
        previous = self.log.checkpoints()
        message = checkpoint_message(size, root.hex(), chain.hex(), at)
        checkpoint = Checkpoint(
            sequence=(previous[-1].sequence + 1) if previous else 1,
            tree_size=size,
            root_hash=root.hex(),
            chain_hash=chain.hex(),
            signed_at=at,
            key_id=signer.key_id,
            public_key=signer.public_key.hex(),
            signature=signer.sign(message).hex(),
        )
        self.log.add_checkpoint(checkpoint)
        return checkpoint

    def tree(self) -> NodeSource:
        return self.log.tree()

    # Proofs

    def prove(self, position: int, checkpoint_sequence: int | None = None) -> InclusionProof:
        checkpoints = self.log.checkpoints()
        if not checkpoints:
            raise LookupError("No checkpoint yet: run `inclusion-ledger checkpoint` first.")
        if checkpoint_sequence is None:
            checkpoint = checkpoints[-1]
        else:
            found = [c for c in checkpoints if c.sequence == checkpoint_sequence]
            if not found:
                raise LookupError(f"No checkpoint {checkpoint_sequence}.")
            checkpoint = found[0]
        link = self.log.link_at_position(position)
        if link is None:
            raise LookupError(f"No event at position {position}.")
        _, index, leaf, _ = link
        if index >= checkpoint.tree_size:
            raise LookupError(
                f"Position {position} came after checkpoint {checkpoint.sequence} "
                f"({checkpoint.tree_size} events); make a newer checkpoint."
            )
        self.log.build_tree(checkpoint.tree_size)
        path = inclusion_proof(index, checkpoint.tree_size, self.tree())
        root = bytes.fromhex(checkpoint.root_hash)
        if not verify_inclusion(index, checkpoint.tree_size, leaf, path, root):
            # The stored subtrees may be damaged: rebuild them from the leaves once.
            self.log.rebuild_tree(checkpoint.tree_size)
            path = inclusion_proof(index, checkpoint.tree_size, self.tree())
            if not verify_inclusion(index, checkpoint.tree_size, leaf, path, root):
                raise AuditFailed(
                    f"The stored leaves do not match checkpoint {checkpoint.sequence}'s root: "
                    "run `inclusion-ledger verify`."
                )
        return InclusionProof(
            position=position,
            leaf_index=index,
            leaf_hash=leaf.hex(),
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            path=[p.hex() for p in path],
            checkpoint=checkpoint,
        )

    # Verification

    def verify(self, progress: Progress | None = None, *, checkpoints: bool = True) -> VerifyReport:
        """The whole log against its chain and, unless `checkpoints` is off, against every
        checkpoint, each signed by a trusted key."""
        stored = self.log.checkpoints()
        if checkpoints and not self.trusted_keys:
            return VerifyReport(
                ok=False,
                events=0,
                checkpoints=len(stored),
                tree_size=0,
                root_hash=EMPTY_ROOT.hex(),
                problem=untrusted(),
            )
        problem = self._check_signatures(stored) if checkpoints else None
        total = max(self.log.leaf_count(), 1)
        due = sorted(stored, key=lambda c: c.tree_size) if checkpoints else []
        while problem is None and due and due[0].tree_size == 0:
            problem = self._check_root(due.pop(0), EMPTY_ROOT, GENESIS, None)
        events = 0
        stack: list[bytes] = []
        if problem is None:
            problem, events, stack = self._walk(due, progress, total)
            if progress:
                progress(events, total)
        if problem is None:
            lost = self.log.link_at_leaf(events)
            if lost is not None:
                problem = Problem(
                    kind="missing",
                    position=lost[0],
                    detail="the chain records an event that is no longer stored",
                )
        if problem is None and due:
            first = due[0]
            problem = Problem(
                kind="truncated",
                position=None,
                detail=(
                    f"checkpoint {first.sequence} signed {first.tree_size:,} events but the log "
                    f"holds {events:,}"
                ),
            )
        signed = max((c.tree_size for c in stored), default=0) if checkpoints else 0
        if problem is None and events and not signed and checkpoints:
            problem = unsigned(events)
        return VerifyReport(
            ok=problem is None,
            events=events,
            checkpoints=len(stored),
            tree_size=events,
            root_hash=_fold(stack).hex(),
            problem=problem,
            checkpoints_checked=checkpoints,
            trusted_keys=tuple(sorted(key_id(k) for k in self.trusted_keys)) if checkpoints else (),
            signed_events=min(signed, events),
            unsigned_events=max(events - signed, 0),
        )

    def _walk(
        self, due: list[Checkpoint], progress: Progress | None, total: int
    ) -> tuple[Problem | None, int, list[bytes]]:
        """Read the log once, in order, up to the first problem: (that problem, the events
        verified before it, the Merkle frontier over them). Checkpoints are taken off `due`
        as their size is reached."""
        # The hot loop: the leaf hash (domain.audit.raw_leaf_hash), the chain
        # (domain.audit.chain_next) and the Merkle frontier (domain.merkle.TreeBuilder)
        # are computed inline here, as each costs a function call per event otherwise.
        sha256 = hashlib.sha256
        stack: list[bytes] = []
        chain = GENESIS
        events = 0
        due_at = due[0].tree_size if due else -1
        report_at = BATCH
        with closing(self.log.joined(FIRST_POSITION - 1)) as rows:
            for position, oid, version, topic, state, index, stored_leaf, stored_chain in rows:
                if index != events or stored_leaf is None or stored_chain is None:
                    if index is None or stored_leaf is None or stored_chain is None:
                        return _inserted(position), events, stack
                    return self._gap(index, events, position), events, stack
                try:
                    encoded_topic = topic.encode()
                    leaf = sha256(
                        b"".join(
                            (
                                _LEAF_START(0, position),
                                oid,
                                _LEAF_MIDDLE(version, len(encoded_topic)),
                                encoded_topic,
                                state,
                            )
                        )
                    ).digest()
                except (AttributeError, TypeError, struct.error):
                    return _changed(position), events, stack  # no recorded event is like it
                if leaf != stored_leaf:
                    event = (position, UUID(bytes=oid), version, topic, state)
                    return self._explain_mismatch(event), events, stack
                chain = sha256(chain + leaf).digest()
                if chain != stored_chain:
                    altered = Problem(
                        kind="chain", position=position, detail="the stored chain value was altered"
                    )
                    return altered, events, stack
                stack.append(leaf)
                events += 1
                completed = events
                while not completed & 1:
                    right = stack.pop()
                    stack.append(sha256(b"\x01" + stack.pop() + right).digest())
                    completed >>= 1
                if events == due_at:
                    while due and due[0].tree_size == events:
                        wrong = self._check_root(due.pop(0), _fold(stack), chain, position)
                        if wrong is not None:
                            return wrong, events, stack
                    due_at = due[0].tree_size if due else -1
                if events == report_at:
                    if progress:
                        progress(events, total)
                    report_at += BATCH
        return None, events, stack

    def _gap(self, index: int, expected: int, position: int) -> Problem:
        """A leaf index out of turn: events before this one were deleted, or this one's
        link was made for another event."""
        if index > expected:
            lost = self.log.link_at_leaf(expected)
            return Problem(
                kind="missing",
                position=lost[0] if lost else position,
                detail="the chain records an event that is no longer stored",
            )
        return Problem(
            kind="inserted",
            position=position,
            detail=f"leaf {index} found where leaf {expected} was due",
        )

    def _explain_mismatch(self, event: EventRow) -> Problem:
        """Changed in place, or an event that belongs at another position?"""
        position, *content = event
        for other in self._nearby_links(position):
            if other[0] != position and event_leaf_hash(other[0], *content) == other[2]:  # type: ignore[arg-type]
                return Problem(
                    kind="reordered",
                    position=position,
                    detail=f"the event stored here was recorded at position {other[0]}",
                )
        return _changed(position)

    def _nearby_links(self, position: int, window: int = 1000) -> list[LinkRow]:
        return self.log.links(max(position - window, 0), 2 * window)

    def _check_root(
        self, checkpoint: Checkpoint, root: bytes, chain: bytes, position: int | None
    ) -> Problem | None:
        if root.hex() != checkpoint.root_hash:
            return Problem(
                kind="root",
                position=position,
                detail=(
                    f"the first {checkpoint.tree_size:,} events do not have the Merkle root "
                    f"signed in checkpoint {checkpoint.sequence}"
                ),
            )
        if chain.hex() != checkpoint.chain_hash:
            return Problem(
                kind="chain",
                position=position,
                detail=f"the chain value differs from checkpoint {checkpoint.sequence}",
            )
        return None

    def _check_signatures(self, checkpoints: Sequence[Checkpoint]) -> Problem | None:
        for c in checkpoints:
            try:
                public_key, signature = bytes.fromhex(c.public_key), bytes.fromhex(c.signature)
            except ValueError:
                return Problem(
                    kind="signature",
                    position=None,
                    detail=f"checkpoint {c.sequence} carries a key or signature that is not hex",
                )
            if key_id(public_key) != c.key_id:
                return Problem(
                    kind="key",
                    position=None,
                    detail=f"checkpoint {c.sequence} names key {c.key_id} but carries another",
                )
            if not self.signatures.verify(public_key, c.message(), signature):
                return Problem(
                    kind="signature",
                    position=None,
                    detail=f"checkpoint {c.sequence} does not carry a valid signature",
                )
            if public_key not in self.trusted_keys:
                return Problem(
                    kind="key",
                    position=None,
                    detail=f"checkpoint {c.sequence} is signed by unknown key {c.key_id}",
                )
        return None


def _inserted(position: int) -> Problem:
    return Problem(
        kind="inserted",
        position=position,
        detail="an event is stored that the chain never recorded",
    )


def _changed(position: int) -> Problem:
    return Problem(
        kind="changed",
        position=position,
        detail="the stored event differs from the one recorded (topic, ids or bytes)",
    )


def _fold(stack: Sequence[bytes]) -> bytes:
    """The Merkle root from the frontier of perfect subtrees (as TreeBuilder.root)."""
    if not stack:
        return EMPTY_ROOT
    result = stack[-1]
    for left in reversed(stack[:-1]):
        result = node_hash(left, result)
    return result
