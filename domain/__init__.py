"""The ledger's domain: aggregates, events, value objects and the rules they keep.

Importing this package registers every stored event topic.
"""

from domain import action, contribution, decision, decision_events, meeting, partnership, plan
from domain.base import LedgerAggregate, LedgerEvent

AGGREGATE_TYPES: tuple[type[LedgerAggregate], ...] = (
    partnership.Partnership,
    plan.InclusionPlan,
    contribution.Contribution,
    decision.Decision,
    meeting.Meeting,
    action.Action,
)


def event_types() -> tuple[type[LedgerEvent], ...]:
    """Every concrete stored event type, in a stable order."""
    found: list[type[LedgerEvent]] = []
    for module in (partnership, plan, contribution, decision_events, meeting, action):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, LedgerEvent)
                and value is not LedgerEvent
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return tuple(found)


__all__ = ["AGGREGATE_TYPES", "LedgerAggregate", "LedgerEvent", "event_types"]
