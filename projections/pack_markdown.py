"""The evidence packs as readable Markdown documents.

A decision's account is told in the words of `projections.account`, the same
sentences `decision show` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from projections.account import account, not_counted, when, who
from projections.measures import CoproductionMeasures, Ratio
from projections.packs import InspectionPack, QAPack
from projections.provenance import DecisionProvenance, TakenEntry
from projections.reg56 import YouSaidWeDid
from projections.register import ActionEntry, ActionTracker


def render_markdown(pack: QAPack | InspectionPack) -> str:
    """The pack as a readable Markdown document."""
    lines = _qa_lines(pack) if isinstance(pack, QAPack) else _inspection_lines(pack)
    return "\n".join(lines).rstrip() + "\n"


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _line(value: object) -> str:
    return " ".join(str(value).split())


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    out.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return [*out, ""]


def _share(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _ratio(r: Ratio) -> str:
    return f"{r.count} of {r.of} ({_share(r.share)})"


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _words(key: str) -> str:
    return key.replace("_", " ")


def _header(title: str, pack: QAPack | InspectionPack) -> list[str]:
    p = pack.plan
    return [
        f"# {_line(title)}: {_line(p.title)}",
        "",
        f"{_line(p.partnership_name)} (local authority {p.la_code}, ICB {p.icb_code}). "
        f"As of {pack.as_of.isoformat()}; reflects ledger position {pack.position}.",
        "",
        "## Plan",
        "",
        *_table(
            ("Field", "Value"),
            [
                ("Plan id", p.plan_id),
                ("Template", f"{p.template} v{p.template_version}"),
                ("Period", f"{p.period_start.isoformat()} to {p.period_end.isoformat()}"),
                ("Stage", _words(p.stage)),
                ("Versions submitted", p.version),
                ("Drafted", when(p.drafted_at)),
                ("Local offer", p.local_offer_url or "not published"),
                ("Superseded by", p.superseded_by or ""),
            ],
        ),
    ]


def _qa_lines(pack: QAPack) -> list[str]:
    lines = _header("DfE quality assurance pack", pack)
    lines += ["## Stage history", ""]
    lines += _table(
        ("Date", "Stage", "Event", "By"),
        [(when(s.at), _words(s.stage), s.event, who(s.by)) for s in pack.stages],
    )
    lines += ["## Submitted versions", ""]
    lines += (
        _table(
            ("Version", "Submitted", "Content hash"),
            [(s.version, when(s.submitted_at), f"`{s.content_hash}`") for s in pack.submissions],
        )
        if pack.submissions
        else ["Not yet submitted.", ""]
    )
    lines += ["## Current sections", ""]
    for s in pack.sections:
        text = s.text.strip() or "_No text yet._"
        lines += [f"### {_line(s.title)} (revision {s.revision})", "", text, ""]
    lines += ["## Revision history", ""]
    lines += _table(
        ("Section", "Revision", "Date", "By", "Rationale", "Decisions cited", "Contributions"),
        [
            (
                r.section_title,
                r.revision,
                when(r.revised_at),
                who(r.revised_by),
                r.rationale,
                ", ".join(d.reference for d in r.cited_decisions),
                ", ".join(c.reference for c in r.cited_contributions),
            )
            for r in pack.revisions
        ],
    )
    lines += ["## Consultation", ""]
    lines += (
        _table(
            (
                "Opens",
                "Closes",
                "Channels",
                "Accessible formats",
                "Closed",
                "Responses",
                "Contributions recorded",
                "Summary",
            ),
            [
                (
                    when(c.opens_on),
                    when(c.closes_on),
                    ", ".join(_words(ch) for ch in c.channels),
                    ", ".join(c.accessible_formats),
                    when(c.closed_at) or "open",
                    c.responses_received,
                    c.contributions_recorded,
                    c.summary,
                )
                for c in pack.consultations
            ],
        )
        if pack.consultations
        else ["No consultation recorded.", ""]
    )
    lines += ["## QA feedback", ""]
    lines += (
        _table(
            ("Date", "Outcome", "Findings", "By"),
            [
                (when(f.at), _words(f.outcome), "; ".join(f.findings) or "none", who(f.by))
                for f in pack.qa_feedback
            ],
        )
        if pack.qa_feedback
        else ["No feedback yet.", ""]
    )
    lines += ["## Decisions cited", ""]
    lines += (
        _table(
            (
                "Reference",
                "Title",
                "Category",
                "Status",
                "Outcome",
                "Taken",
                "Recorded",
                "Quorum",
                "Forum present",
                "Co-produced",
                "Cited in",
            ),
            [
                (
                    d.reference,
                    d.title,
                    _words(d.category),
                    _words(d.status),
                    d.outcome or "",
                    when(d.taken_at),
                    when(d.recorded_at),
                    _quorum(d.quorum_required, d.quorum_met, d.members_present),
                    _yes(d.forum_present),
                    _yes(d.coproduced),
                    ", ".join(f"{c.section_title} r{c.revision}" for c in d.citations),
                )
                for d in pack.decisions
            ],
        )
        if pack.decisions
        else ["The plan cites no decisions.", ""]
    )
    lines += ["## Actions arising", ""]
    lines += _tracker_lines(pack.actions)
    lines += _measures_lines(pack.measures)
    lines += _reg56_lines(pack.you_said_we_did, {d.id: d.reference for d in pack.linked_decisions})
    return lines


def _quorum(required: int | None, met: bool | None, present: int) -> str:
    if required is None:
        return ""
    return f"{present} present, {required} required, {'met' if met else 'not met'}"


def _inspection_lines(pack: InspectionPack) -> list[str]:
    lines = _header("Inspection evidence pack", pack)
    lines += ["## Who shaped each decision", ""]
    if not pack.decisions:
        lines += ["The plan cites no decisions.", ""]
    for d in pack.decisions:
        lines += _decision_lines(d, [a for a in pack.actions.entries if a.decision_id == d.id])
    lines += _measures_lines(pack.measures)
    lines += ["## Action tracker", ""]
    lines += _tracker_lines(pack.actions)
    return lines


def _tracker_lines(t: ActionTracker) -> list[str]:
    lines = [
        f"{_count(t.total, 'action')}: {t.completed} completed, {t.open} open, "
        f"{t.overdue} overdue.",
        "",
    ]
    return lines + _actions_table(t.entries) if t.entries else lines


def _decision_lines(d: DecisionProvenance, actions: Sequence[ActionEntry]) -> list[str]:
    proposal = d.proposal
    lines = [f"### {_line(d.reference)}: {_line(d.title)}", ""]
    lines += _table(
        ("Field", "Value"),
        [
            ("Category", _words(d.category)),
            ("Status", _words(d.status)),
            ("Proposed by", who(proposal.proposer)),
            ("Proposed", when(proposal.recorded.at)),
            ("Options", "; ".join(proposal.options)),
            ("Evidence", "; ".join(proposal.evidence)),
            ("Text as proposed", proposal.text),
            ("Text as decided" if d.taken else "Current text", d.text),
            ("Superseded by", d.superseded.superseded_by.reference if d.superseded else ""),
        ],
    )
    lines += ["#### Who shaped it, step by step", ""]
    lines += [f"- {when(line.at)}: {_line(line.text)}" for line in account(d)]
    lines += ["", "#### Contributions linked", ""]
    lines += (
        _table(
            (
                "Reference",
                "From",
                "Channel",
                "Depth",
                "Influence",
                "Linked",
                "Unlinked",
                "Summary",
                "Response",
                "Responded",
            ),
            [
                (
                    c.contribution.reference,
                    _words(c.contribution.contributor_kind),
                    _words(c.contribution.channel),
                    c.contribution.depth,
                    c.influence,
                    f"{when(c.linked.at)} by {who(c.linked.by)}",
                    f"{when(c.unlinked.at)} by {who(c.unlinked.by)}: {c.unlinked.why}"
                    if c.unlinked
                    else "",
                    c.contribution.summary,
                    _response(c.contribution.response, c.contribution.response_rationale),
                    when(c.contribution.responded_on),
                )
                for c in d.contributions
            ],
        )
        if d.contributions
        else ["No contributions linked.", ""]
    )
    if d.taken is not None:
        lines += _taken_lines(d.taken)
    else:
        lines += ["#### Outcome", "", "Not taken.", ""]
    lines += ["#### Votes", ""]
    lines += (
        _table(
            ("Member", "Sector", "Stance", "Reason", "Recorded", "Counted"),
            [
                (
                    who(v.member),
                    _words(v.member.sector),
                    v.stance,
                    v.recorded.why,
                    when(v.recorded.at),
                    "yes" if v.counted else f"no: {not_counted(v)}",
                )
                for v in d.votes
            ],
        )
        if d.votes
        else ["No votes recorded.", ""]
    )
    lines += ["#### Actions", ""]
    lines += _actions_table(actions) if actions else ["No actions committed.", ""]
    return lines


def _taken_lines(t: TakenEntry) -> list[str]:
    m = t.meeting
    tally = t.tally
    lines = ["#### Attendance", ""]
    lines += [f"{_line(m.title) or 'Meeting'}, held {when(m.held_at)}.", ""]
    lines += _table(
        ("Member", "Organisation", "Sector", "Attendance"),
        [(who(p), p.organisation, _words(p.sector), "present") for p in m.present]
        + [(who(p), p.organisation, _words(p.sector), "apologies") for p in m.apologies],
    )
    lines += ["#### Outcome", ""]
    lines += _table(
        ("Field", "Value"),
        [
            ("Outcome", t.outcome),
            ("Taken", when(t.taken_at)),
            ("Recorded", when(t.recorded.at)),
            ("Recorded by", who(t.recorded.by)),
            ("Terms of reference", f"version {t.terms_version}"),
            ("Quorum", _quorum(t.quorum_required, t.quorum_met, len(m.present))),
            ("Forum present", _yes(t.forum_present)),
            ("Co-produced", _yes(t.coproduced)),
            (
                "Tally",
                f"{tally.for_} for, {tally.against} against, {tally.abstain} abstain, "
                f"{tally.block} block",
            ),
            ("Votes excluded (interest)", ", ".join(who(p) for p in t.excluded_votes)),
            ("Votes of absent members", ", ".join(who(p) for p in t.absent_votes)),
            ("Dissent", "; ".join(f"{who(x.member)}: {x.stance}" for x in t.dissent)),
            ("Rationale", t.recorded.why),
        ],
    )
    return lines


def _response(outcome: str | None, rationale: str) -> str:
    if outcome is None:
        return "awaiting response"
    return f"{_words(outcome)}: {rationale}" if rationale else _words(outcome)


def _actions_table(entries: Sequence[ActionEntry]) -> list[str]:
    return _table(
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


def _measures_lines(m: CoproductionMeasures) -> list[str]:
    d, o, r, od = m.decisions, m.outcomes, m.response_times, m.overdue
    lines = [
        "## Co-production measures",
        "",
        f"As of {m.as_of.isoformat()}; reflects ledger position {m.position}.",
        "",
        "### Decisions",
        "",
    ]
    lines += _table(
        ("Measure", "Value"),
        [
            ("Decisions", d.in_scope),
            ("Taken", f"{d.taken} ({d.approved} approved, {d.rejected} rejected)"),
            ("Open", d.open),
            ("Deferred", d.deferred),
            ("Superseded", d.superseded),
            ("With parent or young person input", _ratio(d.with_parent_input)),
            ("Parent carer forum present", _ratio(d.forum_present)),
            ("Recorded as co-produced", _ratio(d.coproduced)),
        ],
    )
    lines += ["### Contributions and responses", ""]
    lines += [
        f"{o.received} received, {o.responded} answered, {o.awaiting_response} awaiting a "
        f"response, {o.routed_to_case} routed to an individual case.",
        "",
    ]
    lines += _table(
        ("Outcome", "Count", "Share of responses"),
        [
            ("adopted", o.adopted.count, _share(o.adopted.share)),
            ("partly adopted", o.partly_adopted.count, _share(o.partly_adopted.share)),
            ("not adopted", o.not_adopted.count, _share(o.not_adopted.share)),
            ("out of scope", o.out_of_scope.count, _share(o.out_of_scope.share)),
        ],
    )
    median = "n/a" if r.median_days is None else f"{r.median_days:g}"
    lines += [
        f"Median days from contribution to response: {median}"
        + (f" (longest {r.longest_days})" if r.longest_days is not None else "")
        + f"; answered within {od.due_days} days: {_ratio(r.within_due)}.",
        "",
        f"### Overdue responses (no response after {od.due_days} days)",
        "",
    ]
    lines += (
        _table(
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
        f"{a.meetings_recorded} of {_count(a.meetings, 'meeting')} with attendance recorded.",
        "",
    ]
    lines += _table(
        ("Sector", "Members", "Attendances", "Apologies", "Expected", "Rate"),
        [
            (_words(s.sector), s.members, s.attendances, s.apologies, s.expected, _share(s.rate))
            for s in a.sectors
        ],
    )
    e = m.engagement
    lines += ["### Depth of engagement", ""]
    lines += _table(
        ("Depth", "Contributions", "Share"),
        [(c.key, c.count, _share(c.share)) for c in e.by_depth],
    )
    return lines


def _reg56_lines(register: YouSaidWeDid, references: dict[UUID, str]) -> list[str]:
    lines = [
        "## You said, we did (reg 56)",
        "",
        f"{_count(register.received, 'contribution')} received, "
        f"{_count(register.published, 'response')} published; "
        f"{register.awaiting_response} awaiting a response, "
        f"{register.awaiting_summary} awaiting a de-identified summary.",
        "",
    ]
    theme = None
    rows: list[tuple[object, ...]] = []
    headers = (
        "Reference",
        "You said",
        "Response",
        "We did",
        "Intended actions",
        "Responded",
        "Decisions",
    )
    for entry in register.entries:
        if entry.theme != theme:
            if rows:
                lines += _table(headers, rows)
            theme, rows = entry.theme, []
            lines += [f"### {_line(entry.theme)}", ""]
        rows.append(
            (
                entry.reference,
                entry.you_said,
                _words(entry.outcome),
                entry.we_did,
                "; ".join(entry.intended_actions),
                when(entry.responded_on),
                ", ".join(
                    f"{references.get(x.decision_id, str(x.decision_id))} ({x.influence})"
                    for x in entry.decisions
                ),
            )
        )
    if rows:
        lines += _table(headers, rows)
    if not register.entries:
        lines += ["Nothing published yet.", ""]
    return lines
