"""Audit bundles: the signed log, or part of it, in one file an auditor checks offline.

An auditor who holds a bundle needs no database and no network: every event
carries the exact bytes the ledger stored, so each leaf of the Merkle tree is
recomputed from the bundle alone and checked against the roots of the ledger's
signed checkpoints, as Certificate Transparency logs are checked.

Bundle format, version 1
========================

One file: a ZIP archive (deflate), written with its members always in this
order, each stamped with the bundle's `created_at` time (UTC), so the same
export at the same moment gives the same bytes::

    events.jsonl      the selected events, one CloudEvent per line, in log order
    proofs.jsonl      partial bundles only: an inclusion proof per event
    checkpoints.json  the signed checkpoints (and consistency proofs)
    public_key.json   the ledger's Ed25519 checkpoint key
    manifest.json     what the bundle holds, with the SHA-256 of each member above
    signature.json    the ledger key's signature over the exact bytes of manifest.json

``events.jsonl``
    One CloudEvents 1.0 JSON object per line (structured mode), in log order::

        specversion      "1.0"
        id               "<aggregate id>:<aggregate version>"
        source           "urn:inclusion-ledger:<partnership id>", or
                         "urn:inclusion-ledger:ledger" for an event the read models
                         place in no partnership
        type             the stored topic, e.g. "DecisionTaken"
        datacontenttype  "application/json"
        subject          the aggregate id
        time             the event's own time (its `timestamp`), RFC 3339, UTC
        data_base64      the event's stored bytes exactly as recorded (base64)
        ledgerposition   the event's log position (integer)
        ledgerversion    the aggregate version (integer)
        ledgerleaf       the leaf hash the ledger recorded for the event (hex)

    The leaf an event commits to is `domain.audit.event_leaf_hash(ledgerposition,
    subject, ledgerversion, type, data)`: every field of it is in the line. The
    stored bytes are what the leaf commits to, so they are exported as stored
    (personal data included: the ledger does not encrypt it yet).

``proofs.jsonl`` (partial bundles)
    One JSON object per line, line N for the event on line N of events.jsonl:
    ``{"position": P, "leaf_index": I, "path": ["<hex>", ...]}``, the RFC 9162
    audit path of leaf I in the tree of the checkpoint's size.

``checkpoints.json``
    ``{"checkpoints": [...], "consistency": [...]}``. Each checkpoint is as the
    ledger signed it (sequence, tree_size, root_hash, chain_hash, signed_at,
    key_id, public_key, signature; `domain.audit.checkpoint_message` gives the
    signed bytes). A full bundle holds every checkpoint, and a consistency proof
    (RFC 9162) between each consecutive pair: ``{"from_sequence", "to_sequence",
    "old_size", "new_size", "proof": ["<hex>", ...]}``. A partial bundle holds
    the latest checkpoint only, and no consistency proofs.

``public_key.json``
    ``{"algorithm": "Ed25519", "key_id": "<16 hex>", "public_key": "<64 hex>"}``:
    the raw public key and its key id (the start of its SHA-256).

``manifest.json``
    ``format`` ("inclusion-ledger-audit-bundle"), ``version`` (1), ``created_at``,
    ``ledger`` (the source ledger's label), ``selection`` (``kind`` "full" or
    "partial", with ``partnership_id``, ``from`` and ``to``: dates, inclusive, on
    the events' UTC dates; null when not chosen), ``events`` (how many),
    ``checkpoint`` (the one the bundle is checked against: the latest),
    ``key_id``, and ``members``: for every member above it, ``{"sha256", "size"}``.

``signature.json``
    ``{"key_id": "<16 hex>", "signature": "<hex>"}``: Ed25519 over the exact
    bytes of manifest.json by the key in public_key.json, so no byte of any
    member can change unnoticed, not even the parts no leaf commits to. No
    digest covers this member, so it must be exactly as written: JSON indented
    by two spaces, ending in a newline.

Hashes, keys and signatures are lower-case hex throughout; JSON members are
UTF-8.

A full bundle holds every event up to the latest checkpoint's size, so the
verifier recomputes the Merkle root over all of them in order (leaf index =
line order) and the hash chain, and compares both with every checkpoint at its
size. A partial bundle (one partnership, a date range, or both) holds only the
selected events, each with its inclusion proof against the latest checkpoint,
so it verifies against the full log's signed root without the other events.
Which partnership an event belongs to is the ledger's statement (from its read
models), covered by the manifest's signature but not by any leaf; and a partial
bundle proves that each event it holds is in the signed log, not that no event
was left out: only a full bundle shows the whole log.

Trust comes from the key: without ``--trusted-key`` the verifier checks the
bundle against the key the bundle itself names, and says so; an auditor who
knows the ledger's public key pins it, and any checkpoint or manifest signed by
another key is then reported as signed by an unknown key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice, pairwise
from typing import IO, Final, Literal, NamedTuple, TypeVar
from uuid import UUID

import msgspec
from cloudevents.http import from_json
from eventsourcing.persistence import Mapper, StoredEvent

from domain.audit import GENESIS, Checkpoint, chain_next, event_leaf_hash
from domain.base import LedgerEvent
from domain.merkle import (
    HASH_SIZE,
    NodeSource,
    Range,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from projections.store import ReadModelStore
from services.audit.auditor import AuditFailed, AuditLog, EventRow, Problem, Progress, Signing

__all__ = [
    "FORMAT",
    "VERSION",
    "BundleReport",
    "ExportRefused",
    "ExportSummary",
    "Manifest",
    "NotABundle",
    "Selection",
    "aggregate_partnerships",
    "export_bundle",
    "parse_event_line",
    "parse_public_key",
    "stored_event_time",
    "verify_bundle",
]

FORMAT: Final = "inclusion-ledger-audit-bundle"
VERSION: Final = 1

EVENTS: Final = "events.jsonl"
PROOFS: Final = "proofs.jsonl"
CHECKPOINTS: Final = "checkpoints.json"
PUBLIC_KEY: Final = "public_key.json"
MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "signature.json"

SOURCE_PREFIX: Final = "urn:inclusion-ledger:"
WHOLE_LEDGER: Final = "ledger"
CONTENT_TYPE: Final = "application/json"
BATCH: Final = 5000
SMALL_MEMBER_LIMIT: Final = 16 * 1024 * 1024  # manifest, key and signature are tiny
OWNER_SLICE: Final = 2000
"""Events whose aggregates' partnerships an export looks up together."""
OWNERS_KEPT: Final = 20_000
"""Aggregates' partnerships an export keeps between slices."""
T = TypeVar("T")
# RFC 8410: the DER SubjectPublicKeyInfo of an Ed25519 key is this prefix and the raw key.
_ED25519_SPKI_PREFIX: Final = bytes.fromhex("302a300506032b6570032100")

