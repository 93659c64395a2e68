"""Read side of the ledger, answered from the event store through the service layer.

Every read command goes through `LedgerQueries`, so moving a query onto a
projection changes this module only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import msgspec

from domain.action import Action, ActionCommitted
from domain.base import LedgerEvent
from domain.contribution import (
    ContributionSubmitted,
    DeidentifiedSummaryRecorded,
    ResponseIssued,
)
from domain.decision import (
    ContributionLinked,
    ContributionUnlinked,
    Decision,
    DecisionAmended,
    DecisionDeferred,
    DecisionProposed,
    DecisionSuperseded,
    DecisionTaken,
    ReviewScheduled,
    VoteRecorded,
    VoteWithdrawn,
)
from domain.errors import NotFound
from domain.meeting import Meeting
from domain.partnership import InterestDeclared, Partnership, PartnershipEstablished
from domain.plan import InclusionPlan, PlanDrafted, SectionRevised
from domain.values import MemberRecord, PersonalData
from services import views as v
from services.ledger import LedgerApplication

PositionsOf = Callable[[UUID], dict[int, int]]
PAGE = 1000
WITHHELD = "[personal data withheld]"


class LedgerQueries:
    def __init__(self, app: LedgerApplication, positions_of: PositionsOf | None = None) -> None:
        self.app = app
        self.positions_of: PositionsOf = positions_of or self._scan_positions

    # Partnerships

    def partnerships(self) -> list[v.PartnershipSummary]:
        result = []
        for event in self._scan((PartnershipEstablished.TOPIC,)):
            p = self.app.load(Partnership, event.originator_id)
            result.append(
                v.PartnershipSummary(
                    id=p.id,
                    name=p.name,
                    kind=p.kind,
                    la_code=p.la_code,
                    icb_code=p.icb_code,
                    terms=p.terms,
                    members=list(p.members.values()),
                )
            )
        return result

    # Plans

    def plan(self, plan_id: UUID, as_of: datetime | None = None) -> v.PlanView:
        events = self._events_of(plan_id, InclusionPlan, as_of)
        version = events[-1].originator_version
        plan = cast(InclusionPlan, self.app.repository.get(plan_id, version=version))
        drafted = cast(PlanDrafted, events[0])
        history: dict[str, list[v.RevisionView]] = {s.key: [] for s in plan.sections.values()}
        for s in drafted.sections:
            history[s.key].append(
                v.RevisionView(
                    revision=1,
                    text=s.text,
                    rationale="Drafted from the template.",
                    cited_decisions=[],
                    cited_contributions=[],
                    revised_at=drafted.timestamp,
                    revised_by=drafted.actor.id,
                )
            )
        for e in events:
            if isinstance(e, SectionRevised):
                history[e.section].append(
                    v.RevisionView(
                        revision=e.revision,
                        text=e.text,
                        rationale=e.rationale,
                        cited_decisions=list(e.cited_decisions),
                        cited_contributions=list(e.cited_contributions),
                        revised_at=e.timestamp,
                        revised_by=e.actor.id,
                    )
                )
        template = plan.plan_template
        assert plan.partnership_id is not None
        return v.PlanView(
            id=plan.id,
            partnership_id=plan.partnership_id,
            title=plan.title,
            stage=plan.stage,
            template=template.name,
            template_version=template.version,
            period_start=drafted.period_start,
            period_end=drafted.period_end,
            sections=[
                v.SectionView(
                    key=t.key,
                    title=t.title,
                    revision=plan.sections[t.key].revision,
                    text=plan.sections[t.key].text,
                    revisions=history[t.key],
                )
                for t in template.sections
            ],
            submitted_versions=dict(plan.submitted_versions),
            local_offer_url=plan.local_offer_url,
            as_of=as_of,
        )

    # Decisions

    def decisions(self, partnership_id: UUID | None = None) -> list[v.DecisionEntry]:
        if partnership_id is not None:
            self.app.load(Partnership, partnership_id)
        entries = []
        for event in self._scan((DecisionProposed.TOPIC,)):
            proposed = cast(DecisionProposed, event)
            if partnership_id is not None and proposed.partnership_id != partnership_id:
                continue
            d = self.app.load(Decision, proposed.originator_id)
            taken = next(
                (e for e in self.app.aggregate_events(d.id) if isinstance(e, DecisionTaken)), None
            )
            entries.append(
                v.DecisionEntry(
                    id=d.id,
                    partnership_id=proposed.partnership_id,
                    reference=d.reference,
                    title=d.title,
                    category=d.category.value,
                    status=d.status.value,
                    outcome=d.outcome.value if d.outcome else None,
                    coproduced=bool(taken and taken.coproduced),
                    review_on=d.review_on,
                )
            )
        return entries

    def decision(self, decision_id: UUID, as_of: datetime | None = None) -> v.DecisionProvenance:
        events = self._events_of(decision_id, Decision, as_of)
        proposed = cast(DecisionProposed, events[0])
        partnership = self.app.load(Partnership, proposed.partnership_id)
        members = partnership.members
        interests = self._interests(partnership.id, decision_id, as_of)
        interested = {i.member.member_id for i in interests if i.has_interest}
        natures = {i.member.member_id: i.nature for i in interests if i.has_interest}

        text = proposed.text
        links: dict[UUID, v.LinkView] = {}
        unlinked: list[v.LinkView] = []
        amendments: list[v.AmendmentView] = []
        votes: list[v.VoteView] = []
        taken: v.TakenView | None = None
        deferrals: list[str] = []
        reviews = []
        superseded_by: UUID | None = None
        status = "proposed"
        references: dict[UUID, str] = {}
        for e in events:
            if isinstance(e, ContributionLinked):
                links[e.contribution_id] = self._link(e, as_of)
                references[e.contribution_id] = links[e.contribution_id].reference
            elif isinstance(e, ContributionUnlinked):
                was = links.pop(e.contribution_id)
                unlinked.append(
                    msgspec.structs.replace(was, unlinked_at=e.timestamp, unlink_reason=e.reason)
                )
            elif isinstance(e, DecisionAmended):
                text = e.text
                amendments.append(
                    v.AmendmentView(
                        text=e.text,
                        rationale=e.rationale,
                        caused_by=[references.get(c, str(c)) for c in e.caused_by],
                        amended_at=e.timestamp,
                        amended_by=e.actor.id,
                    )
                )
            elif isinstance(e, VoteRecorded):
                votes.append(
                    v.VoteView(
                        member=_member_ref(members, e.member_id),
                        stance=e.stance.value,
                        reason=e.reason,
                        excluded=e.member_id in interested,
                        exclusion_reason=(
                            f"declared interest: {natures[e.member_id]}"
                            if e.member_id in interested
                            else ""
                        ),
                        recorded_at=e.timestamp,
                    )
                )
            elif isinstance(e, VoteWithdrawn):
                votes = [vote for vote in votes if vote.member.member_id != e.member_id]
            elif isinstance(e, DecisionTaken):
                status = "taken"
                votes = [
                    msgspec.structs.replace(
                        vote, excluded=True, exclusion_reason="not present at the meeting"
                    )
                    if vote.member.member_id in e.absent_votes
                    else vote
                    for vote in votes
                ]
                taken = self._taken(e, members, votes)
            elif isinstance(e, DecisionDeferred):
                status = "deferred"
                deferrals.append(e.reason)
            elif isinstance(e, ReviewScheduled):
                reviews.append(e.review_on)
            elif isinstance(e, DecisionSuperseded):
                status = "superseded"
                superseded_by = e.superseded_by
        return v.DecisionProvenance(
            id=decision_id,
            partnership_id=proposed.partnership_id,
            reference=proposed.reference,
            title=proposed.title,
            category=proposed.category.value,
            status=status,
            text=text,
            original_text=proposed.text,
            options=list(proposed.options),
            evidence=list(proposed.evidence),
            proposer=_member_ref(members, proposed.proposer_id),
            proposed_at=proposed.timestamp,
            contributions=list(links.values()) + unlinked,
            amendments=amendments,
            interests=interests,
            votes=votes,
            taken=taken,
            deferrals=deferrals,
            reviews=reviews,
            superseded_by=superseded_by,
            plan_revisions=self._citations(decision_id, as_of),
            actions=self._actions(decision_id, as_of),
        )

    # History and the log

    def history(self, aggregate_id: UUID) -> list[v.HistoryEntry]:
        events = self.app.aggregate_events(aggregate_id)
        if not events:
            raise NotFound(f"No aggregate with id {aggregate_id}.")
        positions = self.positions_of(aggregate_id)
        return [
            v.HistoryEntry(
                position=positions.get(e.originator_version),
                version=e.originator_version,
                occurred_at=e.timestamp,
                type=type(e).TOPIC,
                actor=e.actor.id,
                role=e.actor.role,
            )
            for e in events
        ]

    def events(self, after: int = 0, limit: int = 100) -> list[v.LogEntry]:
        notifications = self.app.recorder.select_notifications(after + 1, limit)
        entries = []
        for n in notifications:
            e = cast(LedgerEvent, self.app.mapper.to_domain_event(n))
            entries.append(
                v.LogEntry(
                    position=n.id,
                    aggregate_id=e.originator_id,
                    version=e.originator_version,
                    type=type(e).TOPIC,
                    occurred_at=e.timestamp,
                    actor=e.actor.id,
                    role=e.actor.role,
                    data=_payload(e),
                )
            )
        return entries

    # Helpers

    def _events_of(
        self, aggregate_id: UUID, kind: type[Any], as_of: datetime | None
    ) -> list[LedgerEvent]:
        self.app.load(kind, aggregate_id)
        events = cast(list[LedgerEvent], self.app.aggregate_events(aggregate_id))
        if as_of is not None:
            events = [e for e in events if e.timestamp <= as_of]
            if not events:
                raise NotFound(f"{aggregate_id} did not exist yet on {as_of.isoformat()}.")
        return events

    def _scan(self, topics: Sequence[str]) -> Iterator[LedgerEvent]:
        start = 1
        while True:
            page = self.app.recorder.select_notifications(start, PAGE, topics=topics)
            for n in page:
                yield cast(LedgerEvent, self.app.mapper.to_domain_event(n))
            if len(page) < PAGE:
                return
            start = page[-1].id + 1

    def _scan_positions(self, aggregate_id: UUID) -> dict[int, int]:
        positions = {}
        start = 1
        while True:
            page = self.app.recorder.select_notifications(start, PAGE)
            for n in page:
                if n.originator_id == aggregate_id:
                    positions[n.originator_version] = n.id
            if len(page) < PAGE:
                return positions
            start = page[-1].id + 1

    def _link(self, e: ContributionLinked, as_of: datetime | None) -> v.LinkView:
        events = [
            x
            for x in self.app.aggregate_events(e.contribution_id)
            if as_of is None or x.timestamp <= as_of
        ]
        submitted = cast(ContributionSubmitted, events[0])
        response = next((x for x in events if isinstance(x, ResponseIssued)), None)
        summary = next((x for x in events if isinstance(x, DeidentifiedSummaryRecorded)), None)
        return v.LinkView(
            contribution_id=e.contribution_id,
            reference=submitted.reference,
            influence=e.influence.value,
            note=e.note,
            channel=submitted.channel.value,
            depth=submitted.depth.value,
            contributor_kind=submitted.contributor_kind.value,
            linked_at=e.timestamp,
            linked_by=e.actor.id,
            response=response.outcome.value if response else None,
            response_rationale=response.rationale if response else "",
            summary=summary.summary if summary else "",
        )

    def _interests(
        self, partnership_id: UUID, decision_id: UUID, as_of: datetime | None
    ) -> list[v.InterestView]:
        partnership = self.app.load(Partnership, partnership_id)
        latest: dict[str, v.InterestView] = {}
        for e in self.app.aggregate_events(partnership_id):
            if as_of is not None and e.timestamp > as_of:
                break
            if isinstance(e, InterestDeclared) and e.decision_id == decision_id:
                latest[e.member_id] = v.InterestView(
                    member=_member_ref(partnership.members, e.member_id),
                    has_interest=e.has_interest,
                    nature=e.nature,
                    declared_at=e.timestamp,
                )
        return list(latest.values())

    def _taken(
        self, e: DecisionTaken, members: dict[str, MemberRecord], votes: list[v.VoteView]
    ) -> v.TakenView:
        dissenters = {d.member_id for d in e.dissent}
        meeting_title = self.app.load(Meeting, e.meeting_id).title
        return v.TakenView(
            outcome=e.outcome.value,
            rationale=e.rationale,
            taken_at=e.timestamp,
            meeting_id=e.meeting_id,
            meeting_title=meeting_title,
            members_present=[_member_ref(members, m) for m in e.members_present],
            terms_version=e.terms_version,
            quorum_required=e.quorum_required,
            quorum_met=e.quorum_met,
            forum_present=e.forum_present,
            tally=e.tally,
            excluded_votes=list(e.excluded_votes),
            dissent=[vote for vote in votes if vote.member.member_id in dissenters],
            coproduced=e.coproduced,
        )

    def _citations(self, decision_id: UUID, as_of: datetime | None) -> list[v.CitationView]:
        titles: dict[UUID, str] = {}
        result = []
        for e in self._scan((SectionRevised.TOPIC,)):
            revised = cast(SectionRevised, e)
            if as_of is not None and revised.timestamp > as_of:
                continue
            if decision_id in revised.cited_decisions:
                if revised.originator_id not in titles:
                    titles[revised.originator_id] = self.app.load(
                        InclusionPlan, revised.originator_id
                    ).title
                result.append(
                    v.CitationView(
                        plan_id=revised.originator_id,
                        plan_title=titles[revised.originator_id],
                        section=revised.section,
                        revision=revised.revision,
                        revised_at=revised.timestamp,
                    )
                )
        return result

    def _actions(self, decision_id: UUID, as_of: datetime | None) -> list[v.ActionView]:
        result = []
        for e in self._scan((ActionCommitted.TOPIC,)):
            committed = cast(ActionCommitted, e)
            if committed.decision_id != decision_id:
                continue
            if as_of is not None and committed.timestamp > as_of:
                continue
            events = [
                x
                for x in self.app.aggregate_events(committed.originator_id)
                if as_of is None or x.timestamp <= as_of
            ]
            version = events[-1].originator_version
            action = cast(Action, self.app.repository.get(committed.originator_id, version=version))
            result.append(
                v.ActionView(
                    id=action.id,
                    reference=committed.reference,
                    title=committed.title,
                    owner=committed.owner,
                    due_on=committed.due_on,
                    percent_complete=action.percent_complete,
                    completed=action.completed,
                )
            )
        return result


def _member_ref(members: dict[str, MemberRecord], member_id: str) -> v.MemberRef:
    m = members.get(member_id)
    if m is None:
        return v.MemberRef(member_id=member_id, name="(unknown)", role="", sector="")
    return v.MemberRef(member_id=m.member_id, name=m.name, role=m.role, sector=m.sector.value)


def _payload(event: LedgerEvent) -> dict[str, Any]:
    """The event's fields as JSON-ready values, personal data withheld."""
    data = {
        k: (msgspec.structs.replace(val, value=WITHHELD) if isinstance(val, PersonalData) else val)
        for k, val in vars(event).items()
        if k
        not in ("originator_id", "originator_version", "originator_topic", "timestamp", "actor")
    }
    return cast(dict[str, Any], msgspec.to_builtins(data))
