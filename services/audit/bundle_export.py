"""Writing an audit bundle: the log up to its latest checkpoint, checked as it is read.

Export streams the log once: every leaf is recomputed from its stored event and
checked against its chain link, and the Merkle root and chain against every
checkpoint at its size, so a ledger that fails verification raises AuditFailed and no
bundle of it is ever completed. Each aggregate's partnership is read from the read
models a slice of events at a time, so memory stays bounded however long the log.
The members are written as services/audit/bundle_format.py describes them.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from itertools import islice, pairwise
from typing import IO, Final, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent

from domain.audit import GENESIS, Checkpoint, chain_next, event_leaf_hash
from domain.base import LedgerEvent
from domain.merkle import (
    NodeSource,
    Range,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
)
from projections.store import ReadModelStore
from services.audit.auditor import AuditFailed, AuditLog, EventRow, Progress, Signing
from services.audit.bundle_event_lines import event_line
from services.audit.bundle_format import (
    BATCH,
    CHECKPOINTS,
    ENCODER,
    EVENTS,
    FORMAT,
    MANIFEST,
    PROOFS,
    PUBLIC_KEY,
    SIGNATURE,
    VERSION,
    Checkpoints,
    Consistency,
    Manifest,
    ManifestSignature,
    MemberDigest,
    ProofLine,
    PublicKey,
    Selection,
    hexes,
    pretty_json,
)

OWNER_SLICE: Final = 2000
"""Events whose aggregates' partnerships an export looks up together."""
OWNERS_KEPT: Final = 20_000
"""Aggregates' partnerships an export keeps between slices."""
T = TypeVar("T")

EventTime = Callable[[EventRow], datetime]


class ExportRefused(ValueError):
    """The ledger cannot be exported as asked (exit 2), e.g. it has no checkpoint yet."""


class ExportSummary(msgspec.Struct, frozen=True, kw_only=True):
    selection: Selection
    events: int
    checkpoint: int
    tree_size: int
    root_hash: str
    key_id: str
    later_events: int
    size_bytes: int


PartnershipsOf = Callable[[Collection[UUID]], Mapping[UUID, UUID]]
"""The partnership of each of some aggregates, where known."""


def aggregate_partnerships(read_store: ReadModelStore) -> PartnershipsOf:
    """Aggregates' partnerships, from the read models."""
    return read_store.scopes_of


class _Owners:
    """Aggregates' partnerships for one slice of events at a time, with the most recently
    used kept for the next slices: memory stays bounded however long the log."""

    def __init__(self, lookup: PartnershipsOf, keep: int = OWNERS_KEPT) -> None:
        self.lookup = lookup
        self.keep = keep
        self._known: OrderedDict[UUID, UUID | None] = OrderedDict()

    def of(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, UUID | None]:
        wanted = set(aggregate_ids)
        missing = wanted.difference(self._known)
        if missing:
            found = self.lookup(missing)
            self._known.update((i, found.get(i)) for i in missing)
        owners = {}
        for i in wanted:
            self._known.move_to_end(i)
            owners[i] = self._known[i]
        while len(self._known) > self.keep:
            self._known.popitem(last=False)
        return owners


def stored_event_time(mapper: Mapper[UUID]) -> EventTime:
    """The event's own time (`timestamp`), read with the ledger's own mapper."""

    def event_time(row: EventRow) -> datetime:
        _, aggregate_id, version, topic, state = row
        event = mapper.to_domain_event(
            StoredEvent(
                originator_id=aggregate_id,
                originator_version=version,
                topic=topic,
                state=state,
            )
        )
        if not isinstance(event, LedgerEvent):
            raise ValueError(f"{topic} is not a ledger event")
        return event.timestamp

    return event_time


