"""The area SEND inspection pack in Markdown: who shaped each decision, step by step,
with its contributions, attendance, outcome, votes and actions."""

from __future__ import annotations

from collections.abc import Sequence

from projections.account import account, not_counted, when, who
from projections.pack_markdown.shared import (
    actions_table,
    measures_lines,
    one_line,
    pack_header,
    quorum_text,
    table,
    tracker_lines,
    words,
    yes_no,
)
from projections.packs import InspectionPack
from projections.provenance import DecisionProvenance, TakenEntry
from projections.register import ActionEntry


def inspection_lines(pack: InspectionPack) -> list[str]:
    lines = pack_header("Inspection evidence pack", pack)
    lines += ["## Who shaped each decision", ""]
    if not pack.decisions:
        lines += ["The plan cites no decisions.", ""]
    for d in pack.decisions:
        lines += _decision_lines(d, [a for a in pack.actions.entries if a.decision_id == d.id])
    lines += measures_lines(pack.measures)
    lines += ["## Action tracker", ""]
    lines += tracker_lines(pack.actions)
    return lines


def _decision_lines(d: DecisionProvenance, actions: Sequence[ActionEntry]) -> list[str]:
    proposal = d.proposal
    lines = [f"### {one_line(d.reference)}: {one_line(d.title)}", ""]
    lines += table(
        ("Field", "Value"),
        [
            ("Category", words(d.category)),
            ("Status", words(d.status)),
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
    lines += [f"- {when(line.at)}: {one_line(line.text)}" for line in account(d)]
    lines += ["", "#### Contributions linked", ""]
    lines += (
        table(
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
                    words(c.contribution.contributor_kind),
                    words(c.contribution.channel),
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
        table(
            ("Member", "Sector", "Stance", "Reason", "Recorded", "Counted"),
            [
                (
                    who(v.member),
                    words(v.member.sector),
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
    lines += actions_table(actions) if actions else ["No actions committed.", ""]
    return lines


def _taken_lines(t: TakenEntry) -> list[str]:
    m = t.meeting
    tally = t.tally
    lines = ["#### Attendance", ""]
    lines += [f"{one_line(m.title) or 'Meeting'}, held {when(m.held_at)}.", ""]
    lines += table(
        ("Member", "Organisation", "Sector", "Attendance"),
        [(who(p), p.organisation, words(p.sector), "present") for p in m.present]
        + [(who(p), p.organisation, words(p.sector), "apologies") for p in m.apologies],
    )
    lines += ["#### Outcome", ""]
    lines += table(
        ("Field", "Value"),
        [
            ("Outcome", t.outcome),
            ("Taken", when(t.taken_at)),
            ("Recorded", when(t.recorded.at)),
            ("Recorded by", who(t.recorded.by)),
            ("Terms of reference", f"version {t.terms_version}"),
            ("Quorum", quorum_text(t.quorum_required, t.quorum_met, len(m.present))),
            ("Forum present", yes_no(t.forum_present)),
            ("Co-produced", yes_no(t.coproduced)),
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
    return f"{words(outcome)}: {rationale}" if rationale else words(outcome)
