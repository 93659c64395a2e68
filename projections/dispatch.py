"""How events reach the read models: the registry of event classes and the dispatch.

The logic itself is pure, over documents, one module per aggregate in
`projections.event_logic`. It reads and writes documents only through `DocAccess`, so
the same code builds the live read models (batched, in the database), time-travel answers
(a few aggregates' events folded in memory) and test fixtures. `keys_for` names every
document an event touches, from the event alone, so a batch's documents can be
fetched in one query before it is applied.

Events are routed by their exact class through one explicit registry at the end
of this module, never by module or class name: `SHOWN` maps each event class the
read models show to the model of the document it belongs to and the function that
applies it, and `UNSHOWN` names each event class the read models deliberately leave
out, with the reason. An event of any other class (from a newer release, or one
left out by mistake) changes nothing: the projector counts it as skipped, by
topic, and `projections status` names it. `tests/unit/test_event_registry.py`
fails when a domain event class is in neither.

To add an event type: give its aggregate's function in `projections.event_logic`
(`apply_decision_event` for a decision's event, say) a `case` for it, add the class
to `SHOWN` with that model and function, and, if it also updates another aggregate's
document, say which in `_RELATED`. (A creating event, a `LedgerCreated`, makes its own
document, so that is not fetched first.) Or, if no read model shows it, add it to `UNSHOWN`
with the reason. Bump `SCHEMA_VERSION` only if documents change shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple
from uuid import UUID

from domain import action as ac
from domain import contribution as co
from domain import decision_events as de
from domain import meeting as me
from domain import partnership as pa
from domain import plan as pl
from domain.base import LedgerCreated, LedgerEvent
from projections.event_logic.access import DocAccess
from projections.event_logic.action import apply_action_event
from projections.event_logic.contribution import apply_contribution_event
from projections.event_logic.decision import apply_decision_event
from projections.event_logic.meeting import apply_meeting_event
from projections.event_logic.partnership import apply_partnership_event
from projections.event_logic.plan import apply_plan_event

SCHEMA_VERSION = 3
"""Bump when documents change shape: stored read models older than this need a rebuild."""

Key = tuple[str, UUID]


class View(NamedTuple):
    """How the read models take one event class."""

    model: str
    """The model of the document the event belongs to: its aggregate's."""
    apply: Callable[[Any, int, DocAccess], None]


def keys_for(event: LedgerEvent) -> list[Key]:
    """Every document `apply` will read or write for this event."""
    model, own, related = _KEY_RULES.get(type(event), _NO_KEYS)
    keys: list[Key] = [(model, event.originator_id)] if own else []
    if related is not None:
        keys.extend(related(event))
    return keys


def apply(event: LedgerEvent, position: int, docs: DocAccess) -> bool:
    """Apply one event at its log position; False, changing nothing, when its class is
    neither shown nor deliberately unshown."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return False
    handler(event, position, docs)
    return True


Related = Callable[[Any], list[Key]]

_RELATED: dict[type[LedgerEvent], Related] = {
    pa.InterestDeclared: lambda e: [("decision", e.decision_id)],
    pl.SectionRevised: lambda e: [("decision", d) for d in e.cited_decisions],
    de.ContributionLinked: lambda e: [("contribution", e.contribution_id)],
    de.ContributionUnlinked: lambda e: [("contribution", e.contribution_id)],
    ac.ActionCommitted: lambda e: [("decision", e.decision_id)],
}
"""Documents of other aggregates an event also updates."""

KeyRule = tuple[str, bool, Related | None]
"""(the event's own model, whether its own document is fetched, its related keys)."""

_NO_KEYS: KeyRule = ("", False, None)


def _unshown(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    """A deliberately unshown event changes no document."""


# The registry: every event class the read models take, by class.

SHOWN: dict[type[LedgerEvent], View] = {
    pa.PartnershipEstablished: View("partnership", apply_partnership_event),
    pa.MemberAppointed: View("partnership", apply_partnership_event),
    pa.MemberStoodDown: View("partnership", apply_partnership_event),
    pa.TermsOfReferenceAdopted: View("partnership", apply_partnership_event),
    pa.InterestDeclared: View("partnership", apply_partnership_event),
    pl.PlanDrafted: View("plan", apply_plan_event),
    pl.SectionRevised: View("plan", apply_plan_event),
    pl.ConsultationOpened: View("plan", apply_plan_event),
    pl.ConsultationClosed: View("plan", apply_plan_event),
    pl.PlanSubmittedForQA: View("plan", apply_plan_event),
    pl.QAFeedbackReceived: View("plan", apply_plan_event),
    pl.PlanApproved: View("plan", apply_plan_event),
    pl.PlanPublished: View("plan", apply_plan_event),
    pl.PlanSuperseded: View("plan", apply_plan_event),
    co.ContributionSubmitted: View("contribution", apply_contribution_event),
    co.ContributionTriaged: View("contribution", apply_contribution_event),
    co.ContributionRoutedToIndividualCase: View("contribution", apply_contribution_event),
    co.ResponseIssued: View("contribution", apply_contribution_event),
    co.DeidentifiedSummaryRecorded: View("contribution", apply_contribution_event),
    co.ContributorNotified: View("contribution", apply_contribution_event),
    de.DecisionProposed: View("decision", apply_decision_event),
    de.ContributionLinked: View("decision", apply_decision_event),
    de.ContributionUnlinked: View("decision", apply_decision_event),
    de.DecisionAmended: View("decision", apply_decision_event),
    de.VoteRecorded: View("decision", apply_decision_event),
    de.VoteWithdrawn: View("decision", apply_decision_event),
    de.DecisionTaken: View("decision", apply_decision_event),
    de.DecisionDeferred: View("decision", apply_decision_event),
    de.ReviewScheduled: View("decision", apply_decision_event),
    de.DecisionSuperseded: View("decision", apply_decision_event),
    me.MeetingScheduled: View("meeting", apply_meeting_event),
    me.AttendanceRecorded: View("meeting", apply_meeting_event),
    me.MinutesApproved: View("meeting", apply_meeting_event),
    ac.ActionCommitted: View("action", apply_action_event),
    ac.ProgressReported: View("action", apply_action_event),
    ac.ActionCompleted: View("action", apply_action_event),
}
"""Each event class the read models show: the model it belongs to and the function applying it."""

UNSHOWN: dict[type[LedgerEvent], str] = {
    pl.ContributionReceived: "The plan's own bookkeeping for its triage rule (a contribution "
    "awaits triage): the contribution view shows the contribution itself, and the plan "
    "document, often large, is left untouched.",
    pl.PlanContributionTriaged: "The plan's own bookkeeping for its triage rule (a "
    "contribution no longer awaits triage): the contribution view shows the triage itself.",
}
"""Each event class no read model shows, on purpose, and why."""

UNSHOWN_TOPICS = frozenset(cls.TOPIC for cls in UNSHOWN)
"""Stored topics of events no read model shows: a projector need not even decode them."""

_HANDLERS: dict[type[LedgerEvent], Callable[[Any, int, DocAccess], None]] = {
    **{cls: view.apply for cls, view in SHOWN.items()},
    **dict.fromkeys(UNSHOWN, _unshown),
}
_KEY_RULES: dict[type[LedgerEvent], KeyRule] = {
    # A creating event makes its document: there is nothing to fetch for it.
    cls: (view.model, not issubclass(cls, LedgerCreated), _RELATED.get(cls))
    for cls, view in SHOWN.items()
}
