"""Queries answered from the read models, live or as they stood at a time or position.

Live answers read the documents the projector keeps. Time travel folds the
events of just the aggregates an answer depends on, up to the time or log
position asked for, through the same projection logic, into memory: the live
read models are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar, cast
from uuid import UUID

from domain.base import LedgerEvent
from domain.errors import NotFound
from projections.dispatch import UNSHOWN_TOPICS, Key, apply
from projections.documents import (
    ActionDoc,
    AnyDoc,
    ContributionDoc,
    DecisionDoc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
    model_of,
)
from projections.provenance import DecisionProvenance, decision_provenance
from projections.register import next_review_on
from projections.store import ReadModelStore
from services import views
from services.ledger.application import LedgerApplication, utc_now
from services.ledger.log_queries import LogQueries
from services.projection.log_rows import ReadHistory, RowDecoder

D = TypeVar("D", bound=AnyDoc)


class _Folded:
    """Documents folded in memory from some aggregates' events (time travel)."""

    strict = False

    def __init__(self) -> None:
        self.docs: dict[UUID, AnyDoc] = {}

    def get(self, model: str, key: UUID) -> AnyDoc | None:
        doc = self.docs.get(key)
        return doc if doc is not None and model_of(doc) == model else None

    def put(self, doc: AnyDoc) -> None:
        self.docs[doc.id] = doc


class Docs:
    """Where an answer's documents come from: the live read models or a fold."""

    def __init__(self, get: Callable[[str, UUID], AnyDoc | None]) -> None:
        self._get = get

    def one(self, kind: type[D], model: str, key: UUID) -> D | None:
        doc = self._get(model, key)
        return doc if isinstance(doc, kind) else None

    def each(self, kind: type[D], model: str, keys: Iterable[UUID]) -> dict[UUID, D]:
        """The documents there are of these keys, by key."""
        found = {key: self.one(kind, model, key) for key in keys}
        return {key: doc for key, doc in found.items() if doc is not None}


