"""Queries answered from the read models, live or as they stood at a time or position.

Live answers read the documents the projector keeps. Time travel folds the
events of just the aggregates an answer depends on, up to the time or log
position asked for, through the same projection logic, into memory: the live
views are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar, cast
from uuid import UUID

from domain.base import LedgerEvent
from domain.errors import NotFound
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
from projections.ledger_views import UNSHOWN_TOPICS, apply
from projections.store import LedgerViewStore
from services import views as v
from services.ledger import LedgerApplication
from services.log_rows import ReadHistory, RowDecoder
from services.queries import LedgerQueries, PositionsOf

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
    """Where an answer's documents come from: the live views or a fold."""

    def __init__(self, get: Callable[[str, UUID], AnyDoc | None]) -> None:
        self._get = get

    def one(self, kind: type[D], model: str, key: UUID) -> D | None:
        doc = self._get(model, key)
        return doc if isinstance(doc, kind) else None


class ViewQueries:
    def __init__(
        self,
        app: LedgerApplication,
        store: LedgerViewStore,
        positions_of: PositionsOf,
        log: LedgerQueries,
        refresh: Callable[[], object] | None = None,
        read_history: ReadHistory | None = None,
    ) -> None:
        """`refresh`, when given, brings the views up to the log's head before each
        answer (the in-process projector of the CLI); without it answers come from
        the views as a separate projector keeps them. `read_history`, when given,
        reads the events time travel folds in one query, leaving out those no view
        shows; without it they come through the application, with `positions_of`."""
        self.app = app
        self.store = store
        self.positions_of = positions_of
        self.log = log
        self._refresh = refresh or (lambda: None)
        self._read_history = read_history
        self._decode = RowDecoder(app.mapper)

    # Live or past answers

    def partnerships(self) -> list[v.PartnershipSummary]:
        self._refresh()
        docs = sorted(
            (cast(PartnershipDoc, d) for d in self.store.scan("partnership")),
            key=lambda d: (d.established_at, str(d.id)),
        )
        return [
            v.PartnershipSummary(
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
    ) -> v.PlanView:
        self._refresh()
        docs = self._docs_for([plan_id], as_of, at_position)
        plan = docs.one(PlanDoc, "plan", plan_id)
        if plan is None:
            raise _not_found("plan", plan_id, as_of, at_position)
        history: dict[str, list[v.RevisionView]] = {s.key: [] for s in plan.sections}
        for r in plan.revisions:
            history[r.section].append(
                v.RevisionView(
                    revision=r.revision,
                    text=r.text,
                    rationale=r.rationale,
                    cited_decisions=r.cited_decisions,
                    cited_contributions=r.cited_contributions,
                    revised_at=r.revised_at,
                    revised_by=r.revised_by,
                )
            )
        return v.PlanView(
            id=plan.id,
            partnership_id=plan.partnership_id,
            title=plan.title,
            stage=plan.stage,
            template=plan.template.name,
            template_version=plan.template.version,
            period_start=plan.period_start,
            period_end=plan.period_end,
            sections=[
                v.SectionView(
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

    def decisions(self, partnership_id: UUID | None = None) -> list[v.DecisionEntry]:
        self._refresh()
        if partnership_id is not None and self._live("partnership", partnership_id) is None:
            raise NotFound(f"No partnership with id {partnership_id}.")
        docs = sorted(
            (cast(DecisionDoc, d) for d in self.store.scan("decision", partnership_id)),
            key=lambda d: (d.proposed_at, d.reference),
        )
        return [
            v.DecisionEntry(
                id=d.id,
                partnership_id=d.partnership_id,
                reference=d.reference,
                title=d.title,
                category=d.category,
                status=d.status,
                outcome=d.taken.outcome if d.taken else None,
                coproduced=bool(d.taken and d.taken.coproduced),
                review_on=d.reviews[-1] if d.reviews else None,
            )
            for d in docs
        ]

    def decision(
        self, decision_id: UUID, as_of: datetime | None = None, at_position: int | None = None
    ) -> v.DecisionProvenance:
        self._refresh()
        live = Docs(self._live).one(DecisionDoc, "decision", decision_id)
        if live is None:
            raise NotFound(f"No decision with id {decision_id}.")
        if as_of is None and at_position is None:
            docs = Docs(self._live)
        else:
            related = [
                decision_id,
                live.partnership_id,
                *(link.contribution_id for link in live.links),
            ]
            related += [c.plan_id for c in live.citations] + live.action_ids
            if live.taken:
                related.append(live.taken.meeting_id)
            docs = self._docs_for(list(dict.fromkeys(related)), as_of, at_position)
        doc = docs.one(DecisionDoc, "decision", decision_id)
        if doc is None:
            raise _not_found("decision", decision_id, as_of, at_position)
        return provenance(doc, docs)

    def history(self, aggregate_id: UUID) -> list[v.HistoryEntry]:
        return self.log.history(aggregate_id)

    def events(self, after: int = 0, limit: int = 100) -> list[v.LogEntry]:
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
            positions = self.positions_of(aggregate_id)
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


def provenance(doc: DecisionDoc, docs: Docs) -> v.DecisionProvenance:
    """Who shaped a decision, from its document and the documents it refers to."""
    partnership = docs.one(PartnershipDoc, "partnership", doc.partnership_id)
    members = partnership.members if partnership else {}

    def member(member_id: str) -> v.MemberRef:
        m = members.get(member_id)
        if m is None:
            return v.MemberRef(member_id=member_id, name="(unknown)", role="", sector="")
        return v.MemberRef(member_id=m.member_id, name=m.name, role=m.role, sector=m.sector.value)

    contributions = {
        link.contribution_id: docs.one(ContributionDoc, "contribution", link.contribution_id)
        for link in doc.links
    }

    def link_view(link_index: int) -> v.LinkView:
        link = doc.links[link_index]
        c = contributions[link.contribution_id]
        response = c.response if c else None
        return v.LinkView(
            contribution_id=link.contribution_id,
            reference=c.reference if c else "",
            influence=link.influence,
            note=link.note,
            channel=c.channel if c else "",
            depth=c.depth if c else "",
            contributor_kind=c.contributor_kind if c else "",
            linked_at=link.linked_at,
            linked_by=link.linked_by,
            unlinked_at=link.unlinked_at,
            unlink_reason=link.unlink_reason,
            response=response.outcome if response else None,
            response_rationale=response.rationale if response else "",
            summary=c.summary if c else "",
        )

    current = [i for i, link in enumerate(doc.links) if link.unlinked_at is None]
    unlinked = sorted(
        (i for i, link in enumerate(doc.links) if link.unlinked_at is not None),
        key=lambda i: cast(datetime, doc.links[i].unlinked_at),
    )
    references = {cid: c.reference for cid, c in contributions.items() if c is not None}
    interested = {i.member_id: i.nature for i in doc.interests if i.has_interest}
    absent = set(doc.taken.absent_votes) if doc.taken else set()

    def vote_view(vote_index: int) -> v.VoteView:
        vote = doc.votes[vote_index]
        reason = ""
        if vote.member_id in interested:
            reason = f"declared interest: {interested[vote.member_id]}"
        elif vote.member_id in absent:
            reason = "not present at the meeting"
        return v.VoteView(
            member=member(vote.member_id),
            stance=vote.stance,
            reason=vote.reason,
            excluded=bool(reason),
            exclusion_reason=reason,
            recorded_at=vote.recorded_at,
        )

    votes = [vote_view(i) for i in range(len(doc.votes))]
    taken = None
    if doc.taken:
        t = doc.taken
        meeting = docs.one(MeetingDoc, "meeting", t.meeting_id)
        dissenters = {d.member_id for d in t.dissent}
        taken = v.TakenView(
            outcome=t.outcome,
            rationale=t.rationale,
            taken_at=t.taken_at,
            meeting_id=t.meeting_id,
            meeting_title=meeting.title if meeting else "",
            members_present=[member(m) for m in t.members_present],
            terms_version=t.terms_version,
            quorum_required=t.quorum_required,
            quorum_met=t.quorum_met,
            forum_present=t.forum_present,
            tally=t.tally,
            excluded_votes=list(t.excluded_votes),
            dissent=[vote for vote in votes if vote.member.member_id in dissenters],
            coproduced=t.coproduced,
        )
    citations = []
    for c in doc.citations:
        plan = docs.one(PlanDoc, "plan", c.plan_id)
        citations.append(
            v.CitationView(
                plan_id=c.plan_id,
                plan_title=plan.title if plan else "",
                section=c.section,
                revision=c.revision,
                revised_at=c.revised_at,
            )
        )
    actions = []
    for action_id in doc.action_ids:
        a = docs.one(ActionDoc, "action", action_id)
        if a is not None:
            actions.append(
                v.ActionView(
                    id=a.id,
                    reference=a.reference,
                    title=a.title,
                    owner=a.owner,
                    due_on=a.due_on,
                    percent_complete=a.percent_complete,
                    completed=a.completed_at is not None,
                )
            )
    return v.DecisionProvenance(
        id=doc.id,
        partnership_id=doc.partnership_id,
        reference=doc.reference,
        title=doc.title,
        category=doc.category,
        status=doc.status,
        text=doc.text,
        original_text=doc.original_text,
        options=list(doc.options),
        evidence=list(doc.evidence),
        proposer=member(doc.proposer_id),
        proposed_at=doc.proposed_at,
        contributions=[link_view(i) for i in current] + [link_view(i) for i in unlinked],
        amendments=[
            v.AmendmentView(
                text=a.text,
                rationale=a.rationale,
                caused_by=[references.get(c, str(c)) for c in a.caused_by],
                amended_at=a.amended_at,
                amended_by=a.amended_by,
            )
            for a in doc.amendments
        ],
        interests=[
            v.InterestView(
                member=member(i.member_id),
                has_interest=i.has_interest,
                nature=i.nature,
                declared_at=i.declared_at,
            )
            for i in doc.interests
        ],
        votes=votes,
        taken=taken,
        deferrals=list(doc.deferrals),
        reviews=list(doc.reviews),
        superseded_by=doc.superseded_by,
        plan_revisions=citations,
        actions=actions,
    )
