"""The command line: argument parsing, one handler per command, and rendering.

Handlers talk to the ledger only through `CliContext`, which the composition
root fills in; they never open a database themselves.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO
from uuid import UUID, uuid4

import msgspec
import structlog

from projections import account
from projections.dispatch import SCHEMA_VERSION
from projections.documents import MODELS
from projections.pack_markdown import render_markdown
from projections.provenance import DecisionProvenance
from projections.store import ReadModelStore
from services import views
from services.audit.auditor import AuditFailed, Auditor, Signing
from services.bundle import (
    ExportRefused,
    NotABundle,
    Selection,
    aggregate_partnerships,
    export_bundle,
    parse_public_key,
    stored_event_time,
    verify_bundle,
)
from services.demo.northmoor import ScenarioClock, write_northmoor
from services.ledger.application import Clock, LedgerApplication, utc_now
from services.ledger.command_json import (
    DEFAULT_MAX_COMMAND_BYTES,
    InvalidCommand,
    command_schema,
    decode_command,
)
from services.progress import ProgressBar
from services.projection.projector import Progress, Projector, rebuild
from services.projection.read_model_queries import ReadModelQueries
from services.reports import Reports

log = structlog.get_logger()


class UsageError(ValueError):
    """Bad arguments or input (exit 2)."""


class Session(Protocol):
    """What the composition root hands a handler: the ledger and its read side."""

    @property
    def app(self) -> LedgerApplication: ...

    @property
    def read_store(self) -> ReadModelStore: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def read_models(self) -> ReadModelQueries: ...

    @property
    def reports(self) -> Reports: ...

    def auditor(self, trust: Collection[bytes] = ...) -> Auditor: ...

    def signer(self) -> Signing: ...

    def own_signer(self) -> Signing | None: ...

    def replay(self, position: int, out: Path, progress: Progress | None = None) -> object: ...


OpenLedger = Callable[[Clock | None], Session]


@dataclass
class CliContext:
    """`describe_store` and the other store callables read the database URL only when
    called, so the commands that need no ledger (`verify-bundle`, `keys public`) never
    read it."""

    open_ledger: OpenLedger
    store_is_empty: Callable[[], bool]
    reset_store: Callable[[], None]
    describe_store: Callable[[], str]
    waiter: Callable[[float], Callable[[], None]] = lambda poll: lambda: time.sleep(poll)
    close_waiter: Callable[[], None] = lambda: None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    # Offline bundle checks: Ed25519 verification and key ids, from the signing adapter.
    verify_signature: Callable[[bytes, bytes, bytes], bool] | None = None
    key_id: Callable[[bytes], str] | None = None
    # The configured signing key, loaded but never created (`keys public`).
    signing_key: Callable[[], Signing] | None = None
    max_command_bytes: int = DEFAULT_MAX_COMMAND_BYTES

    @property
    def store_label(self) -> str:
        return self.describe_store()


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


def date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date") from None


def positive(value: str) -> int:
    number = non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with one line, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    # `--db` is taken before the subcommand or after it (the later one wins).
    db_help = "database URL (overrides LEDGER_DATABASE_URL)"
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON document")

    parser = _Parser(
        prog="inclusion-ledger",
        description="Inclusion Ledger: decisions, contributions and plan revisions as "
        "immutable events.",
    )
    parser.add_argument("--db", metavar="URL", help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser(
        "demo", parents=[common, as_json], help="write the Northmoor scenario into a fresh ledger"
    )
    demo.add_argument("--force", action="store_true", help="empty a non-empty ledger first")
    demo.set_defaults(handler=cmd_demo, creates=True)

    p = sub.add_parser("partnerships", parents=[common, as_json], help="list partnerships")
    p.set_defaults(handler=cmd_partnerships)

    plan = sub.add_parser("plan", help="plans").add_subparsers(
        dest="plan_command", required=True, parser_class=_Parser
    )
    show = plan.add_parser("show", parents=[common, as_json], help="one plan")
    show.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    _add_time_travel(show)
    show.set_defaults(handler=cmd_plan_show)

    decision = sub.add_parser("decision", help="decisions").add_subparsers(
        dest="decision_command", required=True, parser_class=_Parser
    )
    dshow = decision.add_parser("show", parents=[common, as_json], help="who shaped one decision")
    dshow.add_argument("decision_id", type=uuid_arg, metavar="DECISION_ID")
    _add_time_travel(dshow)
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

    pdiff = plan.add_parser(
        "diff", parents=[common, as_json], help="how a section changed between two revisions"
    )
    pdiff.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    pdiff.add_argument("section", metavar="SECTION")
    pdiff.add_argument("from_revision", type=positive, metavar="FROM")
    pdiff.add_argument("to_revision", type=positive, metavar="TO")
    pdiff.set_defaults(handler=cmd_plan_diff)

    ysw = sub.add_parser(
        "you-said-we-did",
        parents=[common, as_json],
        help="the de-identified reg 56 register of responses",
    )
    ysw.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)
    ysw.add_argument("--from", dest="period_start", type=date_arg, metavar="DATE")
    ysw.add_argument("--to", dest="period_end", type=date_arg, metavar="DATE")
    ysw.set_defaults(handler=cmd_you_said_we_did)

    ms = sub.add_parser(
        "measures",
        parents=[common, as_json],
        help="co-production measures of a partnership or one of its plans",
    )
    ms.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)
    ms.add_argument("--plan", type=uuid_arg, metavar="ID")
    ms.set_defaults(handler=cmd_measures)

    acts = sub.add_parser(
        "actions",
        parents=[common, as_json],
        help="the action tracker: commitments, progress, overdue",
    )
    acts.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)
    acts.set_defaults(handler=cmd_actions)

    pk = sub.add_parser(
        "pack", parents=[common], help="a DfE QA pack or an inspection evidence pack for a plan"
    )
    pk.add_argument("kind", choices=("qa", "inspection"))
    pk.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    pk.add_argument("--format", choices=("markdown", "json"), default="markdown")
    pk.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of stdout")
    pk.add_argument("--force", action="store_true", help="replace FILE if it exists")
    pk.set_defaults(handler=cmd_pack)

    ck = sub.add_parser(
        "checkpoint",
        parents=[common, as_json],
        help="sign and store a checkpoint of the log (size, Merkle root, time)",
    )
    ck.set_defaults(handler=cmd_checkpoint)
    vf = sub.add_parser(
        "verify",
        parents=[common, as_json],
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
    vf.set_defaults(handler=cmd_verify)
    pv = sub.add_parser(
        "prove", parents=[common], help="inclusion proof for the event at a log position (JSON)"
    )
    pv.add_argument("position", type=positive, metavar="POSITION")
    pv.add_argument(
        "--checkpoint",
        type=positive,
        metavar="N",
        help="prove against checkpoint N (default: the latest)",
    )
    pv.set_defaults(handler=cmd_prove)

    rp = sub.add_parser(
        "replay",
        parents=[common, as_json],
        help="the ledger as it stood at a position, in a new database",
    )
    rp.add_argument("--to-position", type=positive, metavar="N", required=True)
    rp.add_argument("--out", metavar="DIR", required=True, type=Path)
    rp.set_defaults(handler=cmd_replay)
    _add_bundle_commands(sub, common, as_json)
    keys = sub.add_parser("keys", help="the key that signs checkpoints").add_subparsers(
        dest="keys_command", required=True, parser_class=_Parser
    )
    kp = keys.add_parser(
        "public",
        parents=[as_json],
        help="print the signing key's public key and key id, to give auditors and keep with "
        "backups (never creates a key)",
    )
    kp.set_defaults(handler=cmd_keys_public)

    projections = sub.add_parser("projections", help="the read models").add_subparsers(
        dest="projections_command", required=True, parser_class=_Parser
    )
    rb = projections.add_parser(
        "rebuild",
        parents=[common, as_json],
        help="rebuild every read model from the log into fresh tables, then swap them in",
    )
    _add_time_travel(rb)
    rb.add_argument("--batch-size", type=positive, default=5000, metavar="N")
    rb.set_defaults(handler=cmd_projections_rebuild)
    st = projections.add_parser(
        "status", parents=[common, as_json], help="each read model's position against the log"
    )
    st.set_defaults(handler=cmd_projections_status)
    pr = projections.add_parser(
        "run",
        parents=[common],
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
    pr.set_defaults(handler=cmd_projections_run)

    run = sub.add_parser(
        "command",
        parents=[common, as_json],
        help='execute one command given as JSON (e.g. {"type": "RecordVote", ...})',
    )
    run.add_argument(
        "payload", nargs="?", metavar="JSON", help="the command as JSON, or - for stdin"
    )
    run.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of every command type"
    )
    run.set_defaults(handler=cmd_command, creates=True)
    return parser


def _add_time_travel(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--as-of",
        type=datetime_arg,
        metavar="ISO8601",
        help="as it stood at this date or time (UTC unless given)",
    )
    when.add_argument(
        "--at-position",
        type=positive,
        metavar="N",
        help="as it stood when the log ended at position N",
    )


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
    session = ctx.open_ledger(clock)
    app, read_models = session.app, session.read_models
    ids = write_northmoor(app, clock)
    log.info("demo.written", store=ctx.store_label, events=app.recorder.max_notification_id())
    plan = read_models.plan(ids.plan)
    provenance = [
        read_models.decision(entry.id) for entry in read_models.decisions(ids.partnership)
    ]
    if args.json:
        emit_json(ctx.out, {"plan": plan, "decisions": provenance})
    else:
        print(f"Wrote the Northmoor scenario to {ctx.store_label}.\n", file=ctx.out)
        print(render_plan(plan, brief=True), file=ctx.out)
        for p in provenance:
            print(render_provenance(p), file=ctx.out)
    return 0


def cmd_partnerships(args: argparse.Namespace, ctx: CliContext) -> int:
    found = ctx.open_ledger(None).read_models.partnerships()
    if args.json:
        emit_json(ctx.out, found)
    else:
        for p in found:
            print(f"{p.id}  {p.name}  ({p.kind}, {len(p.members)} members)", file=ctx.out)
        if not found:
            print("No partnerships yet.", file=ctx.out)
    return 0


def _within_log(session: Session, position: int | None) -> None:
    """`--at-position` names a position the log has reached."""
    head = session.projector.head()
    if position is not None and position > head:
        raise UsageError(
            f"--at-position {position} is past the head of the log, which is at position {head}."
        )


def cmd_plan_show(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    _within_log(session, args.at_position)
    plan = session.read_models.plan(args.plan_id, as_of=args.as_of, at_position=args.at_position)
    if args.json:
        emit_json(ctx.out, plan)
    else:
        print(render_plan(plan), file=ctx.out)
    return 0


def cmd_decision_show(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    _within_log(session, args.at_position)
    provenance = session.read_models.decision(
        args.decision_id, as_of=args.as_of, at_position=args.at_position
    )
    if args.json:
        emit_json(ctx.out, provenance)
    else:
        print(render_provenance(provenance), file=ctx.out)
    return 0


def cmd_decisions(args: argparse.Namespace, ctx: CliContext) -> int:
    entries = ctx.open_ledger(None).read_models.decisions(args.partnership)
    if args.json:
        emit_json(ctx.out, entries)
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
                file=ctx.out,
            )
        if not entries:
            print("No decisions yet.", file=ctx.out)
    return 0


def cmd_history(args: argparse.Namespace, ctx: CliContext) -> int:
    entries = ctx.open_ledger(None).read_models.history(args.aggregate_id)
    if args.json:
        emit_json(ctx.out, entries)
    else:
        for e in entries:
            why = f": {e.why}" if e.why else ""
            print(
                f"{e.position or '-':>7}  v{e.version:<3} {e.occurred_at.isoformat()}  "
                f"{e.type:34} {e.actor} ({e.role}){why}",
                file=ctx.out,
            )
    return 0


def cmd_events(args: argparse.Namespace, ctx: CliContext) -> int:
    entries = ctx.open_ledger(None).read_models.events(after=args.after, limit=args.limit)
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


def cmd_command(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.schema:
        if args.payload is not None:
            raise UsageError("command: give either JSON or --schema, not both.")
        emit_json(ctx.out, command_schema())
        return 0
    if args.payload is None:
        raise UsageError("command: give the command as JSON, - for stdin, or --schema.")
    limit = ctx.max_command_bytes
    raw = sys.stdin.buffer.read(limit + 1) if args.payload == "-" else args.payload.encode()
    try:
        command = decode_command(raw, max_bytes=limit)
    except InvalidCommand as e:
        raise UsageError(str(e)) from None
    app = ctx.open_ledger(None).app
    aggregate_id = app.handle(command)
    log.info("command.stored", command=type(command).__name__, aggregate_id=str(aggregate_id))
    result = {"command": type(command).__name__, "aggregate_id": aggregate_id}
    if args.json:
        emit_json(ctx.out, result)
    else:
        print(f"{type(command).__name__}: done ({aggregate_id}).", file=ctx.out)
    return 0


def cmd_plan_diff(args: argparse.Namespace, ctx: CliContext) -> int:
    diff = ctx.open_ledger(None).reports.section_diff(
        args.plan_id, args.section, args.from_revision, args.to_revision
    )
    if args.json:
        emit_json(ctx.out, diff)
    else:
        print("\n".join(diff.diff) or "No change.", file=ctx.out)
    return 0


def cmd_you_said_we_did(args: argparse.Namespace, ctx: CliContext) -> int:
    register = ctx.open_ledger(None).reports.you_said_we_did(
        args.partnership, args.period_start, args.period_end
    )
    if args.json:
        emit_json(ctx.out, register)
        return 0
    print(f"You said, we did: {register.partnership_name}", file=ctx.out)
    for e in register.entries:
        print(f"\n[{e.theme}] {e.reference}, answered {e.responded_on}", file=ctx.out)
        print(f"  You said: {e.you_said}", file=ctx.out)
        print(f"  We did ({e.outcome.replace('_', ' ')}): {e.we_did}", file=ctx.out)
        for action in e.intended_actions:
            print(f"  Action: {action}", file=ctx.out)
    if not register.entries:
        print("No published responses in this period.", file=ctx.out)
    return 0


def cmd_measures(args: argparse.Namespace, ctx: CliContext) -> int:
    m = ctx.open_ledger(None).reports.measures(args.partnership, args.plan)
    if args.json:
        emit_json(ctx.out, m)
        return 0

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{share:.0%}"

    d, o, t = m.decisions, m.outcomes, m.response_times
    lines = [
        f"Co-production measures as of {m.as_of} (log position {m.position})",
        f"  decisions taken: {d.taken}; with parent input {pct(d.with_parent_input.share)}, "
        f"forum present {pct(d.forum_present.share)}, co-produced {pct(d.coproduced.share)}",
        f"  contributions: {o.received} received, {o.responded} answered; adopted "
        f"{pct(o.adopted.share)}, partly {pct(o.partly_adopted.share)}, not "
        f"{pct(o.not_adopted.share)}, out of scope {pct(o.out_of_scope.share)}",
        f"  median days to response: {t.median_days if t.median_days is not None else '-'}; "
        f"overdue responses: {m.overdue.count}",
    ]
    lines += [f"  attendance {s.sector}: {pct(s.rate)}" for s in m.attendance.sectors if s.expected]
    lines += [f"  depth {c.key}: {c.count}" for c in m.engagement.by_depth]
    print("\n".join(lines), file=ctx.out)
    return 0


def cmd_actions(args: argparse.Namespace, ctx: CliContext) -> int:
    tracker = ctx.open_ledger(None).reports.actions(args.partnership)
    if args.json:
        emit_json(ctx.out, tracker)
        return 0
    for e in tracker.entries:
        state = "done" if e.completed else ("OVERDUE" if e.overdue else "open")
        print(
            f"{e.reference:8} {state:8} due {e.due_on}  {e.percent_complete:>3}%  {e.title} "
            f"({e.owner})",
            file=ctx.out,
        )
    print(
        f"{tracker.total} actions: {tracker.completed} completed, {tracker.open} open, "
        f"{tracker.overdue} overdue.",
        file=ctx.out,
    )
    return 0


def cmd_pack(args: argparse.Namespace, ctx: CliContext) -> int:
    out: Path | None = args.out
    if out is not None:
        check_out_file(out, args.force)
    pack = ctx.open_ledger(None).reports.pack(args.kind, args.plan_id)
    text = (
        msgspec.json.encode(pack).decode() + "\n"
        if args.format == "json"
        else render_markdown(pack)
    )
    if out is None:
        ctx.out.write(text)
        return 0
    partial = out.with_name(f".{out.name}.{uuid4().hex[:8]}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        check_out_file(out, args.force)
        partial.replace(out)
    except OSError as e:
        raise UsageError(f"Cannot write {out}: {e.strerror or e}.") from None
    finally:
        partial.unlink(missing_ok=True)
    print(f"Wrote the {args.kind} pack to {out}.", file=ctx.out)
    return 0


def check_out_file(out: Path, force: bool) -> None:
    """A file to write: a new name in an existing folder, or an existing file with --force."""
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; use --force to replace it.")
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"{out} is not a file name in an existing folder.")


def cmd_checkpoint(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    checkpoint = session.auditor().checkpoint(session.signer(), at=utc_now())
    log.info("checkpoint.signed", sequence=checkpoint.sequence, tree_size=checkpoint.tree_size)
    if args.json:
        emit_json(ctx.out, checkpoint)
    else:
        print(
            f"Checkpoint {checkpoint.sequence}: {checkpoint.tree_size:,} events, root "
            f"{checkpoint.root_hash}, signed by key {checkpoint.key_id}.",
            file=ctx.out,
        )
    return 0


def cmd_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    """Trusts every --trust-key and --trusted-keys (or LEDGER_TRUSTED_KEYS_FILE, read by the
    composition root); when none is given, the signing key's public key (if its file exists)."""
    trust = [public_key_arg("--trust-key", value) for value in args.trust_key]
    session = ctx.open_ledger(None)
    auditor = session.auditor(trust)
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
        emit_json(ctx.out, report)
    else:
        print(report.summary(), file=ctx.out)
    if not report.ok:
        raise AuditFailed(report.summary())
    return 0


