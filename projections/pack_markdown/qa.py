"""The DfE quality-assurance pack in Markdown: the plan's stages, versions, sections,
revisions, consultation, feedback and cited decisions, then the reg 56 register."""

from __future__ import annotations

from uuid import UUID

from projections.account import when, who
from projections.pack_markdown.shared import (
    count_of,
    measures_lines,
    one_line,
    pack_header,
    quorum_text,
    table,
    tracker_lines,
    words,
    yes_no,
)
from projections.packs import QAPack
from projections.reg56 import YouSaidWeDid


def qa_lines(pack: QAPack) -> list[str]:
    lines = pack_header("DfE quality assurance pack", pack)
    lines += ["## Stage history", ""]
    lines += table(
        ("Date", "Stage", "Event", "By"),
        [(when(s.at), words(s.stage), s.event, who(s.by)) for s in pack.stages],
    )
    lines += ["## Submitted versions", ""]
    lines += (
        table(
            ("Version", "Submitted", "Content hash"),
            [(s.version, when(s.submitted_at), f"`{s.content_hash}`") for s in pack.submissions],
        )
        if pack.submissions
        else ["Not yet submitted.", ""]
    )
    lines += ["## Current sections", ""]
    for s in pack.sections:
        text = s.text.strip() or "_No text yet._"
        lines += [f"### {one_line(s.title)} (revision {s.revision})", "", text, ""]
    lines += ["## Revision history", ""]
    lines += table(
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
        table(
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
                    ", ".join(words(ch) for ch in c.channels),
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
        table(
            ("Date", "Outcome", "Findings", "By"),
            [
                (when(f.at), words(f.outcome), "; ".join(f.findings) or "none", who(f.by))
                for f in pack.qa_feedback
            ],
        )
        if pack.qa_feedback
        else ["No feedback yet.", ""]
    )
    lines += ["## Decisions cited", ""]
    lines += (
        table(
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
                    words(d.category),
                    words(d.status),
                    d.outcome or "",
                    when(d.taken_at),
                    when(d.recorded_at),
                    quorum_text(d.quorum_required, d.quorum_met, d.members_present),
                    yes_no(d.forum_present),
                    yes_no(d.coproduced),
                    ", ".join(f"{c.section_title} r{c.revision}" for c in d.citations),
                )
                for d in pack.decisions
            ],
        )
        if pack.decisions
        else ["The plan cites no decisions.", ""]
    )
    lines += ["## Actions arising", ""]
    lines += tracker_lines(pack.actions)
    lines += measures_lines(pack.measures)
    lines += _reg56_lines(pack.you_said_we_did, {d.id: d.reference for d in pack.linked_decisions})
    return lines


def _reg56_lines(register: YouSaidWeDid, references: dict[UUID, str]) -> list[str]:
    lines = [
        "## You said, we did (reg 56)",
        "",
        f"{count_of(register.received, 'contribution')} received, "
        f"{count_of(register.published, 'response')} published; "
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
                lines += table(headers, rows)
            theme, rows = entry.theme, []
            lines += [f"### {one_line(entry.theme)}", ""]
        rows.append(
            (
                entry.reference,
                entry.you_said,
                words(entry.outcome),
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
        lines += table(headers, rows)
    if not register.entries:
        lines += ["Nothing published yet.", ""]
    return lines
