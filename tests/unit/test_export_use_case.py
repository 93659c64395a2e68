"""The export use case in memory: every refusal comes before a byte is written, and a
bundle reaches its target whole or not at all.

The log is the Auditor tests' `MemoryLog`; the target is `FakeTarget`, the
`ExportTarget` port over bytes, whose partial can be made to fail part way through.
The file adapter is tested in tests/integration/test_whole_file.py.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING
from uuid import UUID, uuid5

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.signing import Ed25519SignatureCheck, Signer
from services.audit.auditor import AuditFailed, Auditor, EventRow
from services.audit.bundle_verification import verify_bundle
from services.audit.export import (
    ExportRefused,
    ExportRequest,
    LedgerToExport,
    prepare_export,
)
from services.demo.cast import NORTHMOOR
from tests.unit.test_auditor import DECISION, MemoryLog

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

AT = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
PARTNERSHIP = uuid5(NORTHMOOR, "unit/partnership")
EARLIER = b"an earlier bundle"


class FailingPartial(io.BytesIO):
    """A partial that fails, as a full disk does, once `limit` bytes are written."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit
        self.written = 0
        self.kept: bytes | None = None

    def write(self, data: ReadableBuffer, /) -> int:
        self.written += memoryview(data).nbytes
        if self.limit is not None and self.written > self.limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)

    def close(self) -> None:
        if not self.closed:
            self.kept = self.getvalue()
        super().close()


@dataclass
class FakeTarget:
    """The `ExportTarget` port in memory: what is under the name, and the partial."""

    held: bytes | None = None
    place: bool = True
    fail_after: int | None = None
    appears_meanwhile: bytes | None = None
    partial: FailingPartial | None = None
    commits: int = 0
    opened: int = 0

    @property
    def name(self) -> str:
        return "audit.zip"

    def exists(self) -> bool:
        return self.held is not None

    def can_hold_a_file(self) -> bool:
        return self.place

    def open_partial(self) -> IO[bytes]:
        self.opened += 1
        self.partial = FailingPartial(self.fail_after)
        if self.appears_meanwhile is not None:
            self.held = self.appears_meanwhile
        return self.partial

    def commit(self) -> None:
        assert self.partial is not None
        assert self.partial.kept is not None, "committed before the partial was closed"
        self.held = self.partial.kept
        self.partial = None
        self.commits += 1

    def discard(self) -> None:
        self.partial = None


@dataclass
class FakeLedger:
    """A signed MemoryLog and what an export asks of the ledger around it."""

    signer: Signer | None = field(default_factory=lambda: Signer(Ed25519PrivateKey.generate()))
    log: MemoryLog = field(default_factory=MemoryLog)
    known: set[UUID] = field(default_factory=lambda: {PARTNERSHIP})
    calls: list[str] = field(default_factory=list)

    def with_events(self, count: int, *, checkpoint: bool = True) -> FakeLedger:
        for _ in range(count):
            self.log.append(msgspec.json.encode({"timestamp": AT}))
        if checkpoint and self.signer is not None:
            Auditor(self.log, Ed25519SignatureCheck()).checkpoint(self.signer, at=AT)
        return self

    def partnerships(self, ids: Collection[UUID]) -> Mapping[UUID, UUID]:
        self.calls.append("partnerships")
        owners = {DECISION: PARTNERSHIP, **{i: i for i in self.known}}
        return {i: owners[i] for i in ids if i in owners}

    def open(self) -> LedgerToExport:
        self.calls.append("open")
        return LedgerToExport(
            log=self.log,
            own_signer=lambda: self.signer,
            catch_up=lambda: self.calls.append("catch up"),
            partnerships=self.partnerships,
            event_time=event_time,
            label="memory ledger",
        )


def event_time(row: EventRow) -> datetime:
    return AT


def export(ledger: FakeLedger, target: FakeTarget, request: ExportRequest | None = None) -> bytes:
    prepare_export(request or ExportRequest(), target, ledger.open).write(now=lambda: AT)
    assert target.held is not None
    return target.held


# Refusals, before anything is written


def test_an_existing_target_is_refused_without_force_before_the_ledger_is_opened() -> None:
    ledger, target = FakeLedger().with_events(3), FakeTarget(held=EARLIER)

    with pytest.raises(ExportRefused) as refused:
        prepare_export(ExportRequest(), target, ledger.open)

    assert str(refused.value) == "audit.zip already exists; use --force to replace it."
    assert ledger.calls == []
    assert (target.held, target.opened) == (EARLIER, 0)


def test_a_target_that_cannot_hold_a_file_is_refused_even_when_forced() -> None:
    ledger = FakeLedger().with_events(3)

    for request in (ExportRequest(), ExportRequest(force=True)):
        with pytest.raises(ExportRefused) as refused:
            prepare_export(request, FakeTarget(place=False), ledger.open)
        assert str(refused.value) == "audit.zip is not a file name in an existing folder."
    assert ledger.calls == []


