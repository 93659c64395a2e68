"""Auditor tools over the log: sign checkpoints, prove inclusion, verify everything.

`verify` streams the whole log once, recomputing every leaf from the stored
event, the chain from the leaves, and the Merkle root at every checkpoint from
the recomputed leaves, so memory stays flat however long the log is. It names
the first position where what is stored disagrees with what was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from domain.audit import GENESIS, Checkpoint, chain_next, checkpoint_message, event_leaf_hash
from domain.merkle import EMPTY_ROOT, NodeSource, TreeBuilder, inclusion_proof

EventRow = tuple[int, UUID, int, str, bytes]
LinkRow = tuple[int, int, bytes, bytes]
Progress = Callable[[int, int], None]
BATCH = 20_000


class AuditLog(Protocol):
    def leaf_count(self) -> int: ...

    def link_at_leaf(self, index: int) -> LinkRow | None: ...

    def link_at_position(self, position: int) -> LinkRow | None: ...

    def links(self, after: int, limit: int) -> list[LinkRow]: ...

    def events(self, after: int, limit: int) -> list[EventRow]: ...

    def event_at(self, position: int) -> EventRow | None: ...

    def build_tree(self, size: int) -> None: ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def tree(self) -> NodeSource: ...


class Signing(Protocol):
    key_id: str
    public_key: bytes

    def sign(self, message: bytes) -> bytes: ...


VerifySignature = Callable[[bytes, bytes, bytes], bool]


class AuditFailed(RuntimeError):
    """The log or a checkpoint does not match what was committed (exit 1)."""


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # changed, missing, inserted, reordered, truncated, chain, root, signature, key
    position: int | None
    detail: str


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    events: int
    checkpoints: int
    tree_size: int
    root_hash: str
    problem: Problem | None

    def summary(self) -> str:
        if self.problem is None:
            if self.events == 0:
                return "The ledger is empty: nothing to verify, nothing wrong."
            return (
                f"Verified {self.events:,} events and {self.checkpoints} signed checkpoint(s): "
                f"intact (root {self.root_hash[:16]}…)."
            )
        where = f" at position {self.problem.position}" if self.problem.position else ""
        return f"Tampering found{where}: {self.problem.kind}: {self.problem.detail}"


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
        verify_signature: VerifySignature,
        *,
        trusted_keys: frozenset[str] = frozenset(),
    ) -> None:
        self.log = log
        self.verify_signature = verify_signature
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
            raise AuditFailed("No checkpoint yet: run `inclusion-ledger checkpoint` first.")
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

    def verify(self, progress: Progress | None = None) -> VerifyReport:
        checkpoints = self.log.checkpoints()
        problem = self._check_signatures(checkpoints)
        total = max(self.log.leaf_count(), 1)
        builder = TreeBuilder()
        due = sorted(checkpoints, key=lambda c: c.tree_size)
        chain = GENESIS
        events = 0
        for event, link in _merge(self._events(), self._links()):
            if problem is not None:
                break
            position = (event or link)[0]  # type: ignore[index]
            if link is None:
                problem = Problem(
                    kind="inserted",
                    position=position,
                    detail="an event is stored that the chain never recorded",
                )
                break
            if event is None:
                problem = Problem(
                    kind="missing",
                    position=position,
                    detail="the chain records an event that is no longer stored",
                )
                break
            _, index, stored_leaf, stored_chain = link
            leaf = event_leaf_hash(*event)
            if index != events:
                problem = Problem(
                    kind="missing" if index > events else "inserted",
                    position=position,
                    detail=f"leaf {index} found where leaf {events} was due",
                )
                break
            if leaf != stored_leaf:
                problem = self._explain_mismatch(event, stored_leaf)
                break
            chain = chain_next(chain, leaf)
            if chain != stored_chain:
                problem = Problem(
                    kind="chain", position=position, detail="the stored chain value was altered"
                )
                break
            builder.append(leaf)
            events += 1
            while due and due[0].tree_size == builder.size:
                problem = problem or self._check_root(due.pop(0), builder.root(), chain, position)
            if progress and events % BATCH == 0:
                progress(events, total)
        if problem is None:
            while due and due[0].tree_size <= builder.size:
                problem = self._check_root(due.pop(0), builder.root(), chain, None)
        if problem is None and due:
            first = due[0]
            problem = Problem(
                kind="truncated",
                position=None,
                detail=(
                    f"checkpoint {first.sequence} signed {first.tree_size:,} events but the log "
                    f"holds {builder.size:,}"
                ),
            )
        if progress:
            progress(events, total)
        return VerifyReport(
            ok=problem is None,
            events=events,
            checkpoints=len(checkpoints),
            tree_size=builder.size,
            root_hash=builder.root().hex(),
            problem=problem,
        )

    def _events(self) -> Iterator[EventRow]:
        after = 0
        while rows := self.log.events(after, BATCH):
            yield from rows
            after = rows[-1][0]

    def _links(self) -> Iterator[LinkRow]:
        after = 0
        while rows := self.log.links(after, BATCH):
            yield from rows
            after = rows[-1][0]

    def _explain_mismatch(self, event: EventRow, stored_leaf: bytes) -> Problem:
        """Changed in place, or an event that belongs at another position?"""
        position, *content = event
        for other in self._nearby_links(position):
            if other[0] != position and event_leaf_hash(other[0], *content) == other[2]:  # type: ignore[arg-type]
                return Problem(
                    kind="reordered",
                    position=position,
                    detail=f"the event stored here was recorded at position {other[0]}",
                )
        return Problem(
            kind="changed",
            position=position,
            detail="the stored event differs from the one recorded (topic, ids or bytes)",
        )

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
            if not self.verify_signature(
                bytes.fromhex(c.public_key), c.message(), bytes.fromhex(c.signature)
            ):
                return Problem(
                    kind="signature",
                    position=None,
                    detail=f"checkpoint {c.sequence} does not carry a valid signature",
                )
            if self.trusted_keys and c.key_id not in self.trusted_keys:
                return Problem(
                    kind="key",
                    position=None,
                    detail=f"checkpoint {c.sequence} is signed by unknown key {c.key_id}",
                )
        return None


def _merge(
    events: Iterator[EventRow], links: Iterator[LinkRow]
) -> Iterator[tuple[EventRow | None, LinkRow | None]]:
    """Pair events and chain links by position; either side may lack one."""
    event = next(events, None)
    link = next(links, None)
    while event is not None or link is not None:
        if link is None or (event is not None and event[0] < link[0]):
            yield event, None
            event = next(events, None)
        elif event is None or link[0] < event[0]:
            yield None, link
            link = next(links, None)
        else:
            yield event, link
            event, link = next(events, None), next(links, None)
