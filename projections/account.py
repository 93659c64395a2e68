"""The words for a decision's account, in one place: `decision show` and the evidence
packs say who did what, when and why in the same sentences."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from projections.provenance import (
    DecisionProvenance,
    NotCounted,
    PersonRef,
    Step,
    TakenEntry,
    VoteEntry,
)


class AccountLine(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    text: str


def who(person: PersonRef) -> str:
    """A member by name and role (and the role they acted in, when another), anyone
    else by id and the role they acted in."""
    if not person.member:
        return f"{person.name} ({person.role})" if person.role else person.name
    name = f"{person.name} ({person.role})" if person.role else person.name
    if person.acting_as and person.acting_as not in ("member", person.role):
        return f"{name} as {person.acting_as}"
    return name


def when(at: datetime | date | None) -> str:
    if at is None:
        return ""
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%d %H:%M %Z").strip()
    return at.isoformat()


def not_counted(vote: VoteEntry) -> str:
    """Why a vote did not count, or "" when it did."""
    if vote.not_counted is NotCounted.WITHDRAWN:
        return "withdrawn"
    if vote.not_counted is NotCounted.DECLARED_INTEREST:
        return "declared an interest"
    if vote.not_counted is NotCounted.ABSENT:
        return "not present at the meeting"
    return ""


def taken_at(taken: TakenEntry) -> str:
    """Where and when a decision was taken: at its meeting, at the meeting's time."""
    return f"at {taken.meeting.title} ({when(taken.taken_at)})"


def taken_and_recorded(taken_at: datetime, recorded_at: datetime) -> str:
    """When a decision was taken (its meeting's time) and when it was recorded."""
    return f"taken {when(taken_at)}, recorded {when(recorded_at)}"


def account(p: DecisionProvenance) -> list[AccountLine]:
    """Every step of the decision's account as one sentence each, in the order they
    were recorded: what was done, by whom, and why."""
    lines: list[AccountLine] = []

    def add(step: Step, what: str) -> None:
        why = f": {step.why.strip()}" if step.why.strip() else ""
        text = f"{what}{why}"
        lines.append(AccountLine(at=step.at, text=text if text[-1] in ".!?" else f"{text}."))

    proposal = p.proposal
    add(
        proposal.recorded,
        f"Proposed by {who(proposal.proposer)}{_recorder(proposal.recorded, proposal.proposer)}",
    )
    for link in p.contributions:
        ref = link.contribution.reference
        add(link.linked, f"Contribution {ref} linked ({link.influence}) by {who(link.linked.by)}")
        if link.unlinked is not None:
            add(link.unlinked, f"Contribution {ref} unlinked by {who(link.unlinked.by)}")
    for a in p.amendments:
        cause = f", because of {', '.join(c.reference for c in a.caused_by)}" if a.caused_by else ""
        add(a.amended, f"Amended by {who(a.amended.by)}{cause}")
    for i in p.interests:
        declared = "declared an interest" if i.has_interest else "declared no interest"
        add(i.declared, f"{who(i.member)} {declared}{_recorder(i.declared, i.member)}")
    for v in p.votes:
        excluded = f" (not counted: {not_counted(v)})" if not v.counted else ""
        add(
            v.recorded,
            f"{who(v.member)} voted {v.stance}{excluded}{_recorder(v.recorded, v.member)}",
        )
        if v.withdrawn is not None:
            add(
                v.withdrawn,
                f"{who(v.member)} withdrew their vote {v.stance}{_recorder(v.withdrawn, v.member)}",
            )
    if p.taken is not None:
        t = p.taken
        add(t.recorded, f"Taken ({t.outcome}) {taken_at(t)}, recorded by {who(t.recorded.by)}")
    for d in p.deferrals:
        until = f" until {when(d.until)}" if d.until else ""
        add(d.deferred, f"Deferred{until} by {who(d.deferred.by)}")
    for r in p.reviews:
        add(r.scheduled, f"Review scheduled for {when(r.review_on)} by {who(r.scheduled.by)}")
    if p.superseded is not None:
        s = p.superseded
        add(
            s.superseded,
            f"Superseded by {s.superseded_by.reference}, recorded by {who(s.superseded.by)}",
        )
    for cited in p.plan_revisions:
        add(
            cited.revised,
            f"Cited in {cited.plan.reference}, {cited.section_title} revision {cited.revision}, "
            f"revised by {who(cited.revised.by)}",
        )
    for act in p.actions:
        add(
            act.committed,
            f"Action {act.reference} committed by {who(act.committed.by)}: {act.title}; owner "
            f"{act.owner}, due {when(act.due_on)}",
        )
    return sorted(lines, key=lambda line: line.at)


def _recorder(step: Step, subject: PersonRef) -> str:
    """Who recorded a step about someone else; nothing when they recorded it themselves."""
    if step.by.id == subject.id:
        return ""
    return f", recorded by {who(step.by)}"
