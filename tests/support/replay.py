"""The oracle for the read models: plans and decisions answered by replaying the
aggregates' own events, with none of the projection logic.

`ReadModelQueries` answers from the documents the projector keeps (and, for time travel,
from documents folded through the same projection logic); the tests hold its answers
equal to these, built independently from the events and aggregates alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from domain.action import ActionCommitted, ActionCompleted, ProgressReported
from domain.base import LedgerEvent
from domain.contribution import (
    ContributionSubmitted,
    DeidentifiedSummaryRecorded,
    ResponseIssued,
)
from domain.decision import Decision
from domain.decision_events import (
    ContributionLinked,
    ContributionUnlinked,
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
from domain.meeting import AttendanceRecorded, MeetingScheduled, MinutesApproved
from domain.partnership import InterestDeclared, Partnership
from domain.plan import InclusionPlan, PlanDrafted, SectionRevised
from domain.values import Actor, MemberRecord
from projections import provenance as pv
from services import views
from services.ledger.application import LedgerApplication

PAGE = 1000


class ReplayQueries:
    def __init__(self, app: LedgerApplication) -> None:
        self.app = app

    def plan(self, plan_id: UUID, as_of: datetime | None = None) -> views.PlanView:
        events = self._events_of(plan_id, InclusionPlan, as_of)
        version = events[-1].originator_version
        plan = cast(InclusionPlan, self.app.repository.get(plan_id, version=version))
        drafted = cast(PlanDrafted, events[0])
        history: dict[str, list[views.RevisionView]] = {s.key: [] for s in plan.sections.values()}
        for s in drafted.sections:
            history[s.key].append(
                views.RevisionView(
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
                    views.RevisionView(
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
        return views.PlanView(
            id=plan.id,
            partnership_id=plan.partnership_id,
            title=plan.title,
            stage=plan.stage,
            template=template.name,
            template_version=template.version,
            period_start=drafted.period_start,
            period_end=drafted.period_end,
            sections=[
                views.SectionView(
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

    def decision(self, decision_id: UUID, as_of: datetime | None = None) -> pv.DecisionProvenance:
        events = self._events_of(decision_id, Decision, as_of)
        proposed = cast(DecisionProposed, events[0])
        people = _People(self._partnership_members(proposed.partnership_id, as_of))

        text = proposed.text
        links: list[pv.LinkEntry] = []
        references: dict[UUID, str] = {}
        amendments: list[pv.AmendmentEntry] = []
        votes: list[tuple[VoteRecorded, pv.Step, pv.Step | None]] = []
        taken_event: DecisionTaken | None = None
        taken: pv.TakenEntry | None = None
        deferrals: list[pv.DeferralEntry] = []
        reviews: list[pv.ReviewEntry] = []
        superseded: pv.SupersessionEntry | None = None
        status = "proposed"
        for e in events:
            if isinstance(e, ContributionLinked):
                contribution = self._contribution(e.contribution_id, as_of)
                references[e.contribution_id] = contribution.reference
                links.append(
                    pv.LinkEntry(
                        contribution=contribution,
                        influence=e.influence.value,
                        linked=people.step(e.actor, e.timestamp, e.note),
                        unlinked=None,
                    )
                )
            elif isinstance(e, ContributionUnlinked):
                i = max(
                    i
                    for i, link in enumerate(links)
                    if link.contribution.id == e.contribution_id and link.unlinked is None
                )
                links[i] = pv.LinkEntry(
                    contribution=links[i].contribution,
                    influence=links[i].influence,
                    linked=links[i].linked,
                    unlinked=people.step(e.actor, e.timestamp, e.reason),
                )
            elif isinstance(e, DecisionAmended):
                text = e.text
                amendments.append(
                    pv.AmendmentEntry(
                        text=e.text,
                        caused_by=[
                            pv.DocRef(id=c, reference=references.get(c, str(c)))
                            for c in e.caused_by
                        ],
                        amended=people.step(e.actor, e.timestamp, e.rationale),
                    )
                )
            elif isinstance(e, VoteRecorded):
                votes.append((e, people.step(e.actor, e.timestamp, e.reason), None))
            elif isinstance(e, VoteWithdrawn):
                i = max(
                    i
                    for i, (cast_vote, _, withdrawn) in enumerate(votes)
                    if cast_vote.member_id == e.member_id and withdrawn is None
                )
                votes[i] = (*votes[i][:2], people.step(e.actor, e.timestamp, e.reason))
            elif isinstance(e, DecisionTaken):
                status = "taken"
                taken_event = e
                taken = self._taken(e, people, as_of)
            elif isinstance(e, DecisionDeferred):
                status = "deferred"
                deferrals.append(
                    pv.DeferralEntry(
                        until=e.until, deferred=people.step(e.actor, e.timestamp, e.reason)
                    )
                )
            elif isinstance(e, ReviewScheduled):
                reviews.append(
                    pv.ReviewEntry(
                        review_on=e.review_on,
                        scheduled=people.step(e.actor, e.timestamp, e.reason),
                    )
                )
            elif isinstance(e, DecisionSuperseded):
                status = "superseded"
                successor = cast(DecisionProposed, self.app.aggregate_events(e.superseded_by)[0])
                superseded = pv.SupersessionEntry(
                    superseded_by=pv.DocRef(id=e.superseded_by, reference=successor.reference),
                    superseded=people.step(e.actor, e.timestamp, e.rationale),
                )
        interests = self._interests(proposed.partnership_id, decision_id, people, as_of)
        if taken_event is not None:
            excluded = set(taken_event.excluded_votes)
            absent = set(taken_event.absent_votes)
        else:
            excluded = {i.member.id for i in interests if i.has_interest}
            absent = set()
        return pv.DecisionProvenance(
            id=decision_id,
            partnership_id=proposed.partnership_id,
            reference=proposed.reference,
            title=proposed.title,
            category=proposed.category.value,
            status=status,
            text=text,
            proposal=pv.Proposal(
                proposer=people.member(proposed.proposer_id),
                text=proposed.text,
                options=list(proposed.options),
                evidence=list(proposed.evidence),
                recorded=people.step(proposed.actor, proposed.timestamp),
            ),
            contributions=links,
            amendments=amendments,
            interests=interests,
            votes=[_vote(*vote, people, excluded, absent) for vote in votes],
            taken=taken,
            deferrals=deferrals,
            reviews=reviews,
            superseded=superseded,
            plan_revisions=self._citations(decision_id, people, as_of),
            actions=self._actions(decision_id, people, as_of),
        )

    # Helpers

    def _events_of(
        self, aggregate_id: UUID, kind: type[Any], as_of: datetime | None
    ) -> list[LedgerEvent]:
        self.app.load(kind, aggregate_id)
        events = self._up_to(aggregate_id, as_of)
        if not events:
            raise NotFound(f"{aggregate_id} did not exist yet on {as_of}.")
        return events

    def _up_to(self, aggregate_id: UUID, as_of: datetime | None) -> list[LedgerEvent]:
        events = cast(list[LedgerEvent], self.app.aggregate_events(aggregate_id))
        return [e for e in events if as_of is None or e.timestamp <= as_of]

    def _scan(self, topics: Sequence[str]) -> Iterator[LedgerEvent]:
        start = 1
        while True:
            page = self.app.recorder.select_notifications(start, PAGE, topics=topics)
            for n in page:
                yield cast(LedgerEvent, self.app.mapper.to_domain_event(n))
            if len(page) < PAGE:
                return
            start = page[-1].id + 1

    def _partnership_members(
        self, partnership_id: UUID, as_of: datetime | None
    ) -> dict[str, MemberRecord]:
        version = self._up_to(partnership_id, as_of)[-1].originator_version
        partnership = cast(Partnership, self.app.repository.get(partnership_id, version=version))
        return partnership.members

    def _contribution(self, contribution_id: UUID, as_of: datetime | None) -> pv.ContributionRef:
        events = self._up_to(contribution_id, as_of)
        submitted = cast(ContributionSubmitted, events[0])
        response = next((x for x in events if isinstance(x, ResponseIssued)), None)
        summary = next((x for x in events if isinstance(x, DeidentifiedSummaryRecorded)), None)
        return pv.ContributionRef(
            id=contribution_id,
            reference=submitted.reference,
            contributor_kind=submitted.contributor_kind.value,
            channel=submitted.channel.value,
            depth=submitted.depth.value,
            summary=summary.summary if summary else "",
            response=response.outcome.value if response else None,
            response_rationale=response.rationale if response else "",
            responded_on=response.timestamp.date() if response else None,
        )

    def _interests(
        self, partnership_id: UUID, decision_id: UUID, people: _People, as_of: datetime | None
    ) -> list[pv.InterestEntry]:
        latest: dict[str, pv.InterestEntry] = {}
        for e in self._up_to(partnership_id, as_of):
            if isinstance(e, InterestDeclared) and e.decision_id == decision_id:
                latest[e.member_id] = pv.InterestEntry(
                    member=people.member(e.member_id),
                    has_interest=e.has_interest,
                    declared=people.step(e.actor, e.timestamp, e.nature),
                )
        return list(latest.values())

    def _taken(self, e: DecisionTaken, people: _People, as_of: datetime | None) -> pv.TakenEntry:
        title, held_at, approved = "", None, False
        apologies: tuple[str, ...] = ()
        for m in self._up_to(e.meeting_id, as_of):
            if isinstance(m, MeetingScheduled):
                title, held_at = m.title, m.held_at
            elif isinstance(m, AttendanceRecorded):
                apologies = m.apologies
            elif isinstance(m, MinutesApproved):
                approved = True
        return pv.TakenEntry(
            outcome=e.outcome.value,
            taken_at=e.taken_at,
            recorded=people.step(e.actor, e.timestamp, e.rationale),
            meeting=pv.MeetingRef(
                id=e.meeting_id,
                title=title,
                held_at=held_at,
                present=[people.member(member) for member in e.members_present],
                apologies=[people.member(member) for member in apologies],
                minutes_approved=approved,
            ),
            terms_version=e.terms_version,
            quorum_required=e.quorum_required,
            quorum_met=e.quorum_met,
            forum_present=e.forum_present,
            coproduced=e.coproduced,
            tally=e.tally,
            excluded_votes=[people.member(member) for member in e.excluded_votes],
            absent_votes=[people.member(member) for member in e.absent_votes],
            dissent=[
                pv.DissentEntry(
                    member=people.member(d.member_id), stance=d.stance.value, reason=d.reason
                )
                for d in e.dissent
            ],
        )

    def _citations(
        self, decision_id: UUID, people: _People, as_of: datetime | None
    ) -> list[pv.PlanCitation]:
        result = []
        for e in self._scan((SectionRevised.TOPIC,)):
            revised = cast(SectionRevised, e)
            if as_of is not None and revised.timestamp > as_of:
                continue
            if decision_id not in revised.cited_decisions:
                continue
            drafted = cast(PlanDrafted, self.app.aggregate_events(revised.originator_id)[0])
            titles = {s.key: s.title for s in drafted.template.sections}
            result.append(
                pv.PlanCitation(
                    plan=pv.DocRef(id=revised.originator_id, reference=drafted.title),
                    section=revised.section,
                    section_title=titles[revised.section],
                    revision=revised.revision,
                    revised=people.step(revised.actor, revised.timestamp, revised.rationale),
                )
            )
        return result

    def _actions(
        self, decision_id: UUID, people: _People, as_of: datetime | None
    ) -> list[pv.ActionCommitment]:
        result = []
        for e in self._scan((ActionCommitted.TOPIC,)):
            committed = cast(ActionCommitted, e)
            if committed.decision_id != decision_id:
                continue
            if as_of is not None and committed.timestamp > as_of:
                continue
            percent, completed_at = 0, None
            for x in self._up_to(committed.originator_id, as_of):
                if isinstance(x, ProgressReported):
                    percent = x.percent_complete
                elif isinstance(x, ActionCompleted):
                    percent, completed_at = 100, x.timestamp
            result.append(
                pv.ActionCommitment(
                    id=committed.originator_id,
                    reference=committed.reference,
                    title=committed.title,
                    owner=committed.owner,
                    due_on=committed.due_on,
                    measure=committed.measure,
                    percent_complete=percent,
                    completed_at=completed_at,
                    committed=people.step(committed.actor, committed.timestamp),
                )
            )
        return result


class _People:
    """Members by the names the partnership holds for them; anyone else by id."""

    def __init__(self, members: dict[str, MemberRecord]) -> None:
        self.members = members

    def member(self, member_id: str, acting_as: str = "") -> pv.PersonRef:
        m = self.members.get(member_id)
        if m is None:
            return pv.PersonRef(id=member_id, name=member_id, role=acting_as)
        return pv.PersonRef(
            id=m.member_id,
            name=m.name,
            role=m.role,
            sector=m.sector.value,
            organisation=m.organisation,
            member=True,
            acting_as=acting_as,
        )

    def step(self, actor: Actor, at: datetime, why: str = "") -> pv.Step:
        return pv.Step(by=self.member(actor.id, acting_as=actor.role), at=at, why=why)


def _vote(
    e: VoteRecorded,
    step: pv.Step,
    withdrawn: pv.Step | None,
    people: _People,
    excluded: set[str],
    absent: set[str],
) -> pv.VoteEntry:
    reason = None
    if withdrawn is not None:
        reason = pv.NotCounted.WITHDRAWN
    elif e.member_id in excluded:
        reason = pv.NotCounted.DECLARED_INTEREST
    elif e.member_id in absent:
        reason = pv.NotCounted.ABSENT
    return pv.VoteEntry(
        member=people.member(e.member_id),
        stance=e.stance.value,
        recorded=step,
        withdrawn=withdrawn,
        counted=reason is None,
        not_counted=reason,
    )