class ReadModelQueries:
    def __init__(
        self,
        app: LedgerApplication,
        store: ReadModelStore,
        log: LogQueries,
        *,
        refresh: Callable[[], object] | None = None,
        read_history: ReadHistory | None = None,
        today: Callable[[], date] = lambda: utc_now().date(),
    ) -> None:
        """`refresh`, when given, brings the read models up to the log's head before each
        answer (the in-process projector of the CLI); without it answers come from
        the read models as a separate projector keeps them. `read_history`, when given,
        reads the events time travel folds in one query, leaving out those no view
        shows; without it they come through the application, placed in the log by
        `log.positions_of`. `today` is the day review dates are reckoned from."""
        self.app = app
        self.store = store
        self.log = log
        self.today = today
        self._refresh = refresh or (lambda: None)
        self._read_history = read_history
        self._decode = RowDecoder(app.mapper)

    # Live or past answers

    def partnerships(self) -> list[views.PartnershipSummary]:
        self._refresh()
        docs = sorted(
            (cast(PartnershipDoc, d) for d in self.store.scan("partnership")),
            key=lambda d: (d.established_at, str(d.id)),
        )
        return [
            views.PartnershipSummary(
                id=d.id,
                name=d.name,
                kind=d.kind,
                la_code=d.la_code,
                icb_code=d.icb_code,
                terms=d.terms,
                members=list(d.members.values()),
            )
            for d in docs
        ]

    def plan(
        self, plan_id: UUID, as_of: datetime | None = None, at_position: int | None = None
    ) -> views.PlanView:
        self._refresh()
        docs = self._docs_for([plan_id], as_of, at_position)
        plan = docs.one(PlanDoc, "plan", plan_id)
        if plan is None:
            raise _not_found("plan", plan_id, as_of, at_position)
        history: dict[str, list[views.RevisionView]] = {s.key: [] for s in plan.sections}
        for r in plan.revisions:
            history[r.section].append(
                views.RevisionView(
                    revision=r.revision,
                    text=r.text,
                    rationale=r.rationale,
                    cited_decisions=r.cited_decisions,
                    cited_contributions=r.cited_contributions,
                    revised_at=r.revised_at,
                    revised_by=r.revised_by,
                )
            )
        return views.PlanView(
            id=plan.id,
            partnership_id=plan.partnership_id,
            title=plan.title,
            stage=plan.stage,
            template=plan.template.name,
            template_version=plan.template.version,
            period_start=plan.period_start,
            period_end=plan.period_end,
            sections=[
                views.SectionView(
                    key=s.key,
                    title=s.title,
                    revision=s.revision,
                    text=s.text,
                    revisions=history[s.key],
                )
                for s in plan.sections
            ],
            submitted_versions=dict(plan.submitted_versions),
            local_offer_url=plan.local_offer_url,
            as_of=as_of,
        )

    def decisions(self, partnership_id: UUID | None = None) -> list[views.DecisionEntry]:
        self._refresh()
        if partnership_id is not None and self._live("partnership", partnership_id) is None:
            raise NotFound(f"No partnership with id {partnership_id}.")
        docs = sorted(
            (cast(DecisionDoc, d) for d in self.store.scan("decision", partnership_id)),
            key=lambda d: (d.proposed_at, d.reference),
        )
        today = self.today()
        return [
            views.DecisionEntry(
                id=d.id,
                partnership_id=d.partnership_id,
                reference=d.reference,
                title=d.title,
                category=d.category,
                status=d.status,
                outcome=d.taken.outcome if d.taken else None,
                coproduced=bool(d.taken and d.taken.coproduced),
                taken_at=d.taken.taken_at if d.taken else None,
                recorded_at=d.taken.recorded_at if d.taken else None,
                review_on=next_review_on(d, today),
            )
            for d in docs
        ]

    def decision(
        self, decision_id: UUID, as_of: datetime | None = None, at_position: int | None = None
    ) -> DecisionProvenance:
        """Who shaped the decision, now or as it stood at a time or log position."""
        self._refresh()
        live = Docs(self._live).one(DecisionDoc, "decision", decision_id)
        if live is None:
            raise NotFound(f"No decision with id {decision_id}.")
        related = _refers_to(live)
        if as_of is None and at_position is None:
            loaded = self.store.load(related)
            docs = Docs(lambda model, key: loaded.get((model, key)))
        else:
            # The plans citing it are folded too: their revisions write the citations.
            ids = [key for _, key in related] + [c.plan_id for c in live.citations]
            docs = self._docs_for(list(dict.fromkeys(ids)), as_of, at_position)
        doc = docs.one(DecisionDoc, "decision", decision_id)
        if doc is None:
            raise _not_found("decision", decision_id, as_of, at_position)
        successor = doc.supersession.superseded_by if doc.supersession else None
        return decision_provenance(
            doc,
            partnership=docs.one(PartnershipDoc, "partnership", doc.partnership_id),
            contributions=docs.each(
                ContributionDoc, "contribution", (link.contribution_id for link in doc.links)
            ),
            meeting=docs.one(MeetingDoc, "meeting", doc.taken.meeting_id) if doc.taken else None,
            actions=docs.each(ActionDoc, "action", doc.action_ids),
            decisions=docs.each(DecisionDoc, "decision", [successor] if successor else []),
        )

    def history(self, aggregate_id: UUID) -> list[views.HistoryEntry]:
        return self.log.history(aggregate_id)

    def events(self, after: int = 0, limit: int = 100) -> list[views.LogEntry]:
        return self.log.events(after=after, limit=limit)

    # Where documents come from

    def _live(self, model: str, key: UUID) -> AnyDoc | None:
        return self.store.load([(model, key)]).get((model, key))

    def _docs_for(
        self, aggregate_ids: list[UUID], as_of: datetime | None, at_position: int | None
    ) -> Docs:
        if as_of is None and at_position is None:
            return Docs(self._live)
        if self._read_history is not None:
            return self._fold_history(aggregate_ids, as_of, at_position, self._read_history)
        timeline: list[tuple[int, LedgerEvent]] = []
        for aggregate_id in aggregate_ids:
            positions = self.log.positions_of(aggregate_id)
            for event in cast(Iterable[LedgerEvent], self.app.aggregate_events(aggregate_id)):
                position = positions.get(event.originator_version, 0)
                if at_position is not None and position > at_position:
                    break
                if as_of is not None and event.timestamp > as_of:
                    break
                timeline.append((position, event))
        timeline.sort(key=lambda item: item[0])
        folded = _Folded()
        for position, event in timeline:
            apply(event, position, folded)
        return Docs(folded.get)

    def _fold_history(
        self,
        aggregate_ids: list[UUID],
        as_of: datetime | None,
        at_position: int | None,
        read_history: ReadHistory,
    ) -> Docs:
        folded = _Folded()
        ended: set[UUID] = set()  # aggregates whose next event came after `as_of`
        for row in read_history(list(dict.fromkeys(aggregate_ids)), at_position, UNSHOWN_TOPICS):
            if row[1] in ended:
                continue
            event = self._decode(row)
            if event is None:
                continue
            if as_of is not None and event.timestamp > as_of:
                ended.add(row[1])
                continue
            apply(event, row[0], folded)
        return Docs(folded.get)


def _not_found(what: str, key: UUID, as_of: datetime | None, at_position: int | None) -> NotFound:
    if as_of is not None:
        return NotFound(f"The {what} {key} did not exist yet on {as_of.isoformat()}.")
    if at_position is not None:
        return NotFound(f"The {what} {key} did not exist yet at position {at_position}.")
    return NotFound(f"No {what} with id {key}.")


def _refers_to(decision: DecisionDoc) -> list[Key]:
    """The documents a decision's account draws on, the decision's own first."""
    related: list[Key] = [
        ("decision", decision.id),
        ("partnership", decision.partnership_id),
        *(("contribution", link.contribution_id) for link in decision.links),
        *(("action", a) for a in decision.action_ids),
    ]
    if decision.taken:
        related.append(("meeting", decision.taken.meeting_id))
    if decision.supersession:
        related.append(("decision", decision.supersession.superseded_by))
    return list(dict.fromkeys(related))