def cmd_prove(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    try:
        proof = session.auditor().prove(args.position, args.checkpoint)
    except LookupError as e:
        raise UsageError(str(e.args[0])) from None
    emit_json(ctx.out, proof)
    return 0


def cmd_replay(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    bar = ProgressBar("replay")
    summary = session.replay(args.to_position, args.out, bar)
    bar.finish()
    if args.json:
        emit_json(ctx.out, summary)
    else:
        url = getattr(summary, "database_url", "")
        print(
            f"Replayed the ledger to position {args.to_position} into {url}.\n"
            f"Open it with: inclusion-ledger <command> --db {url}",
            file=ctx.out,
        )
    return 0


# Audit bundles (services/bundle.py describes the format)


def _add_bundle_commands(
    sub: Any, common: argparse.ArgumentParser, as_json: argparse.ArgumentParser
) -> None:
    ex = sub.add_parser(
        "export",
        parents=[common, as_json],
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
    ex.set_defaults(handler=cmd_export)
    vb = sub.add_parser(
        "verify-bundle",
        parents=[as_json],
        help="check an audit bundle offline: no database, no network",
    )
    vb.add_argument("file", metavar="FILE", type=Path)
    vb.add_argument(
        "--trusted-key",
        metavar="HEX_OR_FILE",
        help="the ledger's Ed25519 public key (64 hex digits, or a file holding it as hex, PEM "
        "or a public_key.json); anything signed by another key fails",
    )
    vb.set_defaults(handler=cmd_verify_bundle)


def cmd_export(args: argparse.Namespace, ctx: CliContext) -> int:
    out: Path = args.out
    check_out_file(out, args.force)
    if args.from_date and args.to_date and args.from_date > args.to_date:
        raise UsageError(f"--from {args.from_date} is after --to {args.to_date}.")
    session = ctx.open_ledger(None)
    auditor = session.auditor()
    checkpoints = auditor.log.checkpoints()
    if not checkpoints:
        raise UsageError("No checkpoint yet: run `inclusion-ledger checkpoint` first, then export.")
    signer = session.own_signer()
    if signer is None or signer.public_key.hex() != checkpoints[-1].public_key:
        raise UsageError(
            f"The ledger's signing key is missing or did not sign checkpoint "
            f"{checkpoints[-1].sequence} (key {checkpoints[-1].key_id}); set "
            "LEDGER_SIGNING_KEY_FILE to the key that signs its checkpoints."
        )
    session.projector.catch_up()  # the read models say which partnership each aggregate is in
    partnerships = aggregate_partnerships(session.read_store)
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
                ledger=ctx.store_label,
                created_at=utc_now(),
                event_time=stored_event_time(session.app.mapper),
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
        emit_json(ctx.out, {"path": str(out), **msgspec.structs.asdict(summary)})
        return 0
    print(
        f"Wrote {out}: {summary.events:,} events ({selection.describe()}) against checkpoint "
        f"{summary.checkpoint} ({summary.tree_size:,} events, root {summary.root_hash[:16]}…), "
        f"signed by key {summary.key_id}.",
        file=ctx.out,
    )
    if summary.later_events:
        print(
            f"{summary.later_events:,} events recorded after checkpoint {summary.checkpoint} are "
            "not in it: run `inclusion-ledger checkpoint` first to include them.",
            file=ctx.out,
        )
    return 0


def cmd_verify_bundle(args: argparse.Namespace, ctx: CliContext) -> int:
    """Reads only FILE (and a --trusted-key file): never opens the ledger."""
    if ctx.verify_signature is None or ctx.key_id is None:
        raise RuntimeError("verify-bundle needs the signature checks wired in by the entry point")
    trusted = public_key_arg("--trusted-key", args.trusted_key) if args.trusted_key else None
    path: Path = args.file
    bar = ProgressBar("verify-bundle")
    try:
        with path.open("rb") as f:
            report = verify_bundle(
                f,
                verify_signature=ctx.verify_signature,
                key_id=ctx.key_id,
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
        emit_json(ctx.out, report)
    else:
        print(report.summary(), file=ctx.out)
    if not report.ok:
        raise AuditFailed(report.summary())
    return 0


def public_key_arg(option: str, value: str) -> bytes:
    """A raw Ed25519 public key given on the command line, or the file holding it."""
    try:
        return parse_public_key(value)
    except ValueError:
        pass
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{option} {value!r} is neither 64 hex digits nor a file holding the key.")
    try:
        return parse_public_key(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as e:
        raise UsageError(f"{option} {value}: {e}.") from None
    except OSError as e:
        raise UsageError(f"Cannot read {value}: {e.strerror or e}.") from None


def cmd_keys_public(args: argparse.Namespace, ctx: CliContext) -> int:
    """Reads only the signing key file: never opens the ledger, never creates a key. The
    text is a trusted-keys file as `verify --trusted-keys` reads it."""
    if ctx.signing_key is None:
        raise RuntimeError("keys public needs the signing key wired in by the entry point")
    key = ctx.signing_key()
    if args.json:
        emit_json(
            ctx.out,
            {"algorithm": "Ed25519", "key_id": key.key_id, "public_key": key.public_key.hex()},
        )
    else:
        print(f"# Inclusion Ledger checkpoint signing key {key.key_id} (Ed25519)", file=ctx.out)
        print(key.public_key.hex(), file=ctx.out)
    return 0


def cmd_projections_rebuild(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    _within_log(session, args.at_position)
    until = args.at_position
    if args.as_of is not None:
        until = log_position_at(session.app, args.as_of)
    bar = ProgressBar("projections.rebuild")
    result = rebuild(
        session.app,
        session.read_store,
        until=until,
        progress=bar,
        batch_size=args.batch_size,
        read_log=session.projector.read_log,
    )
    rate = bar.finish()
    summary = {
        "position": result.position,
        "applied": result.applied,
        "skipped": result.skipped,
        "skipped_types": result.skipped_types,
        "events_per_s": round(rate),
        "models": session.read_store.counts(),
    }
    log.info("projections.rebuilt", **summary)
    if args.json:
        emit_json(ctx.out, summary)
    else:
        print(
            f"Rebuilt the read models to position {result.position}: {result.applied:,} "
            f"events ({result.skipped} skipped) at {rate:,.0f} events/s.",
            file=ctx.out,
        )
        if result.skipped:
            print(skipped_sentence(result.skipped, result.skipped_types), file=ctx.out)
    return 0


class ModelStatus(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    documents: int
    position: int
    head: int
    behind: int
    schema_version: int | None
    skipped: int
    updated_at: datetime | None
    skipped_types: dict[str, int]


def cmd_projections_status(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    head = session.projector.head()
    status = session.read_store.status()
    counts = session.read_store.counts()
    rows = [
        ModelStatus(
            model=model,
            documents=counts.get(model, 0),
            position=status.position if status else 0,
            head=head,
            behind=head - (status.position if status else 0),
            schema_version=status.schema_version if status else None,
            skipped=status.skipped if status else 0,
            updated_at=status.updated_at if status else None,
            skipped_types=status.skipped_types if status else {},
        )
        for model in MODELS
    ]
    if args.json:
        emit_json(ctx.out, rows)
    else:
        for r in rows:
            print(
                f"{r.model:13} {r.documents:>8,} documents  position {r.position:,} of "
                f"{r.head:,} ({r.behind:,} behind)",
                file=ctx.out,
            )
        if status and status.skipped:
            print(skipped_sentence(status.skipped, status.skipped_types), file=ctx.out)
        if status and status.schema_version != SCHEMA_VERSION:
            print(
                f"The read models are schema version {status.schema_version}; this release "
                f"needs {SCHEMA_VERSION}: run `inclusion-ledger projections rebuild`.",
                file=ctx.out,
            )
    return 0


def skipped_sentence(skipped: int, by_type: dict[str, int]) -> str:
    named = ", ".join(f"{topic} ({n:,})" for topic, n in sorted(by_type.items()))
    unnamed = skipped - sum(by_type.values())
    if unnamed > 0:  # counted before skipped types were recorded
        named += f"{', ' if named else ''}{unnamed:,} of types not recorded"
    return (
        f"Skipped {skipped:,} event{'s' if skipped != 1 else ''} of types these read models "
        f"do not show: {named}. A newer release may show them; after upgrading, run "
        "`inclusion-ledger projections rebuild`."
    )


def cmd_projections_run(args: argparse.Namespace, ctx: CliContext) -> int:
    session = ctx.open_ledger(None)
    projector = session.projector
    projector.batch_size = args.batch_size
    wait = ctx.waiter(args.poll)
    log.info("projections.following", position=projector.position(), head=projector.head())
    try:
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
    finally:
        ctx.close_waiter()


def log_position_at(app: LedgerApplication, when: datetime) -> int:
    """The last log position recorded at or before `when` (the log is in time order)."""
    low, high = 0, app.recorder.max_notification_id() or 0
    while low < high:
        middle = (low + high + 1) // 2
        notes = app.recorder.select_notifications(middle, 1)
        event = app.mapper.to_domain_event(notes[0]) if notes else None
        if event is not None and event.timestamp <= when:  # type: ignore[attr-defined]
            low = notes[0].id
        else:
            high = middle - 1
    return low


# Rendering


def emit_json(out: TextIO, value: object) -> None:
    out.write(msgspec.json.encode(value).decode())
    out.write("\n")


def render_plan(plan: views.PlanView, *, brief: bool = False) -> str:
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


def render_provenance(d: DecisionProvenance) -> str:
    """Who shaped a decision: where it stands, then every step in the order recorded,
    in the words of the evidence packs."""
    lines = [
        f"\n{d.reference}: {d.title}  [{d.status}]",
        f"  id: {d.id}",
        f"  text: {d.text}",
    ]
    if d.taken:
        t = d.taken
        lines.append(
            f"  taken ({t.outcome}) {account.taken_at(t)}; recorded "
            f"{account.when(t.recorded.at)}; quorum {t.quorum_required} "
            f"{'met' if t.quorum_met else 'not met'}; forum present: {_yes(t.forum_present)}; "
            f"co-produced: {_yes(t.coproduced)}"
        )
        lines.append(f"  present: {', '.join(m.name for m in t.meeting.present)}")
        lines.append(
            f"  votes counted: {t.tally.for_} for, {t.tally.against} against, "
            f"{t.tally.abstain} abstain, {t.tally.block} block"
        )
    for c in d.contributions:
        ref = c.contribution
        response = f"; response {ref.response.replace('_', ' ')}" if ref.response else ""
        state = " (unlinked)" if c.unlinked else ""
        lines.append(
            f"  contribution {ref.reference}: {c.influence} via {ref.channel}{response}{state}"
        )
    for act in d.actions:
        lines.append(
            f"  action {act.reference}: {act.title}, owner {act.owner}, due "
            f"{act.due_on} ({act.percent_complete}%)"
        )
    lines.append("  account:")
    lines += [f"    {account.when(line.at)}  {line.text}" for line in account.account(d)]
    return "\n".join(lines)


def _yes(value: bool) -> str:
    return "yes" if value else "no"
