"""Markdown both evidence packs share: tables and cells, the plan header, the
co-production measures and the action tracker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from projections.account import when
from projections.measures import CoproductionMeasures, Ratio
from projections.packs import InspectionPack, QAPack
from projections.register import ActionEntry, ActionTracker


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def one_line(value: object) -> str:
    return " ".join(str(value).split())


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    out.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return [*out, ""]


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def ratio(r: Ratio) -> str:
    return f"{r.count} of {r.of} ({percent(r.share)})"


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def count_of(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def words(key: str) -> str:
    return key.replace("_", " ")


def pack_header(title: str, pack: QAPack | InspectionPack) -> list[str]:
    p = pack.plan
    return [
        f"# {one_line(title)}: {one_line(p.title)}",
        "",
        f"{one_line(p.partnership_name)} (local authority {p.la_code}, ICB {p.icb_code}). "
        f"As of {pack.as_of.isoformat()}; reflects ledger position {pack.position}.",
        "",
        "## Plan",
        "",
        *table(
            ("Field", "Value"),
            [
                ("Plan id", p.plan_id),
                ("Template", f"{p.template} v{p.template_version}"),
                ("Period", f"{p.period_start.isoformat()} to {p.period_end.isoformat()}"),
                ("Stage", words(p.stage)),
                ("Versions submitted", p.version),
                ("Drafted", when(p.drafted_at)),
                ("Local offer", p.local_offer_url or "not published"),
                ("Superseded by", p.superseded_by or ""),
            ],
        ),
    ]


def quorum_text(required: int | None, met: bool | None, present: int) -> str:
    if required is None:
        return ""
    return f"{present} present, {required} required, {'met' if met else 'not met'}"


def tracker_lines(t: ActionTracker) -> list[str]:
    lines = [
        f"{count_of(t.total, 'action')}: {t.completed} completed, {t.open} open, "
        f"{t.overdue} overdue.",
        "",
    ]
    return lines + actions_table(t.entries) if t.entries else lines


def actions_table(entries: Sequence[ActionEntry]) -> list[str]:
    return table(
        ("Reference", "Decision", "Title", "Owner", "Due", "Progress", "Status", "Latest note"),
        [
            (
                a.reference,
                a.decision_reference or "",
                a.title,
                a.owner,
                when(a.due_on),
                f"{a.percent_complete}%",
                _action_status(a),
                a.progress[-1].note if a.progress else "",
            )
            for a in entries
        ],
    )


def _action_status(a: ActionEntry) -> str:
    if a.completed:
        return f"completed {when(a.completed_at)}" + (" (late)" if a.completed_late else "")
    if a.overdue:
        return f"overdue by {a.days_overdue} days"
    return "open"


def measures_lines(m: CoproductionMeasures) -> list[str]:
    d, o, r, od = m.decisions, m.outcomes, m.response_times, m.overdue
    lines = [
        "## Co-production measures",
        "",
        f"As of {m.as_of.isoformat()}; reflects ledger position {m.position}.",
        "",
        "### Decisions",
        "",
    ]
    lines += table(
        ("Measure", "Value"),
        [
            ("Decisions", d.in_scope),
            ("Taken", f"{d.taken} ({d.approved} approved, {d.rejected} rejected)"),
            ("Open", d.open),
            ("Deferred", d.deferred),
            ("Superseded", d.superseded),
            ("With parent or young person input", ratio(d.with_parent_input)),
            ("Parent carer forum present", ratio(d.forum_present)),
            ("Recorded as co-produced", ratio(d.coproduced)),
        ],
    )
    lines += ["### Contributions and responses", ""]
    lines += [
        f"{o.received} received, {o.responded} answered, {o.awaiting_response} awaiting a "
        f"response, {o.routed_to_case} routed to an individual case.",
        "",
    ]
    lines += table(
        ("Outcome", "Count", "Share of responses"),
        [
            ("adopted", o.adopted.count, percent(o.adopted.share)),
            ("partly adopted", o.partly_adopted.count, percent(o.partly_adopted.share)),
            ("not adopted", o.not_adopted.count, percent(o.not_adopted.share)),
            ("out of scope", o.out_of_scope.count, percent(o.out_of_scope.share)),
        ],
    )
    median = "n/a" if r.median_days is None else f"{r.median_days:g}"
    lines += [
        f"Median days from contribution to response: {median}"
        + (f" (longest {r.longest_days})" if r.longest_days is not None else "")
        + f"; answered within {od.due_days} days: {ratio(r.within_due)}.",
        "",
        f"### Overdue responses (no response after {od.due_days} days)",
        "",
    ]
    lines += (
        table(
            ("Reference", "Submitted", "Days waiting"),
            [(x.reference, when(x.submitted_on), x.days_waiting) for x in od.contributions],
        )
        if od.contributions
        else ["None.", ""]
    )
    a = m.attendance
    lines += [
        "### Attendance by sector",
        "",
        f"{a.meetings_recorded} of {count_of(a.meetings, 'meeting')} with attendance recorded.",
        "",
    ]
    lines += table(
        ("Sector", "Members", "Attendances", "Apologies", "Expected", "Rate"),
        [
            (words(s.sector), s.members, s.attendances, s.apologies, s.expected, percent(s.rate))
            for s in a.sectors
        ],
    )
    e = m.engagement
    lines += ["### Depth of engagement", ""]
    lines += table(
        ("Depth", "Contributions", "Share"),
        [(c.key, c.count, percent(c.share)) for c in e.by_depth],
    )
    return lines
