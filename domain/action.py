"""Action: a commitment arising from a decision, tracked to delivery."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.errors import ActionClosed, DecisionNotTaken, InvalidValue
from domain.values import Actor


class ActionCommitted(LedgerCreated):
    TOPIC = "ActionCommitted"

    partnership_id: UUID
    decision_id: UUID
    reference: str
    title: str
    owner: str
    due_on: date
    measure: str

    def apply(self, aggregate: Action) -> None:
        aggregate.partnership_id = self.partnership_id
        aggregate.decision_id = self.decision_id
        aggregate.reference = self.reference
        aggregate.due_on = self.due_on


class ProgressReported(LedgerEvent):
    TOPIC = "ProgressReported"

    note: str
    percent_complete: int

    def apply(self, aggregate: Action) -> None:
        aggregate.percent_complete = self.percent_complete


class ActionCompleted(LedgerEvent):
    TOPIC = "ActionCompleted"

    note: str

    def apply(self, aggregate: Action) -> None:
        aggregate.completed = True
        aggregate.percent_complete = 100


class Action(LedgerAggregate):
    TOPIC = "Action"
    Event = LedgerEvent
    Created = ActionCommitted

    def __init__(self) -> None:
        self.partnership_id: UUID | None = None
        self.decision_id: UUID | None = None
        self.reference = ""
        self.due_on: date | None = None
        self.percent_complete = 0
        self.completed = False

    @classmethod
    def commit(
        cls,
        *,
        action_id: UUID,
        partnership_id: UUID,
        decision_id: UUID,
        decision_taken: bool,
        reference: str,
        title: str,
        owner: str,
        due_on: date,
        measure: str,
        actor: Actor,
        at: datetime,
    ) -> Action:
        if not decision_taken:
            raise DecisionNotTaken("An action can only follow from a taken decision.")
        if due_on < at.date():
            raise InvalidValue("An action cannot be due before it is committed.")
        return cls._create(
            ActionCommitted,
            id=action_id,
            partnership_id=partnership_id,
            decision_id=decision_id,
            reference=require_text(reference, InvalidValue, "An action needs a reference."),
            title=require_text(title, InvalidValue, "An action needs a title."),
            owner=require_text(owner, InvalidValue, "An action needs an owner."),
            due_on=due_on,
            measure=measure.strip(),
            actor=actor,
            timestamp=at,
        )

    def report_progress(
        self, *, note: str, percent_complete: int, actor: Actor, at: datetime
    ) -> None:
        if self.completed:
            raise ActionClosed(f"{self.reference} is complete.")
        if not 0 <= percent_complete <= 100:
            raise InvalidValue("Progress is a percentage from 0 to 100.")
        self.trigger_event(
            ProgressReported,
            note=require_text(note, InvalidValue, "A progress report needs a note."),
            percent_complete=percent_complete,
            actor=actor,
            timestamp=at,
        )

    def complete(self, *, note: str, actor: Actor, at: datetime) -> None:
        if self.completed:
            raise ActionClosed(f"{self.reference} is already complete.")
        self.trigger_event(ActionCompleted, note=note.strip(), actor=actor, timestamp=at)
