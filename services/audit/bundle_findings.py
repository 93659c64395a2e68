"""What a bundle check has found so far: its problems, ranked, and the members it read.

Every member is read through `Findings`, which hashes what it reads (for the
manifest's digests) and turns a member the archive cannot read back intact into a
"damaged" problem. `Stop` ends a check that a member is too broken to take further;
what was found until then is still reported.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from services.audit.auditor import Problem
from services.audit.bundle_format import MemberDigest

SMALL_MEMBER_LIMIT: Final = 16 * 1024 * 1024  # manifest, key and signature are tiny

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


class Stop(Exception):
    """A member is too broken to check any further."""


class _Damage:
    """Turns a member the archive cannot read back intact into a problem, then stops."""

    def __init__(self, findings: Findings, name: str) -> None:
        self.findings = findings
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
            self.findings.problem("damaged", f"{self.name} is damaged: {error}")
            raise Stop from None


@dataclass
class Findings:
    """The archive under check, the problems found in it, the digests of the members read,
    and what its events hold as far as they were checked."""

    archive: zipfile.ZipFile
    problems: list[tuple[int, int, Problem]] = field(default_factory=list)
    digests: dict[str, MemberDigest] = field(default_factory=dict)
    events: int = 0
    tree_size: int = 0
    root_hash: str = ""

    def problem(self, kind: str, detail: str, position: int | None = None) -> None:
        problem = Problem(kind=kind, position=position, detail=detail)
        self.problems.append((_RANK[kind], len(self.problems), problem))

    def ranked(self) -> list[Problem]:
        """The problems, most telling first; of one rank, in the order they were found."""
        return [p for _, _, p in sorted(self.problems, key=lambda t: (t[0], t[1]))]

    def read(self, name: str) -> bytes:
        if name not in self.archive.namelist():
            self.problem("member", f"{name} is missing")
            raise Stop
        size = self.archive.getinfo(name).file_size
        if size > SMALL_MEMBER_LIMIT:
            self.problem("member", f"{name} is implausibly large ({size:,} bytes)")
            raise Stop
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
