"""The bundle file on a real folder: nothing appears under its name until the bundle is
whole, a failed export leaves no partial behind and the file as it was, and an existing
file is replaced only when forced.

The ledger is the in-memory one of tests/unit/test_export_use_case.py; the target is
`adapters.whole_file.WholeFile`.
"""

from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

from adapters.signing import Ed25519SignatureCheck
from adapters.whole_file import WholeFile
from services.audit.auditor import AuditFailed
from services.audit.bundle_verification import verify_bundle
from services.audit.export import ExportRefused, ExportRequest, prepare_export
from tests.unit.test_export_use_case import AT, EARLIER, FakeLedger

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

PARTIAL = re.compile(r"\.audit\.zip\.[0-9a-f]{8}\.partial")


def export(ledger: FakeLedger, target: WholeFile, *, force: bool = False) -> None:
    prepared = prepare_export(ExportRequest(force=force), target, ledger.open)
    prepared.write(now=lambda: AT)


class FillingDisk(io.FileIO):
    """A new partial file on a disk that fills up once `limit` bytes are written."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(path, "xb")
        self.limit = limit
        self.written = 0

    def write(self, data: ReadableBuffer, /) -> int:
        self.written += memoryview(data).nbytes
        if self.written > self.limit:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


class DiskFull(WholeFile):
    def open_partial(self) -> IO[bytes]:
        return FillingDisk(self.partial, limit=1000)


def test_the_partial_is_hidden_beside_the_target_and_renamed_into_place_once_whole(
    tmp_path: Path,
) -> None:
    target = WholeFile(tmp_path / "audit.zip")

    with target.open_partial() as f:
        f.write(b"half a bundle")
        assert PARTIAL.fullmatch(target.partial.name)
        assert target.partial.parent == tmp_path
        assert not target.exists()
    target.commit()
    target.discard()

    assert (tmp_path / "audit.zip").read_bytes() == b"half a bundle"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.zip"]


def test_only_a_new_name_or_a_file_in_an_existing_folder_can_hold_the_bundle(
    tmp_path: Path,
) -> None:
    (tmp_path / "earlier.zip").write_bytes(EARLIER)

    assert WholeFile(tmp_path / "audit.zip").can_hold_a_file()
    assert WholeFile(tmp_path / "earlier.zip").can_hold_a_file()
    assert WholeFile(tmp_path / "earlier.zip").exists()
    assert not WholeFile(tmp_path).can_hold_a_file()
    assert not WholeFile(tmp_path / "no folder" / "audit.zip").can_hold_a_file()


def test_a_bundle_is_written_to_the_file_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "audit.zip"

    export(FakeLedger().with_events(5), WholeFile(out))

    assert verify_bundle(io.BytesIO(out.read_bytes()), Ed25519SignatureCheck()).ok
    assert [p.name for p in tmp_path.iterdir()] == ["audit.zip"]


def test_an_existing_file_is_refused_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    out = tmp_path / "audit.zip"
    out.write_bytes(EARLIER)
    ledger = FakeLedger().with_events(5)

    with pytest.raises(ExportRefused, match="already exists; use --force"):
        export(ledger, WholeFile(out))
    assert out.read_bytes() == EARLIER

    export(ledger, WholeFile(out), force=True)

    assert out.read_bytes() != EARLIER
    assert verify_bundle(io.BytesIO(out.read_bytes()), Ed25519SignatureCheck()).ok
    assert [p.name for p in tmp_path.iterdir()] == ["audit.zip"]


def test_a_disk_filling_up_part_way_leaves_no_partial_and_the_file_as_it_was(
    tmp_path: Path,
) -> None:
    out = tmp_path / "audit.zip"
    out.write_bytes(EARLIER)

    with pytest.raises(ExportRefused) as refused:
        export(FakeLedger().with_events(50), DiskFull(out), force=True)

    assert str(refused.value) == f"Cannot write {out}: No space left on device."
    assert out.read_bytes() == EARLIER
    assert [p.name for p in tmp_path.iterdir()] == ["audit.zip"]


def test_a_log_failing_verification_part_way_leaves_no_partial_and_the_file_as_it_was(
    tmp_path: Path,
) -> None:
    out = tmp_path / "audit.zip"
    out.write_bytes(EARLIER)
    ledger = FakeLedger().with_events(50)
    position, aggregate_id, version, topic, _ = ledger.log.stored[40]
    ledger.log.stored[40] = (position, aggregate_id, version, topic, b'{"altered": true}')

    with pytest.raises(AuditFailed, match="at position 40"):
        export(ledger, WholeFile(out), force=True)

    assert out.read_bytes() == EARLIER
    assert [p.name for p in tmp_path.iterdir()] == ["audit.zip"]
