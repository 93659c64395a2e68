"""Read models and reports: a plan section's changes, the "You said, we did" register,
co-production measures, the action tracker, and the DfE QA and inspection packs."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec

from adapters.cli.arguments import UsageError, check_out_file, date_arg, positive, uuid_arg
from adapters.cli.invocation import Invocation
from adapters.cli.render import emit_json
from adapters.cli.table import CommandTable
from adapters.whole_file import WholeFile
from projections.pack_markdown import render_markdown


def register(table: CommandTable) -> None:
    table.group("plan", help="plans")
    pdiff = table.add(
        "diff", show_section_diff, group="plan", help="how a section changed between two revisions"
    )
    pdiff.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    pdiff.add_argument("section", metavar="SECTION")
    pdiff.add_argument("from_revision", type=positive, metavar="FROM")
    pdiff.add_argument("to_revision", type=positive, metavar="TO")

    ysw = table.add(
        "you-said-we-did",
        show_you_said_we_did,
        help="the de-identified reg 56 register of responses",
    )
    ysw.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)
    ysw.add_argument("--from", dest="period_start", type=date_arg, metavar="DATE")
    ysw.add_argument("--to", dest="period_end", type=date_arg, metavar="DATE")

    ms = table.add(
        "measures",
        show_measures,
        help="co-production measures of a partnership or one of its plans",
    )
    ms.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)
    ms.add_argument("--plan", type=uuid_arg, metavar="ID")

    acts = table.add(
        "actions", show_actions, help="the action tracker: commitments, progress, overdue"
    )
    acts.add_argument("--partnership", type=uuid_arg, metavar="ID", required=True)

    pk = table.add(
        "pack",
        write_pack,
        json=False,
        help="a DfE QA pack or an inspection evidence pack for a plan",
    )
    pk.add_argument("kind", choices=("qa", "inspection"))
    pk.add_argument("plan_id", type=uuid_arg, metavar="PLAN_ID")
    pk.add_argument("--format", choices=("markdown", "json"), default="markdown")
    pk.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of stdout")
    pk.add_argument("--force", action="store_true", help="replace FILE if it exists")


def show_section_diff(args: argparse.Namespace, cli: Invocation) -> int:
    diff = cli.ledger().reports.section_diff(
        args.plan_id, args.section, args.from_revision, args.to_revision
    )
    if args.json:
        emit_json(cli.out, diff)
    else:
        print("\n".join(diff.diff) or "No change.", file=cli.out)
    return 0


def show_you_said_we_did(args: argparse.Namespace, cli: Invocation) -> int:
    register = cli.ledger().reports.you_said_we_did(
        args.partnership, args.period_start, args.period_end
    )
    if args.json:
        emit_json(cli.out, register)
        return 0
    print(f"You said, we did: {register.partnership_name}", file=cli.out)
    for e in register.entries:
        print(f"\n[{e.theme}] {e.reference}, answered {e.responded_on}", file=cli.out)
        print(f"  You said: {e.you_said}", file=cli.out)
        print(f"  We did ({e.outcome.replace('_', ' ')}): {e.we_did}", file=cli.out)
        for action in e.intended_actions:
            print(f"  Action: {action}", file=cli.out)
    if not register.entries:
        print("No published responses in this period.", file=cli.out)
    return 0


def show_measures(args: argparse.Namespace, cli: Invocation) -> int:
    m = cli.ledger().reports.measures(args.partnership, args.plan)
    if args.json:
        emit_json(cli.out, m)
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
    print("\n".join(lines), file=cli.out)
    return 0


def show_actions(args: argparse.Namespace, cli: Invocation) -> int:
    tracker = cli.ledger().reports.actions(args.partnership)
    if args.json:
        emit_json(cli.out, tracker)
        return 0
    for e in tracker.entries:
        state = "done" if e.completed else ("OVERDUE" if e.overdue else "open")
        print(
            f"{e.reference:8} {state:8} due {e.due_on}  {e.percent_complete:>3}%  {e.title} "
            f"({e.owner})",
            file=cli.out,
        )
    print(
        f"{tracker.total} actions: {tracker.completed} completed, {tracker.open} open, "
        f"{tracker.overdue} overdue.",
        file=cli.out,
    )
    return 0


def write_pack(args: argparse.Namespace, cli: Invocation) -> int:
    out: Path | None = args.out
    if out is not None:
        check_out_file(out, args.force)
    pack = cli.ledger().reports.pack(args.kind, args.plan_id)
    text = (
        msgspec.json.encode(pack).decode() + "\n"
        if args.format == "json"
        else render_markdown(pack)
    )
    if out is None:
        cli.out.write(text)
        return 0
    target = WholeFile(out)
    try:
        with target.open_partial() as f:
            f.write(text.encode("utf-8"))
        check_out_file(out, args.force)
        target.commit()
    except OSError as e:
        raise UsageError(f"Cannot write {out}: {e.strerror or e}.") from None
    finally:
        target.discard()
    print(f"Wrote the {args.kind} pack to {out}.", file=cli.out)
    return 0
