"""Audit bundles: export the signed log, or part of it, as one file, and check a bundle
offline with no database and no network (services/audit/bundle_format.py describes the
format)."""

from __future__ import annotations

import argparse
from pathlib import Path
from uuid import uuid4

import msgspec
import structlog

from adapters.cli.arguments import UsageError, check_out_file, date_arg, public_key_arg, uuid_arg
from adapters.cli.invocation import Invocation
from adapters.cli.progress import ProgressBar
from adapters.cli.render import emit_json
from adapters.cli.table import CommandTable
from adapters.signing import key_id, verify_signature
from services.audit.auditor import AuditFailed
from services.audit.bundle_export import (
    ExportRefused,
    aggregate_partnerships,
    export_bundle,
    stored_event_time,
)
from services.audit.bundle_format import NotABundle, Selection
from services.audit.bundle_verification import verify_bundle
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
    out: Path = args.out
    check_out_file(out, args.force)
    if args.from_date and args.to_date and args.from_date > args.to_date:
        raise UsageError(f"--from {args.from_date} is after --to {args.to_date}.")
    ledger = cli.ledger()
    auditor = ledger.auditor()
    checkpoints = auditor.log.checkpoints()
    if not checkpoints:
        raise UsageError("No checkpoint yet: run `inclusion-ledger checkpoint` first, then export.")
    signer = ledger.own_signer()
    if signer is None or signer.public_key.hex() != checkpoints[-1].public_key:
        raise UsageError(
            f"The ledger's signing key is missing or did not sign checkpoint "
            f"{checkpoints[-1].sequence} (key {checkpoints[-1].key_id}); set "
            "LEDGER_SIGNING_KEY_FILE to the key that signs its checkpoints."
        )
    ledger.projector.catch_up()  # the read models say which partnership each aggregate is in
    partnerships = aggregate_partnerships(ledger.read_store)
    if args.partnership is not None and args.partnership not in partnerships([args.partnership]):
        raise UsageError(f"No partnership {args.partnership}.")
    selection = Selection.of(args.partnership, args.from_date, args.to_date)
    bar = ProgressBar("export")
    partial = out.with_name(f".{out.name}.{uuid4().hex[:8]}.partial")
    try:
        with partial.open("xb") as f:
            summary = export_bundle(
                f,
                auditor.log,
                signer,
                selection=selection,
                ledger=ledger.store.label,
                created_at=utc_now(),
                event_time=stored_event_time(ledger.app.mapper),
                partnerships=partnerships,
                progress=bar,
            )
        if out.exists() and not args.force:
            raise UsageError(f"{out} already exists; use --force to replace it.")
        partial.replace(out)
    except ExportRefused as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"Cannot write {out}: {e.strerror or e}.") from None
    finally:
        partial.unlink(missing_ok=True)
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
        f"Wrote {out}: {summary.events:,} events ({selection.describe()}) against checkpoint "
        f"{summary.checkpoint} ({summary.tree_size:,} events, root {summary.root_hash[:16]}…), "
        f"signed by key {summary.key_id}.",
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
            report = verify_bundle(
                f,
                verify_signature=verify_signature,
                key_id=key_id,
                trusted_key=trusted,
                progress=bar,
            )
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