def test_dates_in_the_wrong_order_are_refused_before_the_ledger_is_opened() -> None:
    ledger = FakeLedger().with_events(3)
    request = ExportRequest(from_date=date(2026, 2, 1), to_date=date(2026, 1, 1))

    with pytest.raises(ExportRefused) as refused:
        prepare_export(request, FakeTarget(), ledger.open)

    assert str(refused.value) == "--from 2026-02-01 is after --to 2026-01-01."
    assert ledger.calls == []


def test_a_ledger_with_no_checkpoint_is_refused_naming_the_command_that_makes_one() -> None:
    ledger, target = FakeLedger().with_events(3, checkpoint=False), FakeTarget()

    with pytest.raises(ExportRefused) as refused:
        prepare_export(ExportRequest(), target, ledger.open)

    assert str(refused.value) == (
        "No checkpoint yet: run `inclusion-ledger checkpoint` first, then export."
    )
    assert target.opened == 0


@pytest.mark.parametrize("key", ["missing", "another"])
def test_a_signing_key_missing_or_not_the_latest_checkpoint_s_is_refused(key: str) -> None:
    ledger, target = FakeLedger().with_events(3), FakeTarget()
    assert ledger.signer is not None
    signed_by = ledger.signer.key_id
    ledger.signer = None if key == "missing" else Signer(Ed25519PrivateKey.generate())

    with pytest.raises(ExportRefused) as refused:
        prepare_export(ExportRequest(), target, ledger.open)

    assert str(refused.value) == (
        f"The ledger's signing key is missing or did not sign checkpoint 1 (key {signed_by}); "
        "set LEDGER_SIGNING_KEY_FILE to the key that signs its checkpoints."
    )
    assert "catch up" not in ledger.calls
    assert target.opened == 0


def test_an_unknown_partnership_is_refused_once_the_read_models_are_caught_up() -> None:
    ledger, target = FakeLedger().with_events(3), FakeTarget()
    stranger = uuid5(NORTHMOOR, "unit/no such partnership")

    with pytest.raises(ExportRefused) as refused:
        prepare_export(ExportRequest(partnership_id=stranger), target, ledger.open)

    assert str(refused.value) == f"No partnership {stranger}."
    assert ledger.calls == ["open", "catch up", "partnerships"]
    assert target.opened == 0


# Writing: whole or not at all


def test_a_bundle_is_put_in_place_whole_and_verifies() -> None:
    ledger, target = FakeLedger().with_events(5), FakeTarget()

    prepared = prepare_export(ExportRequest(partnership_id=PARTNERSHIP), target, ledger.open)
    summary = prepared.write(now=lambda: AT)

    assert target.commits == 1
    assert target.partial is None
    assert target.held is not None
    assert summary.size_bytes == len(target.held)
    assert (summary.events, summary.selection.kind) == (5, "partial")
    report = verify_bundle(io.BytesIO(target.held), Ed25519SignatureCheck())
    assert report.ok, report.problems
    assert report.events == 5


def test_a_failure_part_way_through_writing_leaves_the_target_as_it_was() -> None:
    ledger = FakeLedger().with_events(50)
    target = FakeTarget(held=EARLIER, fail_after=1000)

    with pytest.raises(ExportRefused) as refused:
        export(ledger, target, ExportRequest(force=True))

    assert str(refused.value) == "Cannot write audit.zip: No space left on device."
    assert target.opened == 1
    assert target.commits == 0
    assert target.partial is None  # discarded
    assert target.held == EARLIER


def test_a_log_that_fails_verification_while_written_leaves_the_target_as_it_was() -> None:
    ledger = FakeLedger().with_events(5)
    position, aggregate_id, version, topic, _ = ledger.log.stored[3]
    ledger.log.stored[3] = (position, aggregate_id, version, topic, b'{"altered": true}')
    target = FakeTarget(held=EARLIER)

    with pytest.raises(AuditFailed, match="at position 3"):
        export(ledger, target, ExportRequest(force=True))

    assert (target.opened, target.commits, target.partial) == (1, 0, None)
    assert target.held == EARLIER


def test_a_target_that_appears_while_the_bundle_is_written_is_not_replaced() -> None:
    ledger = FakeLedger().with_events(3)
    target = FakeTarget(appears_meanwhile=b"someone else's file")

    with pytest.raises(ExportRefused) as refused:
        export(ledger, target)

    assert str(refused.value) == "audit.zip already exists; use --force to replace it."
    assert (target.commits, target.partial) == (0, None)
    assert target.held == b"someone else's file"


def test_with_force_an_existing_target_is_replaced() -> None:
    ledger = FakeLedger().with_events(3)
    target = FakeTarget(held=EARLIER, appears_meanwhile=b"someone else's file")

    bundle = export(ledger, target, ExportRequest(force=True))

    assert target.commits == 1
    assert bundle not in (EARLIER, b"someone else's file")
    assert verify_bundle(io.BytesIO(bundle), Ed25519SignatureCheck()).ok
