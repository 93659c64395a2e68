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

The export writes bundles (services/audit/bundle_export.py, each event's line by
services/audit/bundle_event_lines.py); the verifier checks them with nothing but the
file (services/audit/bundle_verification.py).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Final, Literal
from uuid import UUID

import msgspec

from domain.audit import Checkpoint

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
"""Events between two progress reports, exporting or verifying."""

# RFC 8410: the DER SubjectPublicKeyInfo of an Ed25519 key is this prefix and the raw key.
_ED25519_SPKI_PREFIX: Final = bytes.fromhex("302a300506032b6570032100")


class NotABundle(ValueError):
    """The file is not an audit bundle this version reads (exit 2)."""


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


ENCODER: Final = msgspec.json.Encoder()
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def rfc3339(when: datetime) -> str:
    """A time as the members write it: RFC 3339, UTC."""
    return str(msgspec.json.decode(ENCODER.encode(when.astimezone(UTC))))


def source_of(partnership_id: UUID | None) -> str:
    """The CloudEvents `source` of an event in this partnership, or in none."""
    return SOURCE_PREFIX + (str(partnership_id) if partnership_id else WHOLE_LEDGER)


def pretty_json(value: object) -> bytes:
    """A JSON member as written: indented by two spaces, ending in a newline."""
    return msgspec.json.format(ENCODER.encode(value), indent=2) + b"\n"


def hexes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def from_hex(value: object) -> bytes:
    """Bytes from lower-case hex, as the ledger writes it; ValueError for anything else."""
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise ValueError("not lower-case hex")
    return bytes.fromhex(value)


def from_hex_or_empty(value: str) -> bytes:
    """Bytes from lower-case hex, or empty bytes (which no check accepts) for anything else."""
    try:
        return from_hex(value)
    except ValueError:
        return b""


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
