"""Exporting an audit bundle: one use case for whoever asks for one (the CLI's `export`,
and in time the HTTP API and NATS workers).

Everything that can refuse an export is checked before a byte is written: the target
(nothing there unless replacing it is asked for, and a file name in a folder that
exists), the dates, a checkpoint to export against, the ledger's own signing key (the
one that signed the latest checkpoint) and the partnership asked for, once the read
models are caught up to say which aggregates are in it. The bundle is then written to
a partial beside the target and put in place only when whole: on any failure the
partial is removed and the target left as it was.

Services do no I/O: the target is a port, `ExportTarget`; adapters/whole_file.py
implements it with files. Refusals are `ExportRefused`, in the words the CLI prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Protocol
from uuid import UUID

import msgspec

from services.audit.auditor import AuditLog, Progress, Signing
from services.audit.bundle_export import (
    EventTime,
    ExportRefused,
    ExportSummary,
    PartnershipsOf,
    export_bundle,
)
from services.audit.bundle_format import Selection

__all__ = [
    "ExportRefused",
    "ExportRequest",
    "ExportSummary",
    "ExportTarget",
    "LedgerToExport",
    "PreparedExport",
    "prepare_export",
]


class ExportRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What to export: the whole log, or one partnership's events, on dates (inclusive,
    the events' UTC dates) from and to; `force` replaces what the target holds."""

    partnership_id: UUID | None = None
    from_date: date | None = None
    to_date: date | None = None
    force: bool = False


class ExportTarget(Protocol):
    """Where a bundle goes. Nothing appears under its name until `commit`."""

    @property
    def name(self) -> str:
        """The target as messages name it (for a file, its path)."""
        ...

    def exists(self) -> bool:
        """Whether something is there already."""
        ...

    def can_hold_a_file(self) -> bool:
        """Whether a bundle can be put there: the name is not a folder's, and its folder
        exists."""
        ...

    def open_partial(self) -> IO[bytes]:
        """A new partial beside the target, open for writing bytes (and seekable)."""
        ...

    def commit(self) -> None:
        """Put the written partial in place under the name, replacing what is there."""
        ...

    def discard(self) -> None:
        """Remove the partial, if there is one; the target itself is left alone."""
        ...


@dataclass(frozen=True, kw_only=True)
class LedgerToExport:
    """The ledger an export reads, as its caller opened it."""

    log: AuditLog
    own_signer: Callable[[], Signing | None]
    """The ledger's signing key if its file exists; an export never creates one."""
    catch_up: Callable[[], object]
    """Brings the read models up to the log: they say which partnership each aggregate is
    in."""
    partnerships: PartnershipsOf
    event_time: EventTime
    label: str
    """The ledger as the manifest names it."""


def prepare_export(
    request: ExportRequest,
    target: ExportTarget,
    open_ledger: Callable[[], LedgerToExport],
) -> PreparedExport:
    """The export, once everything that can refuse it has been checked; ExportRefused
    says why not. The ledger is opened (`open_ledger`) only once the request and the
    target pass."""
    if target.exists() and not request.force:
        raise ExportRefused(_exists(target))
    if not target.can_hold_a_file():
        raise ExportRefused(f"{target.name} is not a file name in an existing folder.")
    if request.from_date and request.to_date and request.from_date > request.to_date:
        raise ExportRefused(f"--from {request.from_date} is after --to {request.to_date}.")
    ledger = open_ledger()
    checkpoints = ledger.log.checkpoints()
    if not checkpoints:
        raise ExportRefused(
            "No checkpoint yet: run `inclusion-ledger checkpoint` first, then export."
        )
    signer = ledger.own_signer()
    if signer is None or signer.public_key.hex() != checkpoints[-1].public_key:
        raise ExportRefused(
            f"The ledger's signing key is missing or did not sign checkpoint "
            f"{checkpoints[-1].sequence} (key {checkpoints[-1].key_id}); set "
            "LEDGER_SIGNING_KEY_FILE to the key that signs its checkpoints."
        )
    ledger.catch_up()
    partnership = request.partnership_id
    if partnership is not None and partnership not in ledger.partnerships([partnership]):
        raise ExportRefused(f"No partnership {partnership}.")
    return PreparedExport(
        ledger=ledger,
        signer=signer,
        target=target,
        selection=Selection.of(partnership, request.from_date, request.to_date),
        force=request.force,
    )


@dataclass(frozen=True, kw_only=True)
class PreparedExport:
    """An export every check has passed, ready to write."""

    ledger: LedgerToExport
    signer: Signing
    target: ExportTarget
    selection: Selection
    force: bool

    def write(
        self, *, now: Callable[[], datetime], progress: Progress | None = None
    ) -> ExportSummary:
        """Write the bundle to a partial and put it in place, stamped with `now()` as it
        starts. Raises ExportRefused if the target cannot be written or something appeared
        there meanwhile (unless forced), AuditFailed if the log fails verification; either
        way the partial is removed and the target left as it was."""
        target, ledger = self.target, self.ledger
        try:
            with target.open_partial() as out:
                summary = export_bundle(
                    out,
                    ledger.log,
                    self.signer,
                    selection=self.selection,
                    ledger=ledger.label,
                    created_at=now(),
                    event_time=ledger.event_time,
                    partnerships=ledger.partnerships,
                    progress=progress,
                )
            if target.exists() and not self.force:
                raise ExportRefused(_exists(target))
            target.commit()
        except OSError as e:
            raise ExportRefused(f"Cannot write {target.name}: {e.strerror or e}.") from None
        finally:
            target.discard()
        return summary


def _exists(target: ExportTarget) -> str:
    return f"{target.name} already exists; use --force to replace it."
