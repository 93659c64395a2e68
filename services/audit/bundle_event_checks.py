"""Checking a bundle's events, once its manifest, key and checkpoints have been read.

Each line must be a CloudEvent of the format whose fields hash to the leaf the ledger
recorded, in log order. A full bundle's events are the log itself: the Merkle root and
the hash chain are recomputed over them and compared with every signed checkpoint at
its size. Each event of a partial bundle must be inside its selection and lead, by its
line of proofs.jsonl, to the root of the latest checkpoint. The first bad event ends
the check, but the members are still read to their end, for their digests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import msgspec

from domain.audit import GENESIS, Checkpoint, chain_next, event_leaf_hash
from domain.merkle import TreeBuilder, verify_inclusion
from services.audit.auditor import Progress
from services.audit.bundle_event_lines import BundledEvent, EventLineError, parse_event_line
from services.audit.bundle_findings import Findings
from services.audit.bundle_format import (
    BATCH,
    EVENTS,
    MANIFEST,
    PROOFS,
    Manifest,
    ProofLine,
    Selection,
    from_hex,
    from_hex_or_empty,
    rfc3339,
    source_of,
)

_PROOF = msgspec.json.Decoder(ProofLine)


@dataclass
class EventChecks:
    """The checks of a bundle's events, recording problems and counts in `findings`.
    `checkpoints` are those the bundle holds, `good` those of them signed by the key."""

    findings: Findings
    manifest: Manifest
    checkpoints: list[Checkpoint]
    good: list[Checkpoint]
    progress: Progress | None

    @property
    def selection(self) -> Selection:
        return self.manifest.selection

    def problem(self, kind: str, detail: str, position: int | None = None) -> None:
        self.findings.problem(kind, detail, position)

    def lines(self, name: str) -> Iterator[tuple[int, bytes]]:
        return self.findings.lines(name)

    def event(self, number: int, line: bytes, last: int) -> BundledEvent | None:
        """The event on this line, or None once a problem with it is recorded."""
        try:
            event = parse_event_line(line)
        except EventLineError as e:
            self.problem("event", f"line {number} of {EVENTS}: {e.detail}", e.position)
            return None
        if event.position <= last:
            self.problem(
                "order",
                f"line {number} of {EVENTS} holds position {event.position} after position "
                f"{last}: the events are not in log order",
                event.position,
            )
            return None
        leaf = event_leaf_hash(
            event.position, event.aggregate_id, event.version, event.topic, event.data
        )
        if leaf != event.leaf:
            self.problem(
                "leaf",
                "the event's position, type, aggregate id, version or data do not hash to the "
                "leaf the ledger recorded for it",
                event.position,
            )
            return None
        return event

    def check_full(self) -> None:
        builder, chain = TreeBuilder(), GENESIS
        due = sorted(self.good, key=lambda c: c.tree_size)
        self.check_due(due, builder, chain, None)
        total, last, failed = self.manifest.events, 0, False
        for number, line in self.lines(EVENTS):
            if failed:
                continue  # read on, for the member's digest
            event = self.event(number, line, last)
            if event is None:
                failed = True
                continue
            last = event.position
            chain = chain_next(chain, event.leaf)
            builder.append(event.leaf)
            self.check_due(due, builder, chain, event.position)
            if self.progress and builder.size % BATCH == 0:
                self.progress(builder.size, max(total, builder.size))
        self.findings.events = builder.size
        self.findings.tree_size = builder.size
        self.findings.root_hash = builder.root().hex()
        if failed:
            return
        for c in due:
            self.problem(
                "truncated",
                f"checkpoint {c.sequence} signed {c.tree_size:,} events but the bundle holds "
                f"{builder.size:,}",
            )
        latest = self.manifest.checkpoint
        if builder.size > latest.tree_size:
            self.problem(
                "count",
                f"the bundle holds {builder.size:,} events, more than the {latest.tree_size:,} "
                f"that checkpoint {latest.sequence} signed",
            )
        self.check_count(builder.size)

    def check_due(
        self, due: list[Checkpoint], builder: TreeBuilder, chain: bytes, position: int | None
    ) -> None:
        while due and due[0].tree_size == builder.size:
            c = due.pop(0)
            if builder.root().hex() != c.root_hash:
                self.problem(
                    "root",
                    f"the first {c.tree_size:,} events do not have the Merkle root signed in "
                    f"checkpoint {c.sequence}",
                    position,
                )
            elif chain.hex() != c.chain_hash:
                self.problem(
                    "chain",
                    f"the chain over the first {c.tree_size:,} events differs from the one "
                    f"signed in checkpoint {c.sequence}",
                    position,
                )

    def check_partial(self) -> None:
        checkpoint = self.checkpoints[-1]
        if checkpoint not in self.good:
            return  # its key or signature is already reported: nothing to prove against
        root, size = from_hex_or_empty(checkpoint.root_hash), checkpoint.tree_size
        proofs = self.lines(PROOFS)
        total, last, last_index, count, failed = self.manifest.events, 0, -1, 0, False
        for number, line in self.lines(EVENTS):
            proof_line = next(proofs, None)
            if failed:
                continue
            event = self.event(number, line, last)
            if event is None:
                failed = True
                continue
            count, last = count + 1, event.position
            failed = not self.proved(event, number, proof_line, last_index, root, size)
            if not failed:
                assert proof_line is not None
                last_index = _PROOF.decode(proof_line[1]).leaf_index
            if self.progress and count % BATCH == 0:
                self.progress(count, max(total, count))
        extra = sum(1 for _ in proofs)
        self.findings.events = count
        if failed:
            return
        if extra:
            self.problem("proof", f"{PROOFS} holds {extra} line(s) more than {EVENTS}")
        self.check_count(count)

    def proved(
        self,
        event: BundledEvent,
        number: int,
        proof_line: tuple[int, bytes] | None,
        last_index: int,
        root: bytes,
        size: int,
    ) -> bool:
        """Whether the event is selected and its proof leads to the checkpoint's root."""
        selection = self.selection
        if not selection.holds(event.partnership_id, event.time):
            self.problem(
                "selection",
                f"the event ({source_of(event.partnership_id)}, {rfc3339(event.time)}) is "
                f"outside the bundle's selection ({selection.describe()})",
                event.position,
            )
            return False
        if proof_line is None:
            self.problem("proof", f"{PROOFS} has no line {number}", event.position)
            return False
        try:
            proof = _PROOF.decode(proof_line[1])
            path = [from_hex(h) for h in proof.path]
        except ValueError as e:
            self.problem("proof", f"line {number} of {PROOFS} is not a proof ({e})", event.position)
            return False
        if proof.position != event.position or proof.leaf_index <= last_index:
            self.problem(
                "proof",
                f"line {number} of {PROOFS} is for position {proof.position} (leaf "
                f"{proof.leaf_index}), not for this event",
                event.position,
            )
            return False
        if not verify_inclusion(proof.leaf_index, size, event.leaf, path, root):
            self.problem(
                "proof",
                f"its inclusion proof (leaf {proof.leaf_index}) does not lead to the root "
                f"signed in checkpoint {self.checkpoints[-1].sequence} ({size:,} events)",
                event.position,
            )
            return False
        return True

    def check_count(self, count: int) -> None:
        if count != self.manifest.events:
            self.problem(
                "count",
                f"{MANIFEST} counts {self.manifest.events:,} events but {EVENTS} holds {count:,}",
            )