def export_bundle(
    out: IO[bytes],
    log: AuditLog,
    signer: Signing,
    *,
    selection: Selection,
    ledger: str,
    created_at: datetime,
    event_time: EventTime,
    partnerships: PartnershipsOf,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write a bundle of the log up to its latest checkpoint to `out` (binary, seekable).

    Every leaf up to the checkpoint is recomputed from its stored event and
    checked against the chain and against every checkpoint's root and chain
    value before it is written, so a ledger that fails verification is never
    exported: that raises AuditFailed. `partnerships` looks up aggregates'
    partnerships, a slice of events at a time (aggregates it does not know are
    exported as the ledger's).
    """
    checkpoints = log.checkpoints()
    if not checkpoints:
        raise ExportRefused(
            "No checkpoint yet: run `inclusion-ledger checkpoint` first, then export."
        )
    latest = checkpoints[-1]
    if signer.public_key.hex() != latest.public_key:
        raise ExportRefused(
            f"Checkpoint {latest.sequence} was signed by key {latest.key_id}, but the ledger's "
            f"signing key is {signer.key_id}: set LEDGER_SIGNING_KEY_FILE to the key that "
            "signs this ledger's checkpoints."
        )
    size = latest.tree_size
    stamp = created_at.astimezone(UTC)
    digests: dict[str, MemberDigest] = {}
    proofs: list[tuple[int, int]] = []
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with _HashingWriter(zf.open(_info(EVENTS, stamp), "w", force_zip64=True)) as events:
            owners = _Owners(partnerships)
            for signed in _slices(_signed_leaves(log, checkpoints, progress), OWNER_SLICE):
                owner_of = owners.of(row[1] for row, _, _ in signed)
                for row, index, leaf in signed:
                    owner = owner_of[row[1]]
                    if selection.partnership_id is not None and owner != selection.partnership_id:
                        continue
                    when = event_time(row)
                    if not selection.holds(owner, when):
                        continue
                    events.write(event_line(row, leaf, when, owner) + b"\n")
                    if selection.kind == "partial":
                        proofs.append((row[0], index))
                    count += 1
        digests[EVENTS] = events.digest()
        log.build_tree(size)  # proofs read the stored subtrees
        if selection.kind == "partial":
            nodes = _CachedNodes(log.tree())
            with _HashingWriter(zf.open(_info(PROOFS, stamp), "w", force_zip64=True)) as f:
                for position, index in proofs:
                    path = inclusion_proof(index, size, nodes)
                    line = ProofLine(position=position, leaf_index=index, path=hexes(path))
                    f.write(ENCODER.encode(line) + b"\n")
            digests[PROOFS] = f.digest()
            kept = Checkpoints(checkpoints=[latest], consistency=[])
        else:
            kept = Checkpoints(
                checkpoints=checkpoints, consistency=_consistency(checkpoints, log.tree())
            )
        public = PublicKey(
            algorithm="Ed25519", key_id=signer.key_id, public_key=signer.public_key.hex()
        )
        for name, value in ((CHECKPOINTS, kept), (PUBLIC_KEY, public)):
            data = pretty_json(value)
            zf.writestr(_info(name, stamp), data)
            digests[name] = MemberDigest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        manifest = pretty_json(
            Manifest(
                format=FORMAT,
                version=VERSION,
                created_at=stamp,
                ledger=ledger,
                selection=selection,
                events=count,
                checkpoint=latest,
                key_id=signer.key_id,
                members=digests,
            )
        )
        zf.writestr(_info(MANIFEST, stamp), manifest)
        signature = ManifestSignature(key_id=signer.key_id, signature=signer.sign(manifest).hex())
        zf.writestr(_info(SIGNATURE, stamp), pretty_json(signature))
    return ExportSummary(
        selection=selection,
        events=count,
        checkpoint=latest.sequence,
        tree_size=size,
        root_hash=latest.root_hash,
        key_id=signer.key_id,
        later_events=max(log.leaf_count() - size, 0),
        size_bytes=out.tell(),
    )


def _slices(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _signed_leaves(
    log: AuditLog, checkpoints: Sequence[Checkpoint], progress: Progress | None
) -> Iterator[tuple[EventRow, int, bytes]]:
    """(event, leaf index, leaf) for every leaf the latest checkpoint covers, each checked
    against its chain link, and the Merkle root and chain against every checkpoint."""
    size = checkpoints[-1].tree_size
    due = sorted(checkpoints, key=lambda c: c.tree_size)
    builder = TreeBuilder()
    chain = GENESIS

    def refuse(position: int | None, detail: str) -> AuditFailed:
        where = f" at position {position}" if position else ""
        return AuditFailed(
            f"The ledger fails verification{where}: {detail}. Nothing was exported; run "
            "`inclusion-ledger verify`."
        )

    def check_due(position: int | None) -> None:
        while due and due[0].tree_size == builder.size:
            c = due.pop(0)
            if builder.root().hex() != c.root_hash or chain.hex() != c.chain_hash:
                raise refuse(position, f"the log does not match checkpoint {c.sequence}")

    check_due(None)
    if size:
        with closing(log.joined(0)) as rows:
            for position, oid, version, topic, state, index, stored_leaf, stored_chain in rows:
                if index is None:
                    raise refuse(position, "an event is stored that the chain never recorded")
                if index != builder.size:
                    raise refuse(position, f"leaf {index} found where leaf {builder.size} was due")
                row = (position, UUID(bytes=oid), version, topic, state)
                leaf = event_leaf_hash(*row)
                if leaf != stored_leaf:
                    raise refuse(position, "the stored event differs from the one recorded")
                chain = chain_next(chain, leaf)
                if chain != stored_chain:
                    raise refuse(position, "the stored chain value was altered")
                builder.append(leaf)
                yield row, index, leaf
                check_due(position)
                if progress and builder.size % BATCH == 0:
                    progress(builder.size, size)
                if builder.size == size:
                    break
    if builder.size < size or due:
        raise refuse(
            None,
            f"checkpoint {checkpoints[-1].sequence} signed {size:,} events; the log holds "
            f"{builder.size:,} in order",
        )
    if progress:
        progress(builder.size, size)


def _consistency(checkpoints: Sequence[Checkpoint], nodes: NodeSource) -> list[Consistency]:
    cached = _CachedNodes(nodes)
    return [
        Consistency(
            from_sequence=old.sequence,
            to_sequence=new.sequence,
            old_size=old.tree_size,
            new_size=new.tree_size,
            proof=hexes(consistency_proof(old.tree_size, new.tree_size, cached)),
        )
        for old, new in pairwise(checkpoints)
    ]


class _CachedNodes(NodeSource):
    """A NodeSource remembering the subtrees it has read: the proofs of many leaves of one
    tree share their upper nodes."""

    def __init__(self, nodes: NodeSource, limit: int = 1 << 16) -> None:
        self.nodes = nodes
        self.limit = limit
        self.known: dict[Range, bytes] = {}

    def subtree(self, start: int, end: int) -> bytes:
        return self.subtrees([(start, end)])[0]

    def subtrees(self, ranges: Sequence[Range]) -> list[bytes]:
        missing = [r for r in dict.fromkeys(ranges) if r not in self.known]
        read = dict(zip(missing, self.nodes.subtrees(missing), strict=True)) if missing else {}
        for r, value in read.items():
            if len(self.known) < self.limit:
                self.known[r] = value
        return [read[r] if r in read else self.known[r] for r in ranges]


class _HashingWriter:
    """A member being written, with the SHA-256 and size of what went into it. Writes are
    gathered into chunks: the archive compresses a chunk at a time, not a line at a time."""

    def __init__(self, target: IO[bytes], chunk: int = 1 << 18) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0
        self.chunk = chunk
        self._pending: list[bytes] = []
        self._pending_size = 0

    def __enter__(self) -> _HashingWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self._flush()
        self.target.close()

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= self.chunk:
            self._flush()

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        self.target.write(data)
        self.sha.update(data)
        self.size += len(data)

    def digest(self) -> MemberDigest:
        return MemberDigest(sha256=self.sha.hexdigest(), size=self.size)


def _info(name: str, stamp: datetime) -> zipfile.ZipInfo:
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info
