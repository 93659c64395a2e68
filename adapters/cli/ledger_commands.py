"""Commands that write to the ledger (`demo`, `command`) and read what it holds:
partnerships, a plan, who shaped a decision, the decision list, an aggregate's
history and the ordered log."""

from __future__ import annotations

import argparse
import sys

import structlog

from adapters.cli.arguments import (
    UsageError,
    add_time_travel,
    non_negative,
    uuid_arg,
    within_log,
)
from adapters.cli.invocation import Invocation
from adapters.cli.render import emit_json, render_plan, render_provenance
from adapters.cli.table import CommandTable
from projections import account
from services.demo.writing import write_demo
from services.ledger.command_json import InvalidCommand, command_schema, decode_command

log = structlog.get_logger()


def register(table: CommandTable) -> None:
    demo = table.add(
        "demo",
        write_the_demo,
        help="write the Northmoor scenario into a fresh ledger",
        creates=True,
    )
    demo.add_argument("--force", action="store_true", help="empty a non-empty ledger first")

    table.add("partnerships", list_partnerships, help="list partnerships")

    table.group("plan", help="plans")
    show = table.add("show", show_plan, group="plan", help="one plan")
    show.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    add_time_travel(show)

    table.group("decision", help="decisions")
    dshow = table.add("show", show_decision, group="decision", help="who shaped one decision")
    dshow.add_argument("decision_id", type=uuid_arg, metavar="DECISION_ID")
    add_time_travel(dshow)

    ds = table.add("decisions", list_decisions, help="decision register")
    ds.add_argument("--partnership", type=uuid_arg, metavar="ID")

    h = table.add("history", show_history, help="every event of one aggregate")
    h.add_argument("aggregate_id", type=uuid_arg, metavar="AGGREGATE_ID")

    ev = table.add("events", list_events, help="the ordered log")
    ev.add_argument("--after", type=non_negative, default=0, metavar="N")
    ev.add_argument("--limit", type=non_negative, default=100, metavar="N")

    run = table.add(
        "command",
        execute_command,
        help='execute one command given as JSON (e.g. {"type": "RecordVote", ...})',
        creates=True,
    )
    run.add_argument(
        "payload", nargs="?", metavar="JSON", help="the command as JSON, or - for stdin"
    )
    run.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of every command type"
    )
    run.description = COMMAND_DESCRIPTION
    run.epilog = COMMAND_EPILOG
    run.formatter_class = argparse.RawDescriptionHelpFormatter


COMMAND_DESCRIPTION = """\
Execute one command that changes the ledger, given as JSON. It is stored whole or
not at all: a refused command exits 2 with one sentence naming the broken rule."""

COMMAND_EPILOG = """\
where the command types are documented:
  services/ledger/commands.py   every command type and its fields, one class each
                                (the module services.ledger.commands)
  command --schema              their JSON Schema, with the allowed values of every
                                enumeration and the ids the ledger assigns when
                                they are omitted
  README.md, section "Writing to the ledger"
                                a worked example: propose a decision, link a
                                contribution to it and record a vote

with --json, what the command did, as one JSON document:
  {"command": "RecordVote", "aggregate_id": ID, "assigned_ids": {FIELD: ID},
   "events": [{"type": ..., "aggregate_id": ID, "version": N, "position": N}]}"""


def write_the_demo(args: argparse.Namespace, cli: Invocation) -> int:
    admin = cli.store_admin()
    ledger, ids = write_demo(admin, cli.ledger, replace=args.force)
    log.info("demo.written", store=admin.label, events=ledger.app.recorder.max_notification_id())
    plan = ledger.read_models.plan(ids.plan)
    provenance = [
        ledger.read_models.decision(entry.id)
        for entry in ledger.read_models.decisions(ids.partnership)
    ]
    if args.json:
        emit_json(cli.out, {"plan": plan, "decisions": provenance})
    else:
        print(f"Wrote the Northmoor scenario to {admin.label}.\n", file=cli.out)
        print(render_plan(plan, brief=True), file=cli.out)
        for p in provenance:
            print(render_provenance(p), file=cli.out)
    return 0


