"""Checking an audit bundle offline: nothing but the file, no database, no network.

The members are checked in the order each depends on the one before: the public key,
the manifest and its signature, the members the manifest lists, the checkpoints and
their signatures (and, in a full bundle, the consistency proofs between them), then
the events (services/audit/bundle_event_checks.py), and last the members' digests.
Every shortcoming is a problem in the report, most telling first; a member too broken
to check any further ends the check there. services/audit/bundle_format.py describes
the format.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from itertools import pairwise
from typing import IO

import msgspec

from domain.audit import Checkpoint
from domain.merkle import verify_consistency
from services.audit.auditor import Problem, Progress
from services.audit.bundle_event_checks import EventChecks
from services.audit.bundle_findings import Findings, Stop
from services.audit.bundle_format import (
    CHECKPOINTS,
    EVENTS,
    FORMAT,
    MANIFEST,
    PROOFS,
    PUBLIC_KEY,
    SIGNATURE,
    VERSION,
    Checkpoints,
    Manifest,
    ManifestSignature,
    NotABundle,
    PublicKey,
    Selection,
    from_hex,
    from_hex_or_empty,
    pretty_json,
)
from services.audit.signature_check import SignatureCheck

_CHECKPOINTS = msgspec.json.Decoder(Checkpoints)


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
    signatures: SignatureCheck,
    *,
    trusted_key: bytes | None = None,
    progress: Progress | None = None,
) -> BundleReport:
    """Check a bundle read from `source` (binary, seekable), with no database.

    `signatures` verifies signatures and names keys.

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
        check = _Verification(Findings(archive), signatures, trusted_key, progress)
        check.run()
        return check.report()


@dataclass
class _Verification:
    findings: Findings
    signatures: SignatureCheck
    trusted_key: bytes | None
    progress: Progress | None
    manifest: Manifest | None = None
    key: bytes = b""
    bundle_key_id: str = ""
    checkpoints: list[Checkpoint] = field(default_factory=list)
    good: list[Checkpoint] = field(default_factory=list)

    def problem(self, kind: str, detail: str, position: int | None = None) -> None:
        self.findings.problem(kind, detail, position)

    def read(self, name: str) -> bytes:
        return self.findings.read(name)

    def report(self) -> BundleReport:
        problems = self.findings.ranked()
        m = self.manifest
        return BundleReport(
            ok=not problems,
            kind=m.selection.kind if m else "unknown",
            selection=m.selection if m else None,
            events=self.findings.events,
            checkpoints=len(self.checkpoints),
            checkpoint=m.checkpoint.sequence if m else None,
            tree_size=m.checkpoint.tree_size if m else self.findings.tree_size,
            root_hash=m.checkpoint.root_hash if m else self.findings.root_hash,
            key_id=self.bundle_key_id,
            trusted_key=self.trusted_key is not None,
            problems=problems,
        )

    @property
    def signing_key(self) -> bytes:
        """The key every signature must verify under: the trusted one, else the bundle's."""
        return self.trusted_key if self.trusted_key is not None else self.key

    # The steps, in order; a Stop ends the check with what was found so far.

    def run(self) -> None:
        try:
            manifest = self.read(MANIFEST)
            self.read_key()
            self.read_manifest(manifest)
            self.check_members()
            self.read_checkpoints()
            assert self.manifest is not None
            events = EventChecks(
                self.findings, self.manifest, self.checkpoints, self.good, self.progress
            )
            if self.selection.kind == "full":
                events.check_full()
            else:
                events.check_partial()
            self.check_digests()
        except Stop:
            return

    @property
    def selection(self) -> Selection:
        assert self.manifest is not None
        return self.manifest.selection

    def read_key(self) -> None:
        data = self.read(PUBLIC_KEY)
        try:
            key = msgspec.json.decode(data, type=PublicKey)
            raw = from_hex(key.public_key)
            if len(raw) != 32:
                raise ValueError("not 32 bytes")
        except ValueError as e:
            self.problem("key", f"{PUBLIC_KEY} does not hold an Ed25519 public key ({e})")
            raise Stop from None
        self.key, self.bundle_key_id = raw, key.key_id
        if key.key_id != self.signatures.key_id(raw):
            self.problem("key", f"{PUBLIC_KEY} names key id {key.key_id} for another key")
        if self.trusted_key is not None and raw != self.trusted_key:
            self.problem(
                "key",
                f"the bundle is signed by unknown key {key.key_id}, not the trusted key "
                f"{self.signatures.key_id(self.trusted_key)}",
            )

    def read_manifest(self, data: bytes) -> None:
        signed = self.manifest_signed(data)
        try:
            raw = msgspec.json.decode(data)
        except (ValueError, RecursionError) as e:
            self.problem("manifest", f"{MANIFEST} is not JSON ({e})")
            raise Stop from None
        if not isinstance(raw, dict):
            self.problem("manifest", f"{MANIFEST} is not a JSON object")
            raise Stop
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
            raise Stop from None
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
            signed = from_hex(signature.signature)
        except ValueError as e:
            self.problem("manifest", f"{SIGNATURE} is not a signature ({e})")
            return False
        if raw != pretty_json(signature):  # no digest covers it: any other byte is a change
            self.problem("manifest", f"{SIGNATURE} is not as the ledger wrote it")
            return False
        if signature.key_id != self.bundle_key_id:
            self.problem(
                "manifest", f"{MANIFEST} is signed by key {signature.key_id}, not the bundle's"
            )
            return False
        if not self.signatures.verify(self.signing_key, data, signed):
            self.problem(
                "manifest",
                f"{MANIFEST} does not carry a valid signature by key "
                f"{self.signatures.key_id(self.signing_key)}: it was altered after export",
            )
            return False
        return True

    def check_members(self) -> None:
        assert self.manifest is not None
        expected = [EVENTS, CHECKPOINTS, PUBLIC_KEY]
        if self.selection.kind == "partial":
            expected.insert(1, PROOFS)
        names = self.findings.archive.namelist()
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
                raise Stop

    def read_checkpoints(self) -> None:
        assert self.manifest is not None
        try:
            held = _CHECKPOINTS.decode(self.read(CHECKPOINTS))
        except ValueError as e:
            self.problem("checkpoints", f"{CHECKPOINTS} is not valid ({e})")
            raise Stop from None
        if not held.checkpoints:
            self.problem("checkpoints", f"{CHECKPOINTS} holds no checkpoint")
            raise Stop
        self.checkpoints = held.checkpoints
        key, expected_id = self.signing_key, self.signatures.key_id(self.signing_key)
        for c in held.checkpoints:
            if c.public_key != key.hex() or c.key_id != expected_id:
                self.problem(
                    "key",
                    f"checkpoint {c.sequence} is signed by unknown key {c.key_id} "
                    f"(expected {expected_id})",
                )
            elif not self.signatures.verify(key, c.message(), from_hex_or_empty(c.signature)):
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
                path = [from_hex_or_empty(h) for h in proof.proof]
                roots = from_hex_or_empty(old.root_hash), from_hex_or_empty(new.root_hash)
                if not verify_consistency(old.tree_size, new.tree_size, *roots, path):
                    self.problem(
                        "consistency",
                        f"the consistency proof from checkpoint {old.sequence} "
                        f"({old.tree_size:,} events) to checkpoint {new.sequence} "
                        f"({new.tree_size:,} events) does not hold",
                    )

    def check_digests(self) -> None:
        assert self.manifest is not None
        for name, expected in self.manifest.members.items():
            actual = self.findings.digests.get(name)
            if actual is not None and actual != expected:
                self.problem("member", f"{name} does not match its SHA-256 in {MANIFEST}")
