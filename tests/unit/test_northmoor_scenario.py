"""The Northmoor scenario of DOMAIN.md, written through the service: its end state,
and the actor and time every one of its events records."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.action import Action, ActionCommitted
from domain.base import LedgerEvent
from domain.contribution import Contribution, DeidentifiedSummaryRecorded, ResponseIssued
from domain.decision import Decision
from domain.decision_events import DecisionAmended, DecisionTaken
from domain.errors import DecisionFinal
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.plan import InclusionPlan, SectionRevised
from domain.values import Actor, DecisionOutcome, DecisionStatus, Influence, ResponseOutcome, Stance
from domain.votes import Dissent, Tally
from services.demo.cast import IDS, PRESENT, ScenarioClock, at
from services.demo.northmoor import northmoor_steps, write_northmoor
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import an_app, assert_refused, decision_taken, events_of

ICB_LEAD = "m-icb-lead"
FE_PRINCIPAL = "m-fe-principal"


@pytest.fixture
def clock() -> ScenarioClock:
    return ScenarioClock(at(2025, 9, 1))


@pytest.fixture
def northmoor(clock: ScenarioClock) -> LedgerApplication:
    app = an_app(clock)
    write_northmoor(app, clock)
    return app


def taken(app: LedgerApplication) -> DecisionTaken:
    return decision_taken(app, IDS.decision)


def test_the_northmoor_plan_is_published_on_the_local_offer(
    northmoor: LedgerApplication,
) -> None:
    plan = northmoor.load(InclusionPlan, IDS.plan)

    assert plan.stage == "published"
    assert plan.local_offer_url == "https://www.northmoor.example/local-offer/inclusion-plan"
    assert sorted(plan.submitted_versions) == [1, 2]
    assert plan.qa_approved


def test_the_health_commissioning_section_cites_d_24_07_and_c_118(
    northmoor: LedgerApplication,
) -> None:
    revisions = [e for e in events_of(northmoor, IDS.plan) if isinstance(e, SectionRevised)]

    assert [(r.section, r.revision) for r in revisions] == [
        ("health_commissioning", 2),
        ("health_commissioning", 3),
    ]
    assert all(r.cited_decisions == (IDS.decision,) for r in revisions)
    assert all(IDS.contribution_c118 in r.cited_contributions for r in revisions)
    section = northmoor.load(InclusionPlan, IDS.plan).sections["health_commissioning"]
    assert "further education colleges" in section.text


def test_d_24_07_is_taken_and_approved(northmoor: LedgerApplication) -> None:
    decision = northmoor.load(Decision, IDS.decision)

    assert decision.reference == "D-24-07"
    assert decision.status is DecisionStatus.TAKEN
    assert decision.outcome is DecisionOutcome.APPROVED
    assert decision.review_on == date(2027, 5, 1)


def test_d_24_07_has_c_118_linked_as_amended_and_was_amended_because_of_it(
    northmoor: LedgerApplication,
) -> None:
    decision = northmoor.load(Decision, IDS.decision)

    assert decision.links[IDS.contribution_c118].influence is Influence.AMENDED
    assert decision.links[IDS.contribution_c112].influence is Influence.INFORMED
    amended = [e for e in events_of(northmoor, IDS.decision) if isinstance(e, DecisionAmended)]
    assert [e.caused_by for e in amended] == [(IDS.contribution_c118,)]
    assert decision.amendments == 1
    assert "further education colleges" in decision.text


def test_the_icb_leads_vote_on_d_24_07_is_excluded_for_their_declared_interest(
    northmoor: LedgerApplication,
) -> None:
    partnership = northmoor.load(Partnership, IDS.partnership)

    assert partnership.interested_members(IDS.decision) == frozenset({ICB_LEAD})
    assert not partnership.interests[(FE_PRINCIPAL, IDS.decision)].has_interest
    assert taken(northmoor).excluded_votes == (ICB_LEAD,)
    assert ICB_LEAD in northmoor.load(Decision, IDS.decision).votes


def test_d_24_07_records_one_abstention_and_no_other_dissent(
    northmoor: LedgerApplication,
) -> None:
    decision_taken_event = taken(northmoor)

    assert decision_taken_event.tally == Tally(for_=6, against=0, abstain=1, block=0)
    assert decision_taken_event.dissent == (
        Dissent(
            member_id="m-special-head",
            stance=Stance.ABSTAIN,
            reason="Supports it, but wants the workforce plan first.",
        ),
    )


def test_d_24_07_is_taken_at_a_quorate_meeting_with_the_forum_present_and_co_produced(
    northmoor: LedgerApplication,
) -> None:
    decision_taken_event = taken(northmoor)

    assert decision_taken_event.meeting_id == IDS.meeting
    assert decision_taken_event.members_present == tuple(sorted(PRESENT))
    assert (decision_taken_event.terms_version, decision_taken_event.quorum_required) == (1, 5)
    assert decision_taken_event.quorum_met
    assert decision_taken_event.forum_present
    assert decision_taken_event.coproduced
    assert northmoor.load(Meeting, IDS.meeting).attendance() == PRESENT


def test_c_118_is_partly_adopted_with_a_rationale_and_a_deidentified_summary(
    northmoor: LedgerApplication,
) -> None:
    contribution = northmoor.load(Contribution, IDS.contribution_c118)
    history = events_of(northmoor, IDS.contribution_c118)
    responses = [e for e in history if isinstance(e, ResponseIssued)]
    summaries = [e for e in history if isinstance(e, DeidentifiedSummaryRecorded)]

    assert contribution.response is ResponseOutcome.PARTLY_ADOPTED
    assert [r.rationale for r in responses] == ["FE added now; sixth forms from 2026."]
    assert len(summaries) == 1
    assert contribution.contributor.value.lower() not in summaries[0].summary.lower()
    assert contribution.notified


def test_action_a_31_follows_d_24_07_owned_by_the_icb_and_due_in_march(
    northmoor: LedgerApplication,
) -> None:
    action = northmoor.load(Action, IDS.action)
    committed = events_of(northmoor, IDS.action)[0]

    assert isinstance(committed, ActionCommitted)
    assert committed.reference == "A-31"
    assert committed.decision_id == IDS.decision
    assert committed.owner == "Northmoor and Dale ICB"
    assert committed.due_on == date(2026, 3, 31)
    assert action.percent_complete == 50
    assert not action.completed


def test_d_24_07_cannot_be_amended_once_taken(northmoor: LedgerApplication) -> None:
    assert_refused(
        northmoor,
        commands.AmendDecision(
            actor=Actor(id="m-la-director", role="chair"),
            decision_id=IDS.decision,
            text="Commission 3 assistants instead.",
            caused_by=(IDS.contribution_c118,),
            rationale="Budget pressure.",
        ),
        DecisionFinal,
        match="Cannot amend D-24-07: it is taken and final",
        unchanged=IDS.decision,
    )


def test_a_member_who_sent_apologies_cannot_vote_on_d_24_07_after_it_is_taken(
    northmoor: LedgerApplication,
) -> None:
    assert_refused(
        northmoor,
        commands.RecordVote(
            actor=Actor(id="m-ap-head", role="member"),
            decision_id=IDS.decision,
            member_id="m-ap-head",
            stance=Stance.AGAINST,
            reason="Not consulted.",
        ),
        DecisionFinal,
        match="Cannot vote on D-24-07",
        unchanged=IDS.decision,
    )


def test_every_northmoor_event_records_the_commands_actor_and_the_clocks_time(
    clock: ScenarioClock,
) -> None:
    app = an_app(clock)
    touched: set[UUID] = set()
    steps = 0
    for when, command in northmoor_steps():
        clock.set(when)
        before = app.recorder.max_notification_id() or 0
        app.handle(command)
        stored = app.recorder.select_notifications(start=before + 1, limit=100)
        events = [app.mapper.to_domain_event(n) for n in stored]

        assert events, f"{type(command).__name__} stored no event"
        for event in events:
            assert isinstance(event, LedgerEvent)
            assert event.actor == command.actor, type(event).__name__
            assert event.occurred_at == when, type(event).__name__
            touched.add(event.originator_id)
        steps += 1

    assert steps > 40
    assert {IDS.partnership, IDS.plan, IDS.decision, IDS.meeting, IDS.action} <= touched
