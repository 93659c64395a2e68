"""The base of the ledger's application service: loading aggregates, saving their
events in one transaction (or keeping them for a batch's one save), the store's
errors turned into the domain's, and a note of what each command did, for its
outcome.

The handlers of each aggregate's commands (`services/ledger/*_handlers.py`) build on
it, and `services.ledger.application.LedgerApplication` combines them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper, Recording

from domain.action import Action
from domain.base import LedgerAggregate
from domain.contribution import Contribution
from domain.decision import Decision
from domain.errors import Conflict, NotFound
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.plan import InclusionPlan
from services.ledger.plan_templates import REGISTERED, PlanTemplates

Clock = Callable[[], datetime]
IdFactory = Callable[[], UUID]
MapperFactory = Callable[[], Mapper[UUID]]

A = TypeVar("A", bound=LedgerAggregate)

_KIND_NAMES: dict[type[LedgerAggregate], str] = {
    Partnership: "partnership",
    InclusionPlan: "plan",
    Contribution: "contribution",
    Decision: "decision",
    Meeting: "meeting",
    Action: "action",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's `project_aggregate`, without its per-event protocol check
    (a costly `isinstance` against a runtime Protocol on every replayed event)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _InOrder:
    """A batch's events handed to `save()` as one object, so they are stored in the
    order the commands made them, across aggregates."""

    id = UUID(int=0)

    def __init__(self, events: list[DomainEventProtocol[UUID]]) -> None:
        self._events = events

    def collect_events(self) -> list[DomainEventProtocol[UUID]]:
        return self._events


def _ids_of(item: LedgerAggregate | _InOrder) -> set[UUID]:
    if isinstance(item, _InOrder):
        return {e.originator_id for e in item.collect_events()}
    return {item.id}


class CommandNote:
    """What one command did, as its outcome reports it: the ids the ledger assigned
    because the command left them out, and its events as stored (each with its log
    position), or, inside a batch, as decided until the batch is stored."""

    def __init__(self) -> None:
        self.assigned_ids: dict[str, UUID] = {}
        self.recordings: list[Recording[UUID]] = []
        self.decided: list[DomainEventProtocol[UUID]] = []


class _Batch:
    """The aggregates and pending events of one batch of commands (`execute_all`)."""

    def __init__(self) -> None:
        self.aggregates: dict[UUID, object] = {}
        self.events: list[DomainEventProtocol[UUID]] = []


class LedgerApplicationBase(Application[UUID]):
    """Loading and saving for the command handlers, with the store's errors turned
    into the domain's (`NotFound`, `Conflict`)."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        mapper_factory: MapperFactory,
        clock: Clock = utc_now,
        new_id: IdFactory = uuid4,
        templates: PlanTemplates = REGISTERED,
    ) -> None:
        self._mapper_factory = mapper_factory
        self.clock = clock
        self.new_id = new_id
        self.templates = templates
        self._batch: _Batch | None = None
        self._note: CommandNote | None = None
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        return self._mapper_factory()

    # Loading and saving, with the store's errors turned into the domain's.

    def load(self, kind: type[A], aggregate_id: UUID) -> A:
        aggregate: object
        if self._batch is not None and aggregate_id in self._batch.aggregates:
            aggregate = self._batch.aggregates[aggregate_id]
        else:
            try:
                aggregate = self.repository.get(aggregate_id, projector_func=_project)
            except AggregateNotFoundError:
                raise NotFound(f"No {_KIND_NAMES[kind]} with id {aggregate_id}.") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{aggregate_id} is not a {_KIND_NAMES[kind]}.")
        if self._batch is not None:
            self._batch.aggregates[aggregate_id] = aggregate
        return aggregate

    def save_all(self, *aggregates: LedgerAggregate) -> None:
        """Save now, or, inside a batch, keep the events for the batch's one save."""
        if self._batch is not None:
            for aggregate in aggregates:
                self._batch.aggregates[aggregate.id] = aggregate
                events = aggregate.collect_events()
                self._batch.events.extend(events)
                if self._note is not None:
                    self._note.decided.extend(events)
            return
        recordings = self._store(aggregates)
        if self._note is not None:
            self._note.recordings.extend(recordings)

    def given_or_new_id(self, field: str, given: UUID | None) -> UUID:
        """The id a command gives in `field`, or, when it gives none, a new one,
        noted as assigned by the ledger."""
        if given is not None:
            return given
        assigned = self.new_id()
        if self._note is not None:
            self._note.assigned_ids[field] = assigned
        return assigned

    def _store(self, items: Sequence[LedgerAggregate | _InOrder]) -> list[Recording[UUID]]:
        try:
            return self.save(*cast(Sequence[LedgerAggregate], items))
        except IntegrityError:
            ids = sorted({str(i) for item in items for i in _ids_of(item)})
            raise Conflict(
                f"{', '.join(ids)} changed while this command ran; nothing was saved, try again."
            ) from None

    # Batches: every event of a batch of commands stored in one transaction.

    def _start_batch(self) -> None:
        if self._batch is not None:
            raise RuntimeError("handle_all and execute_all cannot be nested")
        self._batch = _Batch()

    def _note_next_command(self) -> CommandNote:
        self._note = CommandNote()
        return self._note

    def _store_batch(self, notes: Sequence[CommandNote]) -> None:
        """Store the batch's events, in command order, and give each command's note
        its events as stored."""
        assert self._batch is not None
        self._note = None
        if not self._batch.events:
            return
        recordings = self._store([_InOrder(self._batch.events)])
        if not notes:
            return
        stored = {_key(r.domain_event): r for r in recordings}
        for note in notes:
            note.recordings = [stored[_key(e)] for e in note.decided]

    def _end_batch(self) -> None:
        self._batch = None
        self._note = None

    # Rules every handler may need

    def _partnership_of(self, decision: Decision) -> Partnership:
        assert decision.partnership_id is not None
        return self.load(Partnership, decision.partnership_id)

    @staticmethod
    def _same_partnership(partnership: Partnership, other: UUID | None, what: str) -> None:
        if other != partnership.id:
            raise NotFound(f"{what} does not belong to {partnership.name}.")

    def aggregate_events(self, aggregate_id: UUID) -> list[Any]:
        return list(self.events.get(aggregate_id))


def _key(event: DomainEventProtocol[UUID]) -> tuple[UUID, int]:
    return event.originator_id, event.originator_version
