"""The read models: rebuild them from the log, say where they stand, keep them current."""

from __future__ import annotations

import argparse

import structlog

from adapters.cli.arguments import add_time_travel, positive, within_log
from adapters.cli.invocation import Invocation
from adapters.cli.progress import ProgressBar
from adapters.cli.render import emit_json, skipped_sentence
from adapters.cli.table import CommandTable
from projections.dispatch import SCHEMA_VERSION
from services.projection.projector import rebuild
from services.projection.status import projection_status

log = structlog.get_logger()


def register(table: CommandTable) -> None:
    table.group("projections", help="the read models")
    rb = table.add(
        "rebuild",
        rebuild_read_models,
        group="projections",
        help="rebuild every read model from the log into fresh tables, then swap them in",
    )
    add_time_travel(rb)
    rb.add_argument("--batch-size", type=positive, default=5000, metavar="N")
    table.add(
        "status",
        show_status,
        group="projections",
        help="each read model's position against the log",
    )
    pr = table.add(
        "run",
        follow_the_log,
        group="projections",
        json=False,
        help="keep the read models current: follow the log until stopped (Ctrl-C)",
    )
    pr.add_argument("--batch-size", type=positive, default=5000, metavar="N")
    pr.add_argument(
        "--poll",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often to look for new events when not woken (default 1)",
    )
    pr.add_argument("--once", action="store_true", help="catch up once and exit")


def rebuild_read_models(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    within_log(args.at_position, ledger.projector.head())
    until = args.at_position
    if args.as_of is not None:
        until = ledger.log.position_at(args.as_of)
    bar = ProgressBar("projections.rebuild")
    result = rebuild(
        ledger.app,
        ledger.read_store,
        until=until,
        progress=bar,
        batch_size=args.batch_size,
        read_log=ledger.projector.read_log,
    )
    rate = bar.finish()
    summary = {
        "position": result.position,
        "applied": result.applied,
        "skipped": result.skipped,
        "skipped_types": result.skipped_types,
        "events_per_s": round(rate),
        "models": ledger.read_store.counts(),
    }
    log.info("projections.rebuilt", **summary)
    if args.json:
        emit_json(cli.out, summary)
    else:
        print(
            f"Rebuilt the read models to position {result.position}: {result.applied:,} "
            f"events ({result.skipped} skipped) at {rate:,.0f} events/s.",
            file=cli.out,
        )
        if result.skipped:
            print(skipped_sentence(result.skipped, result.skipped_types), file=cli.out)
    return 0


def show_status(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    status = projection_status(ledger.projector, ledger.read_store)
    if args.json:
        emit_json(cli.out, status.models)
        return 0
    for r in status.models:
        print(
            f"{r.model:13} {r.documents:>8,} documents  position {r.position:,} of "
            f"{r.head:,} ({r.behind:,} behind)",
            file=cli.out,
        )
    tracking = status.tracking
    if tracking and tracking.skipped:
        print(skipped_sentence(tracking.skipped, tracking.skipped_types), file=cli.out)
    if tracking and status.needs_rebuild:
        print(
            f"The read models are schema version {tracking.schema_version}; this release "
            f"needs {SCHEMA_VERSION}: run `inclusion-ledger projections rebuild`.",
            file=cli.out,
        )
    return 0


def follow_the_log(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    projector = ledger.projector
    projector.batch_size = args.batch_size
    wait = ledger.event_waiter(args.poll)
    log.info("projections.following", position=projector.position(), head=projector.head())
    while True:
        result = projector.catch_up()
        if result.applied or result.skipped:
            log.info(
                "projections.caught_up",
                position=result.position,
                applied=result.applied,
                skipped=result.skipped,
            )
        if args.once:
            return 0
        wait()
