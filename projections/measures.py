"""Co-production measures for a partnership, or for one of its plans.

Pure functions over the read models' documents: the caller passes the documents
and `today`, and gets back frozen structs that print as JSON. Every measure says
which log position it reflects (the highest position of the documents it used),
so a dashboard can show how current each figure is. Shares are fractions in
[0, 1], or None when there is nothing to divide by.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

import msgspec

from domain.values import (
    Channel,
    ContributorKind,
    DecisionOutcome,
    DecisionStatus,
    Depth,
    ResponseOutcome,
    Sector,
)
from projections.documents import (
    ContributionDoc,
    DecisionDoc,
    Doc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
)

PARENT_VOICES = frozenset({ContributorKind.PARENT_CARER.value, ContributorKind.YOUNG_PERSON.value})
"""Contributor kinds whose input counts as parent (or young person's) input to a decision."""

UNKNOWN_SECTOR = "unknown"
"""The sector of someone recorded at a meeting who is not a member of the partnership."""


class Ratio(msgspec.Struct, frozen=True, kw_only=True):
    count: int
    of: int
    share: float | None


class Count(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    count: int
    share: float | None


class DecisionMeasures(msgspec.Struct, frozen=True, kw_only=True):
    """Decisions in scope, and of those taken: how many had parent input (a
    currently linked contribution from a parent carer or young person), the
    parent carer forum present, and were recorded as co-produced."""

    position: int
    in_scope: int
    open: int
    deferred: int
    taken: int
    approved: int
    rejected: int
    superseded: int
    with_parent_input: Ratio
    forum_present: Ratio
    coproduced: Ratio


class ContributionOutcomes(msgspec.Struct, frozen=True, kw_only=True):
    """Contributions received and how they were answered; outcome shares are of
    the contributions that have a response."""

    position: int
    received: int
    responded: int
    awaiting_response: int
    routed_to_case: int
    adopted: Ratio
    partly_adopted: Ratio
    not_adopted: Ratio
    out_of_scope: Ratio


class ResponseTimes(msgspec.Struct, frozen=True, kw_only=True):
    """Calendar days from a contribution's submission to its response."""

    position: int
    responded: int
    median_days: float | None
    longest_days: int | None
    within_due: Ratio


class OverdueResponse(msgspec.Struct, frozen=True, kw_only=True):
    contribution_id: UUID
    reference: str
    submitted_on: date
    days_waiting: int


class OverdueResponses(msgspec.Struct, frozen=True, kw_only=True):
    """Contributions with no response that are not routed to an individual case,
    submitted more than `due_days` before today; oldest first."""

    position: int
    due_days: int
    count: int
    contributions: list[OverdueResponse]


class SectorAttendance(msgspec.Struct, frozen=True, kw_only=True):
    """`expected` counts, over the meetings with attendance recorded, the sector's
    active members plus any of its members recorded present or sending apologies."""

    sector: str
    members: int
    attendances: int
    apologies: int
    expected: int
    rate: float | None


class Attendance(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    meetings: int
    meetings_recorded: int
    sectors: list[SectorAttendance]


class Engagement(msgspec.Struct, frozen=True, kw_only=True):
    """Contributions by depth of engagement (deepest first), contributor kind and channel."""

    position: int
    contributions: int
    by_depth: list[Count]
    by_contributor_kind: list[Count]
    by_channel: list[Count]


class CoproductionMeasures(msgspec.Struct, frozen=True, kw_only=True):
    partnership_id: UUID
    plan_id: UUID | None
    as_of: date
    position: int
    decisions: DecisionMeasures
    outcomes: ContributionOutcomes
    response_times: ResponseTimes
    overdue: OverdueResponses
    attendance: Attendance
    engagement: Engagement


def coproduction_measures(
    partnership: PartnershipDoc,
    decisions: list[DecisionDoc],
    contributions: list[ContributionDoc],
    meetings: list[MeetingDoc],
    *,
    today: date,
    plan: PlanDoc | None = None,
    response_due_days: int = 28,
) -> CoproductionMeasures:
    """The partnership's co-production measures as of `today`.

    For a plan, contributions are those made on the plan, decisions those its
    revisions cite, and attendance covers the meetings at which those decisions
    were taken. Parent input is looked up among all the contributions passed,
    since a decision may rest on input made outside the plan's consultation.
    """
    own_decisions = [d for d in decisions if d.partnership_id == partnership.id]
    own_contributions = [c for c in contributions if c.partnership_id == partnership.id]
    own_meetings = [m for m in meetings if m.partnership_id == partnership.id]
    if plan is not None:
        cited = plan_decision_ids(plan, own_decisions)
        own_decisions = [d for d in own_decisions if d.id in cited]
        scoped = [c for c in own_contributions if on_plan(c, plan)]
        decided_at = {d.taken.meeting_id for d in own_decisions if d.taken is not None}
        own_meetings = [m for m in own_meetings if m.id in decided_at]
    else:
        scoped = own_contributions
    by_id = {c.id: c for c in own_contributions}

    decision_measures = _decision_measures(own_decisions, by_id, plan)
    outcomes = _outcomes(scoped)
    times = _response_times(scoped, response_due_days)
    overdue = _overdue(scoped, today, response_due_days)
    attendance = _attendance(partnership, own_meetings)
    engagement = _engagement(scoped)
    return CoproductionMeasures(
        partnership_id=partnership.id,
        plan_id=plan.id if plan is not None else None,
        as_of=today,
        position=max(
            decision_measures.position,
            outcomes.position,
            attendance.position,
            engagement.position,
        ),
        decisions=decision_measures,
        outcomes=outcomes,
        response_times=times,
        overdue=overdue,
        attendance=attendance,
        engagement=engagement,
    )


def ratio(count: int, of: int) -> Ratio:
    return Ratio(count=count, of=of, share=count / of if of else None)


def position_of(docs: Iterable[Doc | None]) -> int:
    """The log position a figure built from these documents reflects."""
    return max((d.position for d in docs if d is not None), default=0)


def plan_decision_ids(plan: PlanDoc, decisions: Iterable[DecisionDoc]) -> set[UUID]:
    """Decisions the plan's revisions cite, seen from either side of the citation."""
    cited = {d for r in plan.revisions for d in r.cited_decisions}
    cited.update(d.id for d in decisions if any(c.plan_id == plan.id for c in d.citations))
    return cited


def on_plan(contribution: ContributionDoc, plan: PlanDoc) -> bool:
    return contribution.plan_id == plan.id


def has_parent_input(decision: DecisionDoc, contributions: dict[UUID, ContributionDoc]) -> bool:
    for link in decision.links:
        found = contributions.get(link.contribution_id)
        if (
            link.unlinked_at is None
            and found is not None
            and found.contributor_kind in PARENT_VOICES
        ):
            return True
    return False


def response_days(contribution: ContributionDoc) -> int | None:
    if contribution.response is None:
        return None
    return (contribution.response.at.date() - contribution.submitted_at.date()).days


def _decision_measures(
    decisions: Sequence[DecisionDoc],
    contributions: dict[UUID, ContributionDoc],
    plan: PlanDoc | None,
) -> DecisionMeasures:
    taken = [d for d in decisions if d.taken is not None]
    records = [d.taken for d in taken if d.taken is not None]
    linked = [contributions.get(link.contribution_id) for d in decisions for link in d.links]
    return DecisionMeasures(
        position=max(position_of(decisions), position_of(linked), position_of([plan])),
        in_scope=len(decisions),
        open=sum(d.status == DecisionStatus.PROPOSED for d in decisions),
        deferred=sum(d.status == DecisionStatus.DEFERRED for d in decisions),
        taken=len(taken),
        approved=sum(t.outcome == DecisionOutcome.APPROVED for t in records),
        rejected=sum(t.outcome == DecisionOutcome.REJECTED for t in records),
        superseded=sum(d.status == DecisionStatus.SUPERSEDED for d in decisions),
        with_parent_input=ratio(sum(has_parent_input(d, contributions) for d in taken), len(taken)),
        forum_present=ratio(sum(t.forum_present for t in records), len(records)),
        coproduced=ratio(sum(t.coproduced for t in records), len(records)),
    )


def _outcomes(contributions: Sequence[ContributionDoc]) -> ContributionOutcomes:
    responses = [c.response.outcome for c in contributions if c.response is not None]

    def share(outcome: ResponseOutcome) -> Ratio:
        return ratio(responses.count(outcome.value), len(responses))

    return ContributionOutcomes(
        position=position_of(contributions),
        received=len(contributions),
        responded=len(responses),
        awaiting_response=sum(c.response is None and not c.routed_to_case for c in contributions),
        routed_to_case=sum(c.routed_to_case for c in contributions),
        adopted=share(ResponseOutcome.ADOPTED),
        partly_adopted=share(ResponseOutcome.PARTLY_ADOPTED),
        not_adopted=share(ResponseOutcome.NOT_ADOPTED),
        out_of_scope=share(ResponseOutcome.OUT_OF_SCOPE),
    )


def _response_times(contributions: Sequence[ContributionDoc], due_days: int) -> ResponseTimes:
    days = [d for d in (response_days(c) for c in contributions) if d is not None]
    return ResponseTimes(
        position=position_of(contributions),
        responded=len(days),
        median_days=float(statistics.median(days)) if days else None,
        longest_days=max(days, default=None),
        within_due=ratio(sum(d <= due_days for d in days), len(days)),
    )


def _overdue(
    contributions: Sequence[ContributionDoc], today: date, due_days: int
) -> OverdueResponses:
    overdue = sorted(
        (
            OverdueResponse(
                contribution_id=c.id,
                reference=c.reference,
                submitted_on=c.submitted_at.date(),
                days_waiting=(today - c.submitted_at.date()).days,
            )
            for c in contributions
            if c.response is None
            and not c.routed_to_case
            and (today - c.submitted_at.date()).days > due_days
        ),
        key=lambda o: (o.submitted_on, o.reference),
    )
    return OverdueResponses(
        position=position_of(contributions),
        due_days=due_days,
        count=len(overdue),
        contributions=overdue,
    )


def _attendance(partnership: PartnershipDoc, meetings: Sequence[MeetingDoc]) -> Attendance:
    members = partnership.members

    def sector_of(member_id: str) -> str:
        member = members.get(member_id)
        return member.sector.value if member is not None else UNKNOWN_SECTOR

    recorded = [m for m in meetings if m.attendance_recorded]
    active = {m.member_id for m in members.values() if m.active}
    present: dict[str, int] = {}
    apologies: dict[str, int] = {}
    expected: dict[str, int] = {}
    for meeting in recorded:
        for member_id in meeting.present:
            present[sector_of(member_id)] = present.get(sector_of(member_id), 0) + 1
        for member_id in meeting.apologies:
            apologies[sector_of(member_id)] = apologies.get(sector_of(member_id), 0) + 1
        for member_id in active | set(meeting.present) | set(meeting.apologies):
            expected[sector_of(member_id)] = expected.get(sector_of(member_id), 0) + 1
    headcount: dict[str, int] = {}
    for member in members.values():
        if member.active:
            headcount[member.sector.value] = headcount.get(member.sector.value, 0) + 1

    sectors = [s.value for s in Sector] + [UNKNOWN_SECTOR]
    rows = [
        SectorAttendance(
            sector=sector,
            members=headcount.get(sector, 0),
            attendances=present.get(sector, 0),
            apologies=apologies.get(sector, 0),
            expected=expected.get(sector, 0),
            rate=ratio(present.get(sector, 0), expected.get(sector, 0)).share,
        )
        for sector in sectors
        if headcount.get(sector, 0) or expected.get(sector, 0)
    ]
    return Attendance(
        position=max(position_of(meetings), partnership.position),
        meetings=len(meetings),
        meetings_recorded=len(recorded),
        sectors=rows,
    )


def _engagement(contributions: Sequence[ContributionDoc]) -> Engagement:
    def counts(keys: list[str], values: list[str]) -> list[Count]:
        extra = sorted(set(values) - set(keys))
        return [
            Count(key=k, count=values.count(k), share=ratio(values.count(k), len(values)).share)
            for k in [*keys, *extra]
        ]

    return Engagement(
        position=position_of(contributions),
        contributions=len(contributions),
        by_depth=counts([d.value for d in Depth], [c.depth for c in contributions]),
        by_contributor_kind=counts(
            [k.value for k in ContributorKind], [c.contributor_kind for c in contributions]
        ),
        by_channel=counts([ch.value for ch in Channel], [c.channel for c in contributions]),
    )
