"""The "You said, we did" register (SEND Regulations 2014 reg 56).

The authority publishes the comments it received and its responses with the
action it intends, in a form that identifies no one. So an entry is built only
from a contribution's de-identified summary (the one text about what was said)
and its response; a contribution lacking either is counted, never published.
Contributor identity and raw text are not in the documents, and nothing here
would read them if they were.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from projections.documents import ContributionDoc, PartnershipDoc
from projections.measures import position_of

GENERAL_THEME = "general"
"""The theme an entry is listed under when triage gave it none."""


class LinkedDecision(msgspec.Struct, frozen=True, kw_only=True):
    decision_id: UUID
    influence: str


class YouSaidWeDidEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`theme` is the first of the contribution's themes: the one it is listed under."""

    contribution_id: UUID
    reference: str
    theme: str
    themes: list[str]
    sections: list[str]
    you_said: str
    outcome: str
    we_did: str
    intended_actions: list[str]
    responded_on: date
    decisions: list[LinkedDecision]


class YouSaidWeDid(msgspec.Struct, frozen=True, kw_only=True):
    """Entries are the responses issued in the period, sorted by theme, then date.

    `received` counts contributions submitted in the period; of those,
    `received_and_published` have an entry (whenever answered),
    `awaiting_response` have no response yet and `routed_to_case` were about one
    child rather than the plan. `awaiting_summary` counts responses issued in
    the period that cannot be published until a de-identified summary is recorded.
    """

    partnership_id: UUID
    partnership_name: str
    period_start: date | None
    period_end: date | None
    position: int
    received: int
    received_and_published: int
    awaiting_response: int
    routed_to_case: int
    awaiting_summary: int
    published: int
    entries: list[YouSaidWeDidEntry]


def you_said_we_did(
    partnership: PartnershipDoc,
    contributions: list[ContributionDoc],
    *,
    period_start: date | None = None,
    period_end: date | None = None,
) -> YouSaidWeDid:
    """The register for the period (open-ended where a bound is None)."""
    own = [c for c in contributions if c.partnership_id == partnership.id]

    def in_period(day: date) -> bool:
        return (period_start is None or day >= period_start) and (
            period_end is None or day <= period_end
        )

    received = [c for c in own if in_period(c.submitted_at.date())]
    answered = [c for c in own if c.response is not None and in_period(c.response.at.date())]
    entries = sorted(
        (e for e in (entry_for(c) for c in answered) if e is not None),
        key=lambda e: (e.theme.casefold(), e.responded_on, e.reference),
    )
    return YouSaidWeDid(
        partnership_id=partnership.id,
        partnership_name=partnership.name,
        period_start=period_start,
        period_end=period_end,
        position=max(partnership.position, position_of(own)),
        received=len(received),
        received_and_published=sum(publishable(c) for c in received),
        awaiting_response=sum(c.response is None and not c.routed_to_case for c in received),
        routed_to_case=sum(c.routed_to_case for c in received),
        awaiting_summary=sum(not c.summary.strip() for c in answered),
        published=len(entries),
        entries=entries,
    )


def publishable(contribution: ContributionDoc) -> bool:
    return contribution.response is not None and bool(contribution.summary.strip())


def entry_for(contribution: ContributionDoc) -> YouSaidWeDidEntry | None:
    """The published form of a contribution, or None until it has both a
    de-identified summary and a response."""
    response = contribution.response
    if response is None or not contribution.summary.strip():
        return None
    return YouSaidWeDidEntry(
        contribution_id=contribution.id,
        reference=contribution.reference,
        theme=contribution.themes[0] if contribution.themes else GENERAL_THEME,
        themes=list(contribution.themes),
        sections=list(contribution.sections),
        you_said=contribution.summary.strip(),
        outcome=response.outcome,
        we_did=response.rationale,
        intended_actions=list(response.actions),
        responded_on=response.at.date(),
        decisions=[
            LinkedDecision(decision_id=d.decision_id, influence=d.influence)
            for d in contribution.decisions
            if d.linked
        ],
    )
