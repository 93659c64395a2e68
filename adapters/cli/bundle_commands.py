"""Audit bundles: export the signed log, or part of it, as one file, and check a bundle
offline with no database and no network (services/audit/bundle_format.py describes the
format)."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec
import structlog

from adapters.bootstrap import Ledger
from adapters.cli.arguments import UsageError, date_arg, public_key_arg, uuid_arg
from adapters.cli.invocation import Invocation
from adapters.cli.progress import ProgressBar
from adapters.cli.render import emit_json
from adapters.cli.table import CommandTable
from adapters.signing import Ed25519SignatureCheck
from adapters.whole_file import WholeFile
from services.audit.auditor import AuditFailed
from services.audit.bundle_export import aggregate_partnerships, stored_event_time
from services.audit.bundle_format import NotABundle
from services.audit.bundle_verification import verify_bundle
from services.audit.export import ExportRefused, ExportRequest, LedgerToExport, prepare_export
from services.ledger.application import utc_now

log = structlog.get_logger()


def register(table: CommandTable) -> None:
    ex = table.add(
        "export",
        export_a_bundle,
        help="write an audit bundle: the signed log (or part of it) as one file to check offline",
    )
    ex.add_argument("--out", metavar="FILE", required=True, type=Path)
    ex.add_argument("--partnership", type=uuid_arg, metavar="ID", help="one partnership's events")
    ex.add_argument(
        "--from", dest="from_date", type=date_arg, metavar="DATE", help="events on or after DATE"
    )
    ex.add_argument(
        "--to", dest="to_date", type=date_arg, metavar="DATE", help="events on or before DATE"
    )
    ex.add_argument("--force", action="store_true", help="replace FILE if it exists")
    vb = table.add(
        "verify-bundle",
        check_a_bundle,
        database=False,
        help="check an audit bundle offline: no database, no network",
    )
    vb.add_argument("file", metavar="FILE", type=Path)
    vb.add_argument(
        "--trusted-key",
        metavar="HEX_OR_FILE",
        help="the ledger's Ed25519 public key (64 hex digits, or a file holding it as hex, PEM "
        "or a public_key.json); anything signed by another key fails",
    )


def export_a_bundle(args: argparse.Namespace, cli: Invocation) -> int:
    """The export use case (services/audit/export.py) writing to the file --out names; its
    refusals are bad usage."""
    out: Path = args.out
    request = ExportRequest(
        partnership_id=args.partnership,
        from_date=args.from_date,
        to_date=args.to_date,
        force=args.force,
    )
    try:
        export = prepare_export(request, WholeFile(out), lambda: ledger_to_export(cli.ledger()))
        bar = ProgressBar("export")
        summary = export.write(now=utc_now, progress=bar)
    except ExportRefused as e:
        raise UsageError(str(e)) from None
    rate = bar.finish()
    log.info("export.written", path=str(out), events=summary.events, events_per_s=round(rate))
    if summary.later_events:
        log.warning(
            "export.later_events_left_out",
            later_events=summary.later_events,
            advice="run `inclusion-ledger checkpoint` before exporting to include them",
        )
    if args.json:
        emit_json(cli.out, {"path": str(out), **msgspec.structs.asdict(summary)})
        return 0
    print(
        f"Wrote {out}: {summary.events:,} events ({summary.selection.describe()}) against "
        f"checkpoint {summary.checkpoint} ({summary.tree_size:,} events, root "
        f"{summary.root_hash[:16]}…), signed by key {summary.key_id}.",
        file=cli.out,
    )
    if summary.later_events:
        print(
            f"{summary.later_events:,} events recorded after checkpoint {summary.checkpoint} are "
            "not in it: run `inclusion-ledger checkpoint` first to include them.",
            file=cli.out,
        )
    return 0


def check_a_bundle(args: argparse.Namespace, cli: Invocation) -> int:
    """Reads only FILE (and a --trusted-key file): never opens the ledger."""
    trusted = public_key_arg("--trusted-key", args.trusted_key) if args.trusted_key else None
    path: Path = args.file
    bar = ProgressBar("verify-bundle")
    try:
        with path.open("rb") as f:
            report = verify_bundle(f, Ed25519SignatureCheck(), trusted_key=trusted, progress=bar)
    except NotABundle as e:
        raise UsageError(f"{path} is {e}.") from None
    except OSError as e:
        raise UsageError(f"Cannot read {path}: {e.strerror or e}.") from None
    bar.finish()
    log.info("verify_bundle.finished", ok=report.ok, events=report.events)
    if args.json:
        emit_json(cli.out, report)
    else:
        print(report.summary(), file=cli.out)
    if not report.ok:
        raise AuditFailed(report.summary())
    return 0


def ledger_to_export(ledger: Ledger) -> LedgerToExport:
    """What the export use case reads of the ledger the composition root wired."""
    return LedgerToExport(
        log=ledger.auditor().log,
        own_signer=ledger.own_signer,
        catch_up=ledger.projector.catch_up,
        partnerships=aggregate_partnerships(ledger.read_store),
        event_time=stored_event_time(ledger.app.mapper),
        label=ledger.store.label,
    )