def list_partnerships(args: argparse.Namespace, cli: Invocation) -> int:
    found = cli.ledger().read_models.partnerships()
    if args.json:
        emit_json(cli.out, found)
    else:
        for p in found:
            print(f"{p.id}  {p.name}  ({p.kind}, {len(p.members)} members)", file=cli.out)
        if not found:
            print("No partnerships yet.", file=cli.out)
    return 0


def show_plan(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    within_log(args.at_position, ledger.projector.head())
    plan = ledger.read_models.plan(args.plan_id, as_of=args.as_of, at_position=args.at_position)
    if args.json:
        emit_json(cli.out, plan)
    else:
        print(render_plan(plan), file=cli.out)
    return 0


def show_decision(args: argparse.Namespace, cli: Invocation) -> int:
    ledger = cli.ledger()
    within_log(args.at_position, ledger.projector.head())
    provenance = ledger.read_models.decision(
        args.decision_id, as_of=args.as_of, at_position=args.at_position
    )
    if args.json:
        emit_json(cli.out, provenance)
    else:
        print(render_provenance(provenance), file=cli.out)
    return 0


def list_decisions(args: argparse.Namespace, cli: Invocation) -> int:
    entries = cli.ledger().read_models.decisions(args.partnership)
    if args.json:
        emit_json(cli.out, entries)
    else:
        for d in entries:
            outcome = d.outcome or "-"
            flag = " co-produced" if d.coproduced else ""
            taken = ""
            if d.taken_at and d.recorded_at:
                taken = f"  {account.taken_and_recorded(d.taken_at, d.recorded_at)}"
            review = f"  review {d.review_on}" if d.review_on else ""
            print(
                f"{d.reference:10} {d.status:10} {outcome:9} {d.title}{flag}{taken}{review}"
                f"  [{d.id}]",
                file=cli.out,
            )
        if not entries:
            print("No decisions yet.", file=cli.out)
    return 0


def show_history(args: argparse.Namespace, cli: Invocation) -> int:
    entries = cli.ledger().read_models.history(args.aggregate_id)
    if args.json:
        emit_json(cli.out, entries)
    else:
        for e in entries:
            why = f": {e.why}" if e.why else ""
            print(
                f"{e.position or '-':>7}  v{e.version:<3} {e.occurred_at.isoformat()}  "
                f"{e.type:34} {e.actor} ({e.role}){why}",
                file=cli.out,
            )
    return 0


def list_events(args: argparse.Namespace, cli: Invocation) -> int:
    entries = cli.ledger().read_models.events(after=args.after, limit=args.limit)
    if args.json:
        emit_json(cli.out, entries)
    else:
        for e in entries:
            print(
                f"{e.position:>7}  {e.occurred_at.isoformat()}  {e.type:34} "
                f"{e.aggregate_id} v{e.version}  {e.actor}",
                file=cli.out,
            )
    return 0


def execute_command(args: argparse.Namespace, cli: Invocation) -> int:
    if args.schema:
        if args.payload is not None:
            raise UsageError("command: give either JSON or --schema, not both.")
        emit_json(cli.out, command_schema())
        return 0
    if args.payload is None:
        raise UsageError("command: give the command as JSON, - for stdin, or --schema.")
    limit = cli.settings.max_command_bytes
    raw = sys.stdin.buffer.read(limit + 1) if args.payload == "-" else args.payload.encode()
    try:
        command = decode_command(raw, max_bytes=limit)
    except InvalidCommand as e:
        raise UsageError(str(e)) from None
    outcome = cli.ledger().app.execute(command)
    log.info("command.stored", command=outcome.command, aggregate_id=str(outcome.aggregate_id))
    if args.json:
        emit_json(cli.out, outcome)
    else:
        print(f"{outcome.command}: done ({outcome.aggregate_id}).", file=cli.out)
    return 0