VerifySignature = Callable[[bytes, bytes, bytes], bool]
KeyId = Callable[[bytes], str]
EventTime = Callable[[EventRow], datetime]


class NotABundle(ValueError):
    """The file is not an audit bundle this version reads (exit 2)."""


class ExportRefused(ValueError):
    """The ledger cannot be exported as asked (exit 2), e.g. it has no checkpoint yet."""


# The members' shapes


class Selection(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["full", "partial"]
    partnership_id: UUID | None = None
    from_date: date | None = msgspec.field(default=None, name="from")
    to_date: date | None = msgspec.field(default=None, name="to")

    @classmethod
    def of(
        cls, partnership_id: UUID | None, from_date: date | None, to_date: date | None
    ) -> Selection:
        partial = partnership_id is not None or from_date is not None or to_date is not None
        return cls(
            kind="partial" if partial else "full",
            partnership_id=partnership_id,
            from_date=from_date,
            to_date=to_date,
        )

    def describe(self) -> str:
        if self.kind == "full":
            return "the whole log"
        parts = []
        if self.partnership_id is not None:
            parts.append(f"partnership {self.partnership_id}")
        if self.from_date is not None or self.to_date is not None:
            parts.append(f"{self.from_date or 'the start'} to {self.to_date or 'the end'}")
        return ", ".join(parts)

    def holds(self, partnership_id: UUID | None, when: datetime) -> bool:
        if self.partnership_id is not None and partnership_id != self.partnership_id:
            return False
        day = when.astimezone(UTC).date()
        if self.from_date is not None and day < self.from_date:
            return False
        return self.to_date is None or day <= self.to_date


class MemberDigest(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    size: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str
    version: int
    created_at: datetime
    ledger: str
    selection: Selection
    events: int
    checkpoint: Checkpoint
    key_id: str
    members: dict[str, MemberDigest]


class PublicKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    algorithm: Literal["Ed25519"]
    key_id: str
    public_key: str


class ManifestSignature(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key_id: str
    signature: str


class Consistency(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    from_sequence: int
    to_sequence: int
    old_size: int
    new_size: int
    proof: list[str]


class Checkpoints(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    checkpoints: list[Checkpoint]
    consistency: list[Consistency]


class ProofLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    position: int
    leaf_index: int
    path: list[str]


class BundledEvent(NamedTuple):
    """One line of events.jsonl, read and checked as a CloudEvent."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    data: bytes
    time: datetime
    partnership_id: UUID | None
    leaf: bytes


class _Stamp(msgspec.Struct):
    timestamp: datetime


_ENCODER = msgspec.json.Encoder()
_STAMP = msgspec.json.Decoder(_Stamp)
_PROOF = msgspec.json.Decoder(ProofLine)
_CHECKPOINTS = msgspec.json.Decoder(Checkpoints)
_ATTRIBUTE_NAME = re.compile(r"[a-z0-9]{1,20}")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_REQUIRED = ("specversion", "id", "source", "type", "datacontenttype", "subject", "time")
_EXTENSIONS = ("ledgerposition", "ledgerversion", "ledgerleaf")


def _rfc3339(when: datetime) -> str:
    return str(msgspec.json.decode(_ENCODER.encode(when.astimezone(UTC))))


def _source(partnership_id: UUID | None) -> str:
    return SOURCE_PREFIX + (str(partnership_id) if partnership_id else WHOLE_LEDGER)


# One event as a CloudEvent, both ways


class _EventLine(msgspec.Struct, frozen=True):
    """A line of events.jsonl as written: a CloudEvent in structured mode, its attributes
    in the CloudEvents SDK's order, the stored bytes base64-encoded in `data_base64`."""

    specversion: str
    id: str
    source: str
    type: str
    datacontenttype: str
    subject: str
    time: datetime
    data_base64: bytes
    ledgerposition: int
    ledgerversion: int
    ledgerleaf: str


_EVENT_LINE = msgspec.json.Decoder(_EventLine)


def event_line(row: EventRow, leaf: bytes, when: datetime, partnership_id: UUID | None) -> bytes:
    """The events.jsonl line of one stored event, read back before it is used. Written
    with msgspec; the CloudEvents SDK reads it as the same event (`parse_event_line`)."""
    position, aggregate_id, version, topic, state = row
    subject = str(aggregate_id)
    line = _ENCODER.encode(
        _EventLine(
            specversion="1.0",
            id=f"{subject}:{version}",
            source=_source(partnership_id),
            type=topic,
            datacontenttype=CONTENT_TYPE,
            subject=subject,
            time=when.astimezone(UTC),
            data_base64=state,
            ledgerposition=position,
            ledgerversion=version,
            ledgerleaf=leaf.hex(),
        )
    )
    back = _EVENT_LINE.decode(line)
    if (back.ledgerposition, back.subject, back.ledgerversion, back.type, back.data_base64) != (
        position,
        subject,
        version,
        topic,
        state,
    ):
        raise RuntimeError(f"the CloudEvent of position {position} does not read back as written")
    return line


class EventLineError(ValueError):
    """A line of events.jsonl is not a CloudEvent of this format."""

    def __init__(self, detail: str, position: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.position = position


def parse_event_line(line: bytes) -> BundledEvent:
    """Read one events.jsonl line with the CloudEvents SDK and check it against the format.

    Raises EventLineError naming what is wrong (and the position, once known).
    """
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError) as e:
        raise EventLineError(f"not JSON ({e})") from None
    if not isinstance(raw, dict):
        raise EventLineError("not a JSON object")
    position = raw.get("ledgerposition")
    at = position if isinstance(position, int) and not isinstance(position, bool) else None

    def bad(detail: str) -> EventLineError:
        return EventLineError(detail, at)

    missing = [name for name in (*_REQUIRED, *_EXTENSIONS, "data_base64") if name not in raw]
    if missing:
        raise bad(f"lacks {', '.join(missing)}")
    if "data" in raw:
        raise bad("carries `data`; the stored bytes belong in `data_base64`")
    try:
        event = from_json(line, data_unmarshaller=_raw_bytes)
    except Exception as e:  # the SDK's own errors, or anything odd input makes it raise
        raise bad(f"not a valid CloudEvent ({type(e).__name__}: {e})") from None
    attributes = event.get_attributes()
    if "extensions" in raw or any(name not in attributes for name in (*_REQUIRED, *_EXTENSIONS)):
        raise bad("the CloudEvents SDK does not read back its attributes")
    for name in raw:
        if name != "data_base64" and not _ATTRIBUTE_NAME.fullmatch(name):
            raise bad(f"attribute name {name!r} is not lower-case letters and digits")
    if attributes["specversion"] != "1.0":
        raise bad(f"specversion is {attributes['specversion']!r}, not '1.0'")
    if attributes["datacontenttype"] != CONTENT_TYPE:
        raise bad(f"datacontenttype is not {CONTENT_TYPE}")
    if at is None or at < 1:
        raise bad("ledgerposition is not a positive whole number")
    version = attributes["ledgerversion"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad("ledgerversion is not a positive whole number")
    topic, subject = attributes["type"], attributes["subject"]
    if not isinstance(topic, str) or not topic:
        raise bad("type is empty")
    try:
        aggregate_id = UUID(str(subject))
    except ValueError:
        raise bad(f"subject {subject!r} is not an aggregate id") from None
    if str(aggregate_id) != subject:
        raise bad(f"subject {subject!r} is not an aggregate id in canonical form")
    if attributes["id"] != f"{aggregate_id}:{version}":
        raise bad(f"id {attributes['id']!r} is not <subject>:<ledgerversion>")
    partnership_id = _partnership_of_source(attributes["source"], bad)
    leaf = _hex_hash(attributes["ledgerleaf"], "ledgerleaf", bad)
    encoded = raw["data_base64"]
    try:
        if not isinstance(encoded, str):
            raise ValueError("not a string")
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise bad("data_base64 is not valid base64") from None
    if data != event.get_data():
        raise bad("data_base64 reads differently from what the CloudEvents SDK reads")
    when = _time(attributes["time"], bad)
    try:
        stamp = _STAMP.decode(data).timestamp
    except (ValueError, RecursionError):
        raise bad("its data is not a stored event with a timestamp") from None
    if stamp != when:
        raise bad(f"time {attributes['time']} is not the event's own time {_rfc3339(stamp)}")
    return BundledEvent(at, aggregate_id, version, topic, data, when, partnership_id, leaf)


def _raw_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def _partnership_of_source(source: object, bad: Callable[[str], EventLineError]) -> UUID | None:
    if not isinstance(source, str) or not source.startswith(SOURCE_PREFIX):
        raise bad(f"source {source!r} is not {SOURCE_PREFIX}<partnership id or 'ledger'>")
    name = source.removeprefix(SOURCE_PREFIX)
    if name == WHOLE_LEDGER:
        return None
    try:
        partnership_id = UUID(name)
    except ValueError:
        raise bad(f"source {source!r} does not name a partnership") from None
    if str(partnership_id) != name:
        raise bad(f"source {source!r} does not name a partnership in canonical form")
    return partnership_id


def _hex_hash(value: object, what: str, bad: Callable[[str], EventLineError]) -> bytes:
    try:
        digest = _hex(value)
    except ValueError:
        raise bad(f"{what} is not lower-case hex") from None
    if len(digest) != HASH_SIZE:
        raise bad(f"{what} is not {HASH_SIZE} bytes")
    return digest


def _time(value: object, bad: Callable[[str], EventLineError]) -> datetime:
    try:
        if not isinstance(value, str) or "T" not in value.upper():
            raise ValueError(value)
        when = datetime.fromisoformat(value)
    except ValueError:
        raise bad(f"time {value!r} is not an RFC 3339 date and time") from None
    if when.tzinfo is None:
        raise bad(f"time {value!r} has no offset from UTC")
    return when


# Export


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
                    line = ProofLine(position=position, leaf_index=index, path=_hexes(path))
                    f.write(_ENCODER.encode(line) + b"\n")
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
            data = _pretty(value)
            zf.writestr(_info(name, stamp), data)
            digests[name] = MemberDigest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        manifest = _pretty(
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
        zf.writestr(_info(SIGNATURE, stamp), _pretty(signature))
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
            proof=_hexes(consistency_proof(old.tree_size, new.tree_size, cached)),
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


def _pretty(value: object) -> bytes:
    return msgspec.json.format(_ENCODER.encode(value), indent=2) + b"\n"


def _hexes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


# Verification


def parse_public_key(text: str) -> bytes:
    """A raw Ed25519 public key from 64 hex digits, a PEM public key, or JSON holding
    `public_key` (such as a bundle's public_key.json); `#` comment lines are skipped, as
    in what `inclusion-ledger keys public` prints. Raises ValueError."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = text.strip()
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    if text.startswith("{"):
        try:
            value = json.loads(text).get("public_key")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, str) and _HEX_KEY.fullmatch(value):
            return bytes.fromhex(value)
        raise ValueError("the JSON holds no `public_key` of 64 hex digits")
    if text.startswith("-----BEGIN PUBLIC KEY-----"):
        body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        try:
            der = base64.b64decode(body, validate=True)
        except ValueError:
            raise ValueError("the PEM block is not base64") from None
        if len(der) == len(_ED25519_SPKI_PREFIX) + 32 and der.startswith(_ED25519_SPKI_PREFIX):
            return der[len(_ED25519_SPKI_PREFIX) :]
        raise ValueError("the PEM block is not an Ed25519 public key")
    raise ValueError(
        "give the raw Ed25519 public key as 64 hex digits, or a file holding it "
        "(hex, PEM, or a bundle's public_key.json)"
    )


# Problems are reported most telling first: a damaged archive, then the keys and
# checkpoint signatures, then the events (naming the first bad position), the roots and
# proofs, the manifest's own signature, and last the member digests.
_RANK: Final = {
    "damaged": 0,
    "key": 1,
    "signature": 1,
    "event": 2,
    "leaf": 2,
    "order": 2,
    "proof": 2,
    "selection": 2,
    "root": 3,
    "chain": 3,
    "consistency": 3,
    "truncated": 3,
    "count": 3,
    "checkpoints": 3,
    "manifest": 4,
    "member": 5,
}


class BundleReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    kind: str
    selection: Selection | None
    events: int
    checkpoints: int
    checkpoint: int | None
    tree_size: int
    root_hash: str
    key_id: str
    trusted_key: bool
    problems: list[Problem]

    @property
    def problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        first = self.problem
        if first is not None:
            where = f" at position {first.position}" if first.position else ""
            more = len(self.problems) - 1
            also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
            return f"Bundle check failed{where}: {first.kind}: {first.detail}{also}"
        key = (
            f"trusted key {self.key_id}"
            if self.trusted_key
            else f"key {self.key_id} (named by the bundle itself; pin it with --trusted-key)"
        )
        if self.kind == "full":
            return (
                f"Verified the full bundle: {self.events:,} events and {self.checkpoints} "
                f"checkpoint(s) signed by {key}: intact (root {self.root_hash[:16]}…)."
            )
        what = self.selection.describe() if self.selection else "a selection"
        return (
            f"Verified the partial bundle ({what}): {self.events:,} events proved against "
            f"checkpoint {self.checkpoint} ({self.tree_size:,} events, root "
            f"{self.root_hash[:16]}…) signed by {key}: intact."
        )


def verify_bundle(
    source: IO[bytes],
    *,
    verify_signature: VerifySignature,
    key_id: KeyId,
    trusted_key: bytes | None = None,
    progress: Progress | None = None,
) -> BundleReport:
    """Check a bundle read from `source` (binary, seekable), with no database.

    Raises NotABundle for a file that is not a bundle (not a ZIP archive, a ZIP
    without the bundle's members, or a signed manifest of another format or a
    newer version); every other shortcoming is a problem in the report.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise NotABundle(f"not an audit bundle: not a readable ZIP archive ({e})") from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names or EVENTS not in names:
            raise NotABundle(f"not an audit bundle: it holds no {MANIFEST} and {EVENTS}")
        check = _Verification(archive, verify_signature, key_id, trusted_key, progress)
        check.run()
        return check.report()


class _Stop(Exception):
    """A member is too broken to check any further."""


class _Damage:
    """Turns a member the archive cannot read back intact into a problem, then stops."""

    def __init__(self, check: _Verification, name: str) -> None:
        self.check = check
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        if isinstance(
            error,
            zipfile.BadZipFile
            | zlib.error
            | EOFError
            | NotImplementedError
            | RuntimeError
            | ValueError
            | OSError,
        ):
            self.check.problem("damaged", f"{self.name} is damaged: {error}")
            raise _Stop from None


@dataclass
class _Verification:
    archive: zipfile.ZipFile
    verify_signature: VerifySignature
    key_id: KeyId
    trusted_key: bytes | None
    progress: Progress | None
    problems: list[tuple[int, int, Problem]] = field(default_factory=list)
    digests: dict[str, MemberDigest] = field(default_factory=dict)
    manifest: Manifest | None = None
    key: bytes = b""
    bundle_key_id: str = ""
    checkpoints: list[Checkpoint] = field(default_factory=list)
    good: list[Checkpoint] = field(default_factory=list)
    events: int = 0
    tree_size: int = 0
    root_hash: str = ""

    def problem(self, kind: str, detail: str, position: int | None = None) -> None:
        problem = Problem(kind=kind, position=position, detail=detail)
        self.problems.append((_RANK[kind], len(self.problems), problem))

    def report(self) -> BundleReport:
        problems = [p for _, _, p in sorted(self.problems, key=lambda t: (t[0], t[1]))]
        m = self.manifest
        return BundleReport(
            ok=not problems,
            kind=m.selection.kind if m else "unknown",
            selection=m.selection if m else None,
            events=self.events,
            checkpoints=len(self.checkpoints),
            checkpoint=m.checkpoint.sequence if m else None,
            tree_size=m.checkpoint.tree_size if m else self.tree_size,
            root_hash=m.checkpoint.root_hash if m else self.root_hash,
            key_id=self.bundle_key_id,
            trusted_key=self.trusted_key is not None,
            problems=problems,
        )

    @property
    def signing_key(self) -> bytes:
        """The key every signature must verify under: the trusted one, else the bundle's."""
        return self.trusted_key if self.trusted_key is not None else self.key

    # The steps, in order; a _Stop ends the check with what was found so far.

    def run(self) -> None:
        try:
            manifest = self.read(MANIFEST)
            self.read_key()
            self.read_manifest(manifest)
            self.check_members()
            self.read_checkpoints()
            if self.selection.kind == "full":
                self.check_full()
            else:
                self.check_partial()
            self.check_digests()
        except _Stop:
            return

    @property
    def selection(self) -> Selection:
        assert self.manifest is not None
        return self.manifest.selection

    def read(self, name: str) -> bytes:
        if name not in self.archive.namelist():
            self.problem("member", f"{name} is missing")
            raise _Stop
        size = self.archive.getinfo(name).file_size
        if size > SMALL_MEMBER_LIMIT:
            self.problem("member", f"{name} is implausibly large ({size:,} bytes)")
            raise _Stop
        with _Damage(self, name):
            data = self.archive.read(name)
        self.digests[name] = MemberDigest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        return data

    def lines(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(line number, line) of a JSON-lines member, hashed as it is read."""
        sha, size = hashlib.sha256(), 0
        with _Damage(self, name), self.archive.open(name) as f:
            for number, raw in enumerate(f, start=1):
                sha.update(raw)
                size += len(raw)
                yield number, raw.rstrip(b"\n")
        self.digests[name] = MemberDigest(sha256=sha.hexdigest(), size=size)

    def read_key(self) -> None:
        data = self.read(PUBLIC_KEY)
        try:
            key = msgspec.json.decode(data, type=PublicKey)
            raw = _hex(key.public_key)
            if len(raw) != 32:
                raise ValueError("not 32 bytes")
        except ValueError as e:
            self.problem("key", f"{PUBLIC_KEY} does not hold an Ed25519 public key ({e})")
            raise _Stop from None
        self.key, self.bundle_key_id = raw, key.key_id
        if key.key_id != self.key_id(raw):
            self.problem("key", f"{PUBLIC_KEY} names key id {key.key_id} for another key")
        if self.trusted_key is not None and raw != self.trusted_key:
            self.problem(
                "key",
                f"the bundle is signed by unknown key {key.key_id}, not the trusted key "
                f"{self.key_id(self.trusted_key)}",
            )

    def read_manifest(self, data: bytes) -> None:
        signed = self.manifest_signed(data)
        try:
            raw = msgspec.json.decode(data)
        except (ValueError, RecursionError) as e:
            self.problem("manifest", f"{MANIFEST} is not JSON ({e})")
            raise _Stop from None
        if not isinstance(raw, dict):
            self.problem("manifest", f"{MANIFEST} is not a JSON object")
            raise _Stop
        if (raw.get("format"), raw.get("version")) != (FORMAT, VERSION):
            if signed:  # intact, so truly another format or a newer version
                raise NotABundle(
                    f"not an audit bundle this version reads: {MANIFEST} says format "
                    f"{raw.get('format')!r} version {raw.get('version')!r}, not {FORMAT} "
                    f"version {VERSION}"
                )
            self.problem("manifest", f"{MANIFEST} does not name {FORMAT} version {VERSION}")
        try:
            manifest = msgspec.json.decode(data, type=Manifest)
        except ValueError as e:
            self.problem("manifest", f"{MANIFEST} is not a valid manifest ({e})")
            raise _Stop from None
        if manifest.key_id != self.bundle_key_id:
            self.problem("manifest", f"{MANIFEST} names key {manifest.key_id}, not the bundle's")
        s = manifest.selection
        if (s.kind == "full") != (
            s.partnership_id is None and s.from_date is None and s.to_date is None
        ):
            self.problem("manifest", f"{MANIFEST} has a selection neither full nor partial")
        self.manifest = manifest

    def manifest_signed(self, data: bytes) -> bool:
        raw = self.read(SIGNATURE)
        try:
            signature = msgspec.json.decode(raw, type=ManifestSignature)
            signed = _hex(signature.signature)
        except ValueError as e:
            self.problem("manifest", f"{SIGNATURE} is not a signature ({e})")
            return False
        if raw != _pretty(signature):  # no digest covers it: any other byte is a change
            self.problem("manifest", f"{SIGNATURE} is not as the ledger wrote it")
            return False
        if signature.key_id != self.bundle_key_id:
            self.problem(
                "manifest", f"{MANIFEST} is signed by key {signature.key_id}, not the bundle's"
            )
            return False
        if not self.verify_signature(self.signing_key, data, signed):
            self.problem(
                "manifest",
                f"{MANIFEST} does not carry a valid signature by key "
                f"{self.key_id(self.signing_key)}: it was altered after export",
            )
            return False
        return True

    def check_members(self) -> None:
        assert self.manifest is not None
        expected = [EVENTS, CHECKPOINTS, PUBLIC_KEY]
        if self.selection.kind == "partial":
            expected.insert(1, PROOFS)
        names = self.archive.namelist()
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.problem("member", f"{name} appears more than once")
        for name in names:
            if name not in (*expected, MANIFEST, SIGNATURE):
                self.problem("member", f"unexpected member {name}")
        for name in self.manifest.members:
            if name not in expected:
                self.problem("manifest", f"{MANIFEST} lists {name}, which this bundle never holds")
        for name in expected:
            if name not in self.manifest.members:
                self.problem("manifest", f"{MANIFEST} gives no SHA-256 for {name}")
            if name not in names:
                self.problem("member", f"{name} is missing")
                raise _Stop

    def read_checkpoints(self) -> None:
        assert self.manifest is not None
        try:
            held = _CHECKPOINTS.decode(self.read(CHECKPOINTS))
        except ValueError as e:
            self.problem("checkpoints", f"{CHECKPOINTS} is not valid ({e})")
            raise _Stop from None
        if not held.checkpoints:
            self.problem("checkpoints", f"{CHECKPOINTS} holds no checkpoint")
            raise _Stop
        self.checkpoints = held.checkpoints
        key, expected_id = self.signing_key, self.key_id(self.signing_key)
        for c in held.checkpoints:
            if c.public_key != key.hex() or c.key_id != expected_id:
                self.problem(
                    "key",
                    f"checkpoint {c.sequence} is signed by unknown key {c.key_id} "
                    f"(expected {expected_id})",
                )
            elif not self.verify_signature(key, c.message(), _unhex(c.signature)):
                self.problem(
                    "signature",
                    f"checkpoint {c.sequence} does not carry a valid signature by key "
                    f"{expected_id}",
                )
            else:
                self.good.append(c)
        for old, new in pairwise(held.checkpoints):
            if new.sequence <= old.sequence or new.tree_size < old.tree_size:
                self.problem(
                    "checkpoints",
                    f"checkpoint {new.sequence} ({new.tree_size:,} events) follows checkpoint "
                    f"{old.sequence} ({old.tree_size:,} events)",
                )
        if held.checkpoints[-1] != self.manifest.checkpoint:
            self.problem(
                "manifest",
                f"{MANIFEST} names checkpoint {self.manifest.checkpoint.sequence}, which is not "
                f"the last in {CHECKPOINTS}",
            )
        if self.selection.kind == "full":
            self.check_consistency(held)
        elif len(held.checkpoints) != 1 or held.consistency:
            self.problem(
                "checkpoints", f"a partial bundle's {CHECKPOINTS} holds its one checkpoint only"
            )

    def check_consistency(self, held: Checkpoints) -> None:
        pairs = list(pairwise(held.checkpoints))
        if len(held.consistency) != len(pairs):
            self.problem(
                "consistency",
                f"{CHECKPOINTS} holds {len(held.consistency)} consistency proof(s) for "
                f"{len(pairs)} pair(s) of checkpoints",
            )
        for (old, new), proof in zip(pairs, held.consistency, strict=False):
            named = (proof.from_sequence, proof.to_sequence, proof.old_size, proof.new_size)
            if named != (old.sequence, new.sequence, old.tree_size, new.tree_size):
                self.problem(
                    "consistency",
                    f"the consistency proof after checkpoint {old.sequence} does not name "
                    f"checkpoints {old.sequence} and {new.sequence} and their sizes",
                )
            elif old in self.good and new in self.good:
                path = [_unhex(h) for h in proof.proof]
                roots = _unhex(old.root_hash), _unhex(new.root_hash)
                if not verify_consistency(old.tree_size, new.tree_size, *roots, path):
                    self.problem(
                        "consistency",
                        f"the consistency proof from checkpoint {old.sequence} "
                        f"({old.tree_size:,} events) to checkpoint {new.sequence} "
                        f"({new.tree_size:,} events) does not hold",
                    )

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
        assert self.manifest is not None
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
        self.events = builder.size
        self.tree_size, self.root_hash = builder.size, builder.root().hex()
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
        assert self.manifest is not None
        checkpoint = self.checkpoints[-1]
        if checkpoint not in self.good:
            return  # its key or signature is already reported: nothing to prove against
        root, size = _unhex(checkpoint.root_hash), checkpoint.tree_size
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
        self.events = count
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
                f"the event ({_source(event.partnership_id)}, {_rfc3339(event.time)}) is "
                f"outside the bundle's selection ({selection.describe()})",
                event.position,
            )
            return False
        if proof_line is None:
            self.problem("proof", f"{PROOFS} has no line {number}", event.position)
            return False
        try:
            proof = _PROOF.decode(proof_line[1])
            path = [_hex(h) for h in proof.path]
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
        assert self.manifest is not None
        if count != self.manifest.events:
            self.problem(
                "count",
                f"{MANIFEST} counts {self.manifest.events:,} events but {EVENTS} holds {count:,}",
            )

    def check_digests(self) -> None:
        assert self.manifest is not None
        for name, expected in self.manifest.members.items():
            actual = self.digests.get(name)
            if actual is not None and actual != expected:
                self.problem("member", f"{name} does not match its SHA-256 in {MANIFEST}")


def _hex(value: object) -> bytes:
    """Bytes from lower-case hex, as the ledger writes it; ValueError for anything else."""
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise ValueError("not lower-case hex")
    return bytes.fromhex(value)


def _unhex(value: str) -> bytes:
    """Bytes from lower-case hex, or empty bytes (which no check accepts) for anything else."""
    try:
        return _hex(value)
    except ValueError:
        return b""
