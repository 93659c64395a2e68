"""The auditor's commands on the ledger itself: sign a checkpoint, verify the log,
prove an event's inclusion, replay the ledger to a position, and show the public key
auditors are to trust."""

from __future__ import annotations

import argparse
from pathlib import Path

import structlog

from adapters.bootstrap import signing_key_path
from adapters.cli.arguments import UsageError, positive, public_key_arg
from adapters.cli.invocation import Invocation
from adapters.cli.progress import ProgressBar
from adapters.cli.render import emit_json
from adapters.cli.table import CommandTable
from adapters.signing import load_signer
from services.audit.auditor import AuditFailed
from services.ledger.application import utc_now

log = structlog.get_logger()


def register(table: CommandTable) -> None:
    table.add(
        "checkpoint",
        sign_checkpoint,
        help="sign and store a checkpoint of the log (size, Merkle root, time)",
    )
    vf = table.add(
        "verify",
        verify_the_log,
        help="check the whole log against its chain and its checkpoints, signed by trusted keys",
    )
    vf.add_argument(
        "--trust-key",
        action="append",
        default=[],
        metavar="HEX_OR_FILE",
        help="trust this Ed25519 public key (64 hex digits, or a file holding it as hex, "
        "PEM or a public_key.json); repeatable. Without --trust-key or --trusted-keys, the "
        "signing key's own is trusted when its file exists",
    )
    vf.add_argument(
        "--trusted-keys",
        metavar="FILE",
        help="trust the keys in FILE, one per line as hex (default LEDGER_TRUSTED_KEYS_FILE)",
    )
    vf.add_argument(
        "--no-checkpoints",
        action="store_true",
        help="check the events and the chain alone, not the checkpoints' signatures and roots",
    )
    pv = table.add(
        "prove",
        prove_inclusion,
        help="inclusion proof for the event at a log position (always JSON)",
    )
    pv.add_argument("position", type=positive, metavar="POSITION")
    pv.add_argument(
        "--checkpoint",
        type=positive,
        metavar="N",
        help="prove against checkpoint N (default: the latest)",
    )
    rp = table.add(
        "replay", replay_the_ledger, help="the ledger as it stood at a position, in a new database"
    )
    rp.add_argument("--to-position", type=positive, metavar="N", required=True)
    rp.add_argument("--out", metavar="DIR", required=True, type=Path)

    table.group("keys", help="the key that signs checkpoints")
    table.add(
        "public",
        show_public_key,
        group="keys",
        database=False,
        help="print the signing key's public key and key id, to give auditors and keep with "
        "backups (never creates a key)",
    )


def sign_checkpoint(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    checkpoint = ledger.auditor().checkpoint(ledger.signer(), at=utc_now())
    log.info("checkpoint.signed", sequence=checkpoint.sequence, tree_size=checkpoint.tree_size)
    if args.json:
        emit_json(cli.out, checkpoint)
    else:
        print(
            f"Checkpoint {checkpoint.sequence}: {checkpoint.tree_size:,} events, root "
            f"{checkpoint.root_hash}, signed by key {checkpoint.key_id}.",
            file=cli.out,
        )
    return 0


def verify_the_log(args: argparse.Namespace, cli: Invocation) -> int:
    """Trusts every --trust-key and --trusted-keys (or LEDGER_TRUSTED_KEYS_FILE, read by the
    composition root); when none is given, the signing key's public key (if its file exists)."""
    trust = [public_key_arg("--trust-key", value) for value in args.trust_key]
    auditor = cli.ledger().auditor(trust)
    bar = ProgressBar("verify")
    report = auditor.verify(progress=bar, checkpoints=not args.no_checkpoints)
    rate = bar.finish()
    log.info(
        "verify.finished",
        ok=report.ok,
        events=report.events,
        checkpoints_checked=report.checkpoints_checked,
        unsigned_events=report.unsigned_events,
        events_per_s=round(rate),
    )
    if args.json:
        emit_json(cli.out, report)
    else:
        print(report.summary(), file=cli.out)
    if not report.ok:
        raise AuditFailed(report.summary())
    return 0


def prove_inclusion(args: argparse.Namespace, cli: Invocation) -> int:
    """The proof is a JSON document with or without `--json`: it is what auditors keep."""
    try:
        proof = cli.ledger().auditor().prove(args.position, args.checkpoint)
    except LookupError as e:
        raise UsageError(str(e.args[0])) from None
    emit_json(cli.out, proof)
    return 0


def replay_the_ledger(args: argparse.Namespace, cli: Invocation) -> int:
    bar = ProgressBar("replay")
    summary = cli.ledger().replay(args.to_position, args.out, bar)
    bar.finish()
    if args.json:
        emit_json(cli.out, summary)
    else:
        print(
            f"Replayed the ledger to position {args.to_position} into {summary.database_url}.\n"
            f"Open it with: inclusion-ledger <command> --db {summary.database_url}",
            file=cli.out,
        )
    return 0


def show_public_key(args: argparse.Namespace, cli: Invocation) -> int:
    """Reads only the signing key file: never opens the ledger, never creates a key. The
    text is a trusted-keys file as `verify --trusted-keys` reads it."""
    key = load_signer(signing_key_path(cli.settings))
    if args.json:
        emit_json(
            cli.out,
            {"algorithm": "Ed25519", "key_id": key.key_id, "public_key": key.public_key.hex()},
        )
    else:
        print(f"# Inclusion Ledger checkpoint signing key {key.key_id} (Ed25519)", file=cli.out)
        print(key.public_key.hex(), file=cli.out)
    return 0
