"""Terminal rendering: one JSON document, or text for people, of what the commands return."""

from __future__ import annotations

from typing import TextIO

import msgspec

from projections import account
from projections.provenance import DecisionProvenance
from services import views


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
            f"{'met' if t.quorum_met else 'not met'}; forum present: {yes_no(t.forum_present)}; "
            f"co-produced: {yes_no(t.coproduced)}"
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


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


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
