"""The command line: argument parsing, one handler per command, and rendering.

Handlers talk to the ledger only through `CliContext`, which the composition
root fills in; they never open a database themselves.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from uuid import UUID

import msgspec
import structlog

from services import views as v
from services.commands import AnyCommand
from services.demo import ScenarioClock, write_northmoor
from services.ledger import Clock, LedgerApplication
from services.queries import LedgerQueries

log = structlog.get_logger()


class UsageError(ValueError):
    """Bad arguments or input (exit 2)."""


class CheckFailed(RuntimeError):
    """A check ran and failed (exit 1)."""


OpenLedger = Callable[[Clock | None], tuple[LedgerApplication, LedgerQueries]]


@dataclass
class CliContext:
    open_ledger: OpenLedger
    store_is_empty: Callable[[], bool]
    reset_store: Callable[[], None]
    store_label: str
    out: TextIO = field(default_factory=lambda: sys.stdout)


def uuid_arg(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an id (a UUID)") from None


def datetime_arg(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with one line, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (overrides LEDGER_DATABASE_URL)")
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON document")

    parser = _Parser(
        prog="inclusion-ledger",
        description="Inclusion Ledger: decisions, contributions and plan revisions as "
        "immutable events.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser(
        "demo", parents=[common, as_json], help="write the Northmoor scenario into a fresh ledger"
    )
    demo.add_argument("--force", action="store_true", help="empty a non-empty ledger first")
    demo.set_defaults(handler=cmd_demo)

    p = sub.add_parser("partnerships", parents=[common, as_json], help="list partnerships")
    p.set_defaults(handler=cmd_partnerships)

    plan = sub.add_parser("plan", help="plans").add_subparsers(
        dest="plan_command", required=True, parser_class=_Parser
    )
    show = plan.add_parser("show", parents=[common, as_json], help="one plan")
    show.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    show.add_argument("--as-of", type=datetime_arg, metavar="ISO8601")
    show.set_defaults(handler=cmd_plan_show)

    decision = sub.add_parser("decision", help="decisions").add_subparsers(
        dest="decision_command", required=True, parser_class=_Parser
    )
    dshow = decision.add_parser("show", parents=[common, as_json], help="who shaped one decision")
    dshow.add_argument("decision_id", type=uuid_arg, metavar="DECISION_ID")
    dshow.add_argument("--as-of", type=datetime_arg, metavar="ISO8601")
    dshow.set_defaults(handler=cmd_decision_show)

    ds = sub.add_parser("decisions", parents=[common, as_json], help="decision register")
    ds.add_argument("--partnership", type=uuid_arg, metavar="ID")
    ds.set_defaults(handler=cmd_decisions)

    h = sub.add_parser("history", parents=[common, as_json], help="every event of one aggregate")
    h.add_argument("aggregate_id", type=uuid_arg, metavar="AGGREGATE_ID")
    h.set_defaults(handler=cmd_history)

    ev = sub.add_parser("events", parents=[common, as_json], help="the ordered log")
    ev.add_argument("--after", type=non_negative, default=0, metavar="N")
    ev.add_argument("--limit", type=non_negative, default=100, metavar="N")
    ev.set_defaults(handler=cmd_events)

    run = sub.add_parser(
        "command",
        parents=[common, as_json],
        help='execute one command given as JSON (e.g. {"type": "RecordVote", ...})',
    )
    run.add_argument("payload", metavar="JSON", help="the command as JSON, or - for stdin")
    run.set_defaults(handler=cmd_command)
    return parser


# Handlers


def cmd_demo(args: argparse.Namespace, ctx: CliContext) -> int:
    if not ctx.store_is_empty():
        if not args.force:
            raise UsageError(
                f"{ctx.store_label} already holds a ledger; use --force to replace it with the "
                "demo."
            )
        ctx.reset_store()
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    app, queries = ctx.open_ledger(clock)
    ids = write_northmoor(app, clock)
    log.info("demo.written", store=ctx.store_label, events=app.recorder.max_notification_id())
    plan = queries.plan(ids.plan)
    provenance = [queries.decision(entry.id) for entry in queries.decisions(ids.partnership)]
    if args.json:
        emit_json(ctx.out, {"plan": plan, "decisions": provenance})
    else:
        print(f"Wrote the Northmoor scenario to {ctx.store_label}.\n", file=ctx.out)
        print(render_plan(plan, brief=True), file=ctx.out)
        for p in provenance:
            print(render_provenance(p), file=ctx.out)
    return 0


def cmd_partnerships(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    found = queries.partnerships()
    if args.json:
        emit_json(ctx.out, found)
    else:
        for p in found:
            print(f"{p.id}  {p.name}  ({p.kind}, {len(p.members)} members)", file=ctx.out)
        if not found:
            print("No partnerships yet.", file=ctx.out)
    return 0


def cmd_plan_show(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    plan = queries.plan(args.plan_id, as_of=args.as_of)
    if args.json:
        emit_json(ctx.out, plan)
    else:
        print(render_plan(plan), file=ctx.out)
    return 0


def cmd_decision_show(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    provenance = queries.decision(args.decision_id, as_of=args.as_of)
    if args.json:
        emit_json(ctx.out, provenance)
    else:
        print(render_provenance(provenance), file=ctx.out)
    return 0


def cmd_decisions(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    entries = queries.decisions(args.partnership)
    if args.json:
        emit_json(ctx.out, entries)
    else:
        for d in entries:
            outcome = d.outcome or "-"
            flag = " co-produced" if d.coproduced else ""
            print(
                f"{d.reference:10} {d.status:10} {outcome:9} {d.title}{flag}  [{d.id}]",
                file=ctx.out,
            )
        if not entries:
            print("No decisions yet.", file=ctx.out)
    return 0


def cmd_history(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    entries = queries.history(args.aggregate_id)
    if args.json:
        emit_json(ctx.out, entries)
    else:
        for e in entries:
            print(
                f"{e.position or '-':>7}  v{e.version:<3} {e.occurred_at.isoformat()}  "
                f"{e.type:34} {e.actor} ({e.role})",
                file=ctx.out,
            )
    return 0


def cmd_events(args: argparse.Namespace, ctx: CliContext) -> int:
    _, queries = ctx.open_ledger(None)
    entries = queries.events(after=args.after, limit=args.limit)
    if args.json:
        emit_json(ctx.out, entries)
    else:
        for e in entries:
            print(
                f"{e.position:>7}  {e.occurred_at.isoformat()}  {e.type:34} "
                f"{e.aggregate_id} v{e.version}  {e.actor}",
                file=ctx.out,
            )
    return 0


COMMAND_DECODER: msgspec.json.Decoder[AnyCommand] = msgspec.json.Decoder(AnyCommand)


def cmd_command(args: argparse.Namespace, ctx: CliContext) -> int:
    raw = sys.stdin.read() if args.payload == "-" else args.payload
    try:
        command = COMMAND_DECODER.decode(raw.encode())
    except msgspec.ValidationError as e:
        raise UsageError(f"The command is not valid: {e}.") from None
    except msgspec.DecodeError as e:
        raise UsageError(f"The command is not JSON: {e}.") from None
    app, _ = ctx.open_ledger(None)
    aggregate_id = app.handle(command)
    log.info("command.stored", command=type(command).__name__, aggregate_id=str(aggregate_id))
    result = {"command": type(command).__name__, "aggregate_id": aggregate_id}
    if args.json:
        emit_json(ctx.out, result)
    else:
        print(f"{type(command).__name__}: done ({aggregate_id}).", file=ctx.out)
    return 0


# Rendering


def emit_json(out: TextIO, value: object) -> None:
    out.write(msgspec.json.encode(value).decode())
    out.write("\n")


def render_plan(plan: v.PlanView, *, brief: bool = False) -> str:
    lines = [
        f"{plan.title}",
        f"  stage: {plan.stage}   template: {plan.template} v{plan.template_version}   "
        f"period: {plan.period_start} to {plan.period_end}",
    ]
    if plan.as_of:
        lines.append(f"  as of: {plan.as_of.isoformat()}")
    if plan.local_offer_url:
        lines.append(f"  local offer: {plan.local_offer_url}")
    for s in plan.sections:
        if brief and s.revision == 1:
            continue
        lines.append(f"  [{s.key}] {s.title} (revision {s.revision})")
        if s.text:
            lines.append(f"      {s.text}")
        if not brief:
            for r in s.revisions[1:]:
                lines.append(
                    f"      r{r.revision} {r.revised_at.date()} by {r.revised_by}: {r.rationale}"
                )
    return "\n".join(lines)


def render_provenance(d: v.DecisionProvenance) -> str:
    lines = [
        f"\n{d.reference}: {d.title}  [{d.status}]",
        f"  id: {d.id}",
        f"  proposed by {d.proposer.name} ({d.proposer.role}) on {d.proposed_at.date()}",
        f"  text: {d.text}",
    ]
    for c in d.contributions:
        state = f" (unlinked: {c.unlink_reason})" if c.unlinked_at else ""
        response = f"; response {c.response}" if c.response else ""
        lines.append(
            f"  contribution {c.reference}: {c.influence} via {c.channel}{response}{state}"
        )
    for a in d.amendments:
        lines.append(
            f"  amended {a.amended_at.date()} because of {', '.join(a.caused_by)}: {a.rationale}"
        )
    for i in d.interests:
        what = f"interest: {i.nature}" if i.has_interest else "no interest"
        lines.append(f"  {i.member.name} declared {what}")
    if d.taken:
        t = d.taken
        present = ", ".join(m.name for m in t.members_present)
        lines.append(
            f"  taken {t.taken_at.date()} at {t.meeting_title}: {t.outcome}; "
            f"quorum {t.quorum_required} met; forum present: {t.forum_present}; "
            f"co-produced: {t.coproduced}"
        )
        lines.append(f"  present: {present}")
        lines.append(
            f"  votes: {t.tally.for_} for, {t.tally.against} against, "
            f"{t.tally.abstain} abstain, {t.tally.block} block"
        )
        lines.append(f"  rationale: {t.rationale}")
    for vote in d.votes:
        if vote.excluded:
            lines.append(f"  excluded vote: {vote.member.name} ({vote.exclusion_reason})")
        elif vote.stance != "for":
            lines.append(f"  {vote.stance}: {vote.member.name}: {vote.reason}")
    for r in d.plan_revisions:
        lines.append(f"  cited by {r.plan_title}, {r.section} r{r.revision}")
    for act in d.actions:
        lines.append(
            f"  action {act.reference}: {act.title}, owner {act.owner}, due "
            f"{act.due_on} ({act.percent_complete}%)"
        )
    for review in d.reviews:
        lines.append(f"  review scheduled for {review}")
    return "\n".join(lines)
