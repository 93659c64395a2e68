"""Co-production measures: on the Northmoor scenario's documents, and on small
ledgers built to exercise one edge at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import pytest

from domain.values import Channel, ContributorKind, Depth, ResponseOutcome, Stance
from projections.documents import (
    ContributionDoc,
    DecisionDoc,
    Doc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
)
from projections.measures import CoproductionMeasures, coproduction_measures
from projections.store import MemoryReadModelStore
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector
from tests.unit.builders import (
    CHAIR,
    ENGAGEMENT,
    FORUM,
    HEALTH,
    NOW,
    OBSERVER,
    SCHOOLS,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_clock,
    a_contribution,
    a_drafted_plan,
    a_meeting,
    a_proposed_decision,
    a_ready_partnership,
    a_taken_decision,
    a_triaged_contribution,
    an_app,
    cast_votes,
    link,
    route_to_case,
    stand_down,
    take,
)

D = TypeVar("D", bound=Doc)

TODAY = date(2026, 6, 1)


class Views:
    """The documents of one partnership, projected from a ledger in memory."""

    def __init__(self, app: LedgerApplication, partnership_id: UUID) -> None:
        self.store = MemoryReadModelStore()
        Projector(app, self.store).catch_up()
        self.partnership_id = partnership_id

    def all(self, kind: type[D], model: str) -> list[D]:
        return [d for d in self.store.scan(model, self.partnership_id) if isinstance(d, kind)]

    @property
    def partnership(self) -> PartnershipDoc:
        (found,) = self.all(PartnershipDoc, "partnership")
        return found

    def plan(self, plan_id: UUID) -> PlanDoc:
        return next(p for p in self.all(PlanDoc, "plan") if p.id == plan_id)

    def measures(
        self, *, today: date, plan: PlanDoc | None = None, response_due_days: int = 28
    ) -> CoproductionMeasures:
        return coproduction_measures(
            self.partnership,
            self.all(DecisionDoc, "decision"),
            self.all(ContributionDoc, "contribution"),
            self.all(MeetingDoc, "meeting"),
            today=today,
            plan=plan,
            response_due_days=response_due_days,
        )


@pytest.fixture(scope="module")
def northmoor() -> Views:
    clock = ScenarioClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = an_app(clock)
    write_northmoor(app, clock)
    return Views(app, IDS.partnership)


@pytest.fixture
def clock() -> ScenarioClock:
    return a_clock()


@pytest.fixture
def app(clock: ScenarioClock) -> LedgerApplication:
    return an_app(clock)


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def respond(
    contribution_id: UUID, outcome: ResponseOutcome = ResponseOutcome.ADOPTED
) -> commands.IssueResponse:
    return commands.IssueResponse(
        actor=SECRETARIAT,
        contribution_id=contribution_id,
        outcome=outcome,
        rationale="Reasoned response.",
    )


def a_practitioner_contribution(app: LedgerApplication, partnership_id: UUID) -> UUID:
    return app.handle(
        commands.SubmitContribution(
            actor=ENGAGEMENT,
            partnership_id=partnership_id,
            reference="C-P1",
            subject_ref="subj-p1",
            contributor_kind=ContributorKind.PRACTITIONER,
            contributor_name="A speech and language therapist",
            channel=Channel.EMAIL,
            depth=Depth.INFORMATION,
            text="Caseloads are too high.",
        )
    )


def take_with_everyone(app: LedgerApplication, partnership_id: UUID, decision_id: UUID) -> None:
    """Every voting member present and for; the forum is among them."""
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    app.handle(take(decision_id, a_meeting(app, partnership_id, VOTING_MEMBERS)))


# Northmoor


def test_northmoor_took_one_decision_with_parent_input_and_the_forum_present(
    northmoor: Views,
) -> None:
    decisions = northmoor.measures(today=TODAY).decisions

    assert decisions.in_scope == 1
    assert decisions.taken == 1
    assert decisions.approved == 1
    assert decisions.with_parent_input.count == 1
    assert decisions.with_parent_input.share == 1.0
    assert decisions.forum_present.share == 1.0
    assert decisions.coproduced.share == 1.0


def test_northmoor_adopted_one_contribution_and_partly_adopted_the_other(
    northmoor: Views,
) -> None:
    outcomes = northmoor.measures(today=TODAY).outcomes

    assert outcomes.received == 2
    assert outcomes.responded == 2
    assert (outcomes.adopted.count, outcomes.adopted.share) == (1, 0.5)
    assert (outcomes.partly_adopted.count, outcomes.partly_adopted.share) == (1, 0.5)
    assert (outcomes.not_adopted.count, outcomes.not_adopted.share) == (0, 0.0)
    assert outcomes.out_of_scope.count == 0
    assert outcomes.routed_to_case == 0
    assert outcomes.awaiting_response == 0


def test_northmoor_answered_contributions_a_median_of_eighty_and_a_half_days_after_submission(
    northmoor: Views,
) -> None:
    times = northmoor.measures(today=TODAY).response_times

    # C-112: 20 October to 16 January is 88 days; C-118: 4 November to 16 January is 73.
    assert times.median_days == 80.5
    assert times.longest_days == 88
    assert times.within_due.count == 0
    assert times.within_due.of == 2


def test_northmoor_has_no_overdue_responses(northmoor: Views) -> None:
    overdue = northmoor.measures(today=TODAY).overdue

    assert overdue.count == 0
    assert overdue.contributions == []
    assert overdue.due_days == 28


def test_northmoor_attendance_shows_the_ap_and_social_care_apologies(northmoor: Views) -> None:
    attendance = northmoor.measures(today=TODAY).attendance
    by_sector = {s.sector: s for s in attendance.sectors}

    assert attendance.meetings == attendance.meetings_recorded == 1
    assert sum(s.attendances for s in attendance.sectors) == 8
    assert by_sector["parent_carer_forum"].rate == 1.0
    assert by_sector["health"].attendances == 1
    assert by_sector["alternative_provision"].rate == 0.0
    assert by_sector["alternative_provision"].apologies == 1
    assert by_sector["social_care"].rate == 0.0
    assert "other" not in by_sector


def test_northmoor_engagement_counts_one_participation_and_one_consultation(
    northmoor: Views,
) -> None:
    engagement = northmoor.measures(today=TODAY).engagement
    depth = {d.key: (d.count, d.share) for d in engagement.by_depth}
    kinds = {k.key: k.count for k in engagement.by_contributor_kind}

    assert [d.key for d in engagement.by_depth] == [
        "coproduction",
        "participation",
        "consultation",
        "information",
    ]
    assert depth == {
        "coproduction": (0, 0.0),
        "participation": (1, 0.5),
        "consultation": (1, 0.5),
        "information": (0, 0.0),
    }
    assert kinds["parent_carer"] == 2


def test_every_northmoor_measure_names_the_log_position_it_reflects(northmoor: Views) -> None:
    measures = northmoor.measures(today=TODAY)
    decisions = northmoor.all(DecisionDoc, "decision")
    contributions = northmoor.all(ContributionDoc, "contribution")
    meetings = northmoor.all(MeetingDoc, "meeting")
    newest_contribution = max(d.position for d in contributions)

    assert measures.decisions.position == max(
        max(d.position for d in decisions), newest_contribution
    )
    assert measures.outcomes.position == newest_contribution
    assert measures.response_times.position == newest_contribution
    assert measures.attendance.position == max(
        northmoor.partnership.position, max(m.position for m in meetings)
    )
    assert measures.position == max(
        measures.decisions.position,
        measures.outcomes.position,
        measures.attendance.position,
        measures.engagement.position,
    )
    assert measures.position > 0
    assert measures.as_of == TODAY


def test_the_northmoor_plan_measures_cover_its_cited_decision_and_its_contributions(
    northmoor: Views,
) -> None:
    plan = northmoor.plan(IDS.plan)
    measures = northmoor.measures(today=TODAY, plan=plan)

    assert measures.plan_id == IDS.plan
    assert measures.decisions.taken == 1
    assert measures.decisions.with_parent_input.share == 1.0
    assert measures.outcomes.received == 2
    assert measures.response_times.median_days == 80.5
    assert measures.attendance.meetings == 1
    assert measures.decisions.position >= plan.position


# Edge cases on small ledgers


def test_a_partnership_with_no_decisions_or_contributions_has_no_shares_rather_than_zero(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    measures = Views(app, partnership_id).measures(today=NOW.date())

    assert measures.decisions.taken == 0
    assert measures.decisions.with_parent_input.share is None
    assert measures.decisions.forum_present.share is None
    assert measures.decisions.coproduced.share is None
    assert measures.outcomes.adopted.share is None
    assert measures.response_times.median_days is None
    assert measures.response_times.longest_days is None
    assert all(d.share is None for d in measures.engagement.by_depth)
    assert measures.attendance.meetings_recorded == 0
    assert all(s.rate is None for s in measures.attendance.sectors)


def test_a_contribution_unanswered_for_longer_than_the_due_period_is_overdue(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    a_triaged_contribution(app, partnership_id, reference="C-7")
    read_store = Views(app, partnership_id)

    on_the_day = read_store.measures(today=NOW.date() + timedelta(days=28)).overdue
    a_day_late = read_store.measures(today=NOW.date() + timedelta(days=29)).overdue

    assert on_the_day.count == 0
    assert a_day_late.count == 1
    assert a_day_late.contributions[0].reference == "C-7"
    assert a_day_late.contributions[0].submitted_on == NOW.date()
    assert a_day_late.contributions[0].days_waiting == 29


def test_the_due_period_for_a_response_can_be_set(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    a_triaged_contribution(app, partnership_id, reference="C-7")

    overdue = (
        Views(app, partnership_id)
        .measures(today=NOW.date() + timedelta(days=15), response_due_days=14)
        .overdue
    )

    assert [o.reference for o in overdue.contributions] == ["C-7"]
    assert overdue.due_days == 14


def test_overdue_responses_are_listed_oldest_first(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    a_triaged_contribution(app, partnership_id, reference="C-2")
    clock.set(NOW - timedelta(days=10))
    a_triaged_contribution(app, partnership_id, reference="C-1")

    overdue = Views(app, partnership_id).measures(today=NOW.date() + timedelta(days=60)).overdue

    assert [o.reference for o in overdue.contributions] == ["C-1", "C-2"]


def test_a_contribution_routed_to_an_individual_case_is_never_overdue_nor_an_outcome(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    contribution_id = app.handle(a_contribution(partnership_id, reference="C-9"))
    app.handle(route_to_case(contribution_id))

    measures = Views(app, partnership_id).measures(today=NOW.date() + timedelta(days=90))

    assert measures.outcomes.routed_to_case == 1
    assert measures.outcomes.responded == 0
    assert measures.outcomes.awaiting_response == 0
    assert measures.outcomes.adopted.share is None
    assert measures.overdue.count == 0


def test_outcome_shares_are_of_the_contributions_answered(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    first = a_triaged_contribution(app, partnership_id, reference="C-1")
    second = a_triaged_contribution(app, partnership_id, reference="C-2")
    a_triaged_contribution(app, partnership_id, reference="C-3")
    clock.set(NOW + timedelta(days=10))
    app.handle(respond(first, ResponseOutcome.NOT_ADOPTED))
    clock.set(NOW + timedelta(days=20))
    app.handle(respond(second, ResponseOutcome.OUT_OF_SCOPE))

    measures = Views(app, partnership_id).measures(today=NOW.date() + timedelta(days=21))

    assert measures.outcomes.received == 3
    assert measures.outcomes.awaiting_response == 1
    assert (measures.outcomes.not_adopted.count, measures.outcomes.not_adopted.of) == (1, 2)
    assert measures.outcomes.not_adopted.share == 0.5
    assert measures.outcomes.out_of_scope.share == 0.5
    assert measures.response_times.median_days == 15.0
    assert measures.response_times.within_due.count == 2


def test_a_decision_whose_only_parent_contribution_was_unlinked_has_no_parent_input(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    contribution_id = a_triaged_contribution(app, partnership_id)
    app.handle(link(decision_id, contribution_id))
    app.handle(
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=contribution_id,
            reason="Linked to the wrong decision.",
        )
    )
    take_with_everyone(app, partnership_id, decision_id)

    decisions = Views(app, partnership_id).measures(today=NOW.date()).decisions

    assert decisions.taken == 1
    assert decisions.with_parent_input.count == 0
    assert decisions.with_parent_input.share == 0.0


def test_a_practitioners_contribution_is_not_parent_input(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    contribution_id = a_practitioner_contribution(app, partnership_id)
    app.handle(commands.TriageContribution(actor=ENGAGEMENT, contribution_id=contribution_id))
    app.handle(link(decision_id, contribution_id))
    take_with_everyone(app, partnership_id, decision_id)

    measures = Views(app, partnership_id).measures(today=NOW.date())

    assert measures.decisions.taken == 1
    assert measures.decisions.with_parent_input.share == 0.0
    assert measures.engagement.by_contributor_kind[2].key == "practitioner"
    assert measures.engagement.by_contributor_kind[2].count == 1


def test_a_deferred_decision_is_in_scope_but_not_among_those_taken(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    a_taken_decision(app, partnership_id)
    deferred = a_proposed_decision(app, partnership_id, reference="D-30-02")
    app.handle(
        commands.DeferDecision(actor=SECRETARIAT, decision_id=deferred, reason="Await costs.")
    )
    a_proposed_decision(app, partnership_id, reference="D-30-03")

    decisions = Views(app, partnership_id).measures(today=NOW.date()).decisions

    assert decisions.in_scope == 3
    assert decisions.taken == 1
    assert decisions.deferred == 1
    assert decisions.open == 1
    assert decisions.forum_present.of == 1


def test_a_plan_counts_only_its_own_contributions_and_the_decisions_it_cites(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    cited = a_taken_decision(app, partnership_id, reference="D-30-01")
    a_taken_decision(app, partnership_id, reference="D-30-02")
    a_triaged_contribution(app, partnership_id, plan_id=plan_id, reference="C-on-plan")
    a_triaged_contribution(app, partnership_id, reference="C-general")
    app.handle(
        commands.ReviseSection(
            actor=SECRETARIAT,
            plan_id=plan_id,
            section="health_commissioning",
            text="Commission 4 FTE assistants.",
            rationale="Decision D-30-01.",
            cited_decisions=(cited,),
        )
    )
    read_store = Views(app, partnership_id)

    whole = read_store.measures(today=NOW.date())
    for_plan = read_store.measures(today=NOW.date(), plan=read_store.plan(plan_id))

    assert whole.decisions.taken == 2
    assert whole.outcomes.received == 2
    assert whole.attendance.meetings == 2
    assert for_plan.decisions.taken == 1
    assert for_plan.outcomes.received == 1
    assert for_plan.attendance.meetings == 1


def test_attendance_is_measured_over_meetings_with_attendance_recorded(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH), apologies=(SCHOOLS,))
    a_meeting(app, partnership_id, (CHAIR, SCHOOLS))
    a_meeting(app, partnership_id, None)

    attendance = Views(app, partnership_id).measures(today=NOW.date()).attendance
    by_sector = {s.sector: s for s in attendance.sectors}

    assert (attendance.meetings, attendance.meetings_recorded) == (3, 2)
    assert (by_sector["local_authority"].attendances, by_sector["local_authority"].rate) == (2, 1.0)
    assert by_sector["schools"].attendances == 1
    assert by_sector["schools"].apologies == 1
    assert by_sector["schools"].rate == 0.5
    assert by_sector["further_education"].rate == 0.0
    assert by_sector["parent_carer_forum"].rate == 0.5
    assert by_sector["other"].members == 1
    assert by_sector["other"].expected == 2


def test_a_member_who_stood_down_is_expected_only_where_they_were_recorded(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH, OBSERVER))
    app.handle(stand_down(partnership_id, OBSERVER))
    a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH))

    other = next(
        s
        for s in Views(app, partnership_id).measures(today=NOW.date()).attendance.sectors
        if s.sector == "other"
    )

    assert (other.members, other.attendances, other.expected, other.rate) == (0, 1, 1, 1.0)


def test_documents_of_another_partnership_are_left_out(app: LedgerApplication) -> None:
    ours = a_ready_partnership(app)
    theirs = app.handle(
        commands.EstablishPartnership(
            actor=SECRETARIAT, name="Westdale", kind="pathfinder", la_code="Z97", icb_code="QZX"
        )
    )
    a_triaged_contribution(app, ours, reference="C-ours")
    a_triaged_contribution(app, theirs, reference="C-theirs")
    a_meeting(app, theirs, None)
    read_store = Views(app, ours)
    every_contribution = [
        d for d in read_store.store.scan("contribution") if isinstance(d, ContributionDoc)
    ]
    every_meeting = [d for d in read_store.store.scan("meeting") if isinstance(d, MeetingDoc)]

    measures = coproduction_measures(
        read_store.partnership,
        [],
        every_contribution,
        every_meeting,
        today=NOW.date() + timedelta(days=60),
    )

    assert len(every_contribution) == 2
    assert measures.outcomes.received == 1
    assert [o.reference for o in measures.overdue.contributions] == ["C-ours"]
    assert measures.attendance.meetings == 0
