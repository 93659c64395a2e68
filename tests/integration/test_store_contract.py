"""One contract for the event store, held by every backend the ledger supports.

Each test runs on the in-memory store, a SQLite file and PostgreSQL (through the
`store_url` fixture); tests that reopen a database run on the durable two.
Concurrent changes are made deterministic by hooking the clock or the id factory
the service calls between loading an aggregate and saving it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import msgspec
import pytest

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.contribution import Contribution, ContributionSubmitted
from domain.decision import Decision
from domain.errors import Conflict, NotFound
from domain.partnership import MemberAppointed, Partnership
from domain.plan import ContributionReceived, InclusionPlan, SectionRevised
from domain.values import Actor, Channel, ContributorKind, Depth, Sector, Stance
from projections.provenance import DecisionProvenance
from services import views
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1

SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
ENGAGEMENT = Actor(id="u-engagement-officer", role="engagement_officer")
CHAIR = Actor(id="m-la-director", role="chair")

Hook = Callable[[], object]
LogRow = tuple[int, UUID | str, int, str]


class HookedClock:
    """A minute per reading; an armed hook runs once, just before the next reading."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.before_next: Hook | None = None

    def __call__(self) -> datetime:
        hook, self.before_next = self.before_next, None
        if hook is not None:
            hook()
        self.now += timedelta(minutes=1)
        return self.now


class HookedIds:
    """Fresh ids; an armed hook runs once, just before the next id is issued."""

    def __init__(self) -> None:
        self.issued: list[UUID] = []
        self.before_next: Hook | None = None

    def __call__(self) -> UUID:
        hook, self.before_next = self.before_next, None
        if hook is not None:
            hook()
        new = uuid4()
        self.issued.append(new)
        return new


class Hooked(msgspec.Struct, frozen=True):
    ledger: Ledger
    clock: HookedClock
    ids: HookedIds


def open_ledger(url: str) -> Hooked:
    clock = HookedClock(datetime(2025, 9, 1, 9, tzinfo=UTC))
    ids = HookedIds()
    return Hooked(
        ledger=bootstrap(Settings(database_url=url), clock=clock, new_id=ids),
        clock=clock,
        ids=ids,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def hooked(store_url: str) -> Iterator[Hooked]:
    opened = open_ledger(store_url)
    try:
        yield opened
    finally:
        opened.ledger.close()


@pytest.fixture
def ledger(hooked: Hooked) -> Ledger:
    return hooked.ledger


def establish(ledger: Ledger, members: tuple[str, ...] = ("m-la-director", "m-forum")) -> UUID:
    app = ledger.app
    partnership_id = app.handle(
        commands.EstablishPartnership(
            actor=SECRETARIAT,
            name="Northmoor SEND and AP Partnership",
            kind="local_send_ap_partnership",
            la_code="Z99",
            icb_code="QZZ",
        )
    )
    for member_id in members:
        app.handle(appoint(partnership_id, member_id))
    return partnership_id


def appoint(partnership_id: UUID, member_id: str) -> commands.AppointMember:
    return commands.AppointMember(
        actor=SECRETARIAT,
        partnership_id=partnership_id,
        member_id=member_id,
        name=f"Member {member_id}",
        role="member",
        sector=Sector.PARENT_CARER_FORUM if "forum" in member_id else Sector.SCHOOLS,
        organisation="Northmoor",
    )


def draft_plan(ledger: Ledger, partnership_id: UUID) -> UUID:
    return ledger.app.handle(
        commands.DraftPlan(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            title="Northmoor Local Inclusion Plan 2026-2029",
            template=LOCAL_INCLUSION_PLAN_V1.ref,
            period_start=date(2026, 4, 1),
            period_end=date(2029, 3, 31),
            sections={"vision": "Needs met early, close to home."},
        )
    )


def submit_on_plan(
    partnership_id: UUID, plan_id: UUID, reference: str
) -> commands.SubmitContribution:
    return commands.SubmitContribution(
        actor=ENGAGEMENT,
        partnership_id=partnership_id,
        plan_id=plan_id,
        reference=reference,
        subject_ref=f"subj-{reference}",
        contributor_kind=ContributorKind.PARENT_CARER,
        contributor_name="A parent (name held)",
        channel=Channel.SURVEY,
        depth=Depth.CONSULTATION,
        sections=("health_commissioning",),
        text="We waited 18 months for a speech and language assessment.",
    )


def revise_vision(plan_id: UUID, text: str) -> commands.ReviseSection:
    return commands.ReviseSection(
        actor=SECRETARIAT, plan_id=plan_id, section="vision", text=text, rationale="Board asked."
    )


def log_of(ledger: Ledger) -> list[LogRow]:
    return [
        (n.id, n.originator_id, n.originator_version, n.topic)
        for n in ledger.app.recorder.select_notifications(1, 10_000)
    ]


# Saving and loading


def test_a_saved_aggregate_loads_back_with_its_state_and_version(ledger: Ledger) -> None:
    partnership_id = establish(ledger)
    ledger.app.handle(
        commands.AdoptTermsOfReference(
            actor=CHAIR, partnership_id=partnership_id, quorum=2, forum_required=True
        )
    )

    partnership = ledger.app.load(Partnership, partnership_id)

    assert partnership.id == partnership_id
    assert partnership.version == 4
    assert partnership.name == "Northmoor SEND and AP Partnership"
    assert sorted(partnership.members) == ["m-forum", "m-la-director"]
    assert partnership.members["m-forum"].sector is Sector.PARENT_CARER_FORUM
    assert partnership.terms is not None
    assert (partnership.terms.quorum, partnership.terms.forum_required) == (2, True)


def test_stored_events_load_back_equal_to_the_events_the_aggregate_raised(
    ledger: Ledger,
) -> None:
    partnership_id = establish(ledger)
    plan_id = draft_plan(ledger, partnership_id)
    plan = ledger.app.load(InclusionPlan, plan_id)
    plan.revise_section(
        section="vision",
        text="Every child known, early.",
        rationale="Forum feedback.",
        cited_decisions=(),
        cited_contributions=(),
        actor=SECRETARIAT,
        at=datetime(2025, 10, 1, 12, 30, 15, 250000, tzinfo=UTC),
    )
    raised = list(plan.pending_events)

    ledger.app.save_all(plan)

    stored = ledger.app.aggregate_events(plan_id)
    assert len(stored) == 2
    assert stored[1:] == raised
    assert ledger.app.load(InclusionPlan, plan_id).sections["vision"].revision == 2


def test_a_second_ledger_on_the_same_database_reads_what_the_first_saved(
    durable_url: str,
) -> None:
    first = open_ledger(durable_url).ledger
    try:
        partnership_id = establish(first)
        plan_id = draft_plan(first, partnership_id)
        first.app.handle(revise_vision(plan_id, "Every child known, early."))
        written_plan = first.read_models.plan(plan_id)
        written_history = first.read_models.history(partnership_id)
    finally:
        first.close()

    second = open_ledger(durable_url).ledger
    try:
        assert second.app.load(Partnership, partnership_id).version == 3
        assert second.read_models.plan(plan_id) == written_plan
        assert second.read_models.history(partnership_id) == written_history
    finally:
        second.close()


# The notification log


def test_the_notification_log_is_gap_free_and_in_the_order_events_were_saved(
    ledger: Ledger,
) -> None:
    partnership_id = establish(ledger, members=("m-a", "m-b", "m-forum"))
    plan_id = draft_plan(ledger, partnership_id)
    ledger.app.handle(appoint(partnership_id, "m-c"))
    ledger.app.handle(revise_vision(plan_id, "Second draft."))
    ledger.app.handle(submit_on_plan(partnership_id, plan_id, "C-1"))

    (contribution_id,) = ledger.app.load(InclusionPlan, plan_id).awaiting_triage

    log = log_of(ledger)

    assert [n[0] for n in log] == list(range(1, len(log) + 1))
    assert ledger.app.recorder.max_notification_id() == len(log)
    every_event = [
        *ledger.app.aggregate_events(partnership_id),
        *ledger.app.aggregate_events(plan_id),
        *ledger.app.aggregate_events(contribution_id),
    ]
    # Each command reads the clock once, so time orders the commands; within the
    # contribution's command the new contribution is saved before the plan's receipt.
    in_save_order = sorted(
        every_event, key=lambda e: (e.timestamp, e.originator_id != contribution_id)
    )
    assert [(a, ver) for _, a, ver, _ in log] == [
        (e.originator_id, e.originator_version) for e in in_save_order
    ]


def test_the_log_reads_the_same_in_pages_as_in_one_read(ledger: Ledger) -> None:
    partnership_id = establish(ledger, members=("m-a", "m-b", "m-c", "m-d", "m-forum"))
    draft_plan(ledger, partnership_id)
    whole = log_of(ledger)

    paged: list[LogRow] = []
    start = 1
    while page := ledger.app.recorder.select_notifications(start, 2):
        paged.extend((n.id, n.originator_id, n.originator_version, n.topic) for n in page)
        start = page[-1].id + 1

    assert paged == whole
    entries = ledger.read_models.events(after=3, limit=2)
    assert [(e.position, e.aggregate_id, e.version) for e in entries] == [
        (p, a, ver) for p, a, ver, _ in whole[3:5]
    ]


def test_selecting_the_log_by_topic_keeps_log_order(ledger: Ledger) -> None:
    partnership_id = establish(ledger, members=("m-a", "m-b", "m-forum"))
    draft_plan(ledger, partnership_id)
    whole = log_of(ledger)

    appointed = ledger.app.recorder.select_notifications(1, 100, topics=[MemberAppointed.TOPIC])

    assert [(n.id, n.originator_version) for n in appointed] == [
        (p, ver) for p, _, ver, topic in whole if topic == MemberAppointed.TOPIC
    ]
    assert [n.originator_version for n in appointed] == [2, 3, 4]


# Atomic saves of several aggregates


def test_a_contribution_on_a_plan_saves_the_contribution_and_the_plans_receipt_together(
    ledger: Ledger,
) -> None:
    partnership_id = establish(ledger)
    plan_id = draft_plan(ledger, partnership_id)
    before = log_of(ledger)

    contribution_id = ledger.app.handle(submit_on_plan(partnership_id, plan_id, "C-112"))

    added = log_of(ledger)[len(before) :]
    assert sorted((a, ver, topic) for _, a, ver, topic in added) == sorted(
        [
            (contribution_id, 1, ContributionSubmitted.TOPIC),
            (plan_id, 2, ContributionReceived.TOPIC),
        ]
    )
    assert [p for p, *_ in added] == [len(before) + 1, len(before) + 2]
    assert ledger.app.load(InclusionPlan, plan_id).awaiting_triage == {contribution_id}
    contribution = ledger.app.load(Contribution, contribution_id)
    assert (contribution.plan_id, contribution.reference) == (plan_id, "C-112")


def test_an_executed_command_reports_the_positions_the_log_gives_its_events(
    ledger: Ledger,
) -> None:
    partnership_id = establish(ledger)
    plan_id = draft_plan(ledger, partnership_id)
    before = log_of(ledger)

    alone = ledger.app.execute(submit_on_plan(partnership_id, plan_id, "C-112"))
    batch = ledger.app.execute_all(
        [submit_on_plan(partnership_id, plan_id, "C-113"), revise_vision(plan_id, "Redrafted.")]
    )

    reported = [
        (e.position, e.aggregate_id, e.version, e.type)
        for outcome in (alone, *batch)
        for e in outcome.events
    ]
    assert reported == log_of(ledger)[len(before) :]
    assert alone.assigned_ids == {"contribution_id": alone.aggregate_id}
    assert [e.aggregate_id for e in batch[1].events] == [plan_id]


def test_a_multi_aggregate_save_that_conflicts_stores_none_of_its_aggregates(
    hooked: Hooked,
) -> None:
    ledger = hooked.ledger
    partnership_id = establish(ledger)
    plan_id = draft_plan(ledger, partnership_id)
    # The contribution's id is issued after the plan is loaded and before the save:
    # someone revises the plan in between.
    hooked.ids.before_next = lambda: ledger.app.handle(revise_vision(plan_id, "Revised first."))
    before = log_of(ledger)

    with pytest.raises(Conflict) as raised:
        ledger.app.handle(submit_on_plan(partnership_id, plan_id, "C-113"))

    contribution_id = hooked.ids.issued[-1]
    assert str(plan_id) in raised.value.message
    added = log_of(ledger)[len(before) :]
    assert [(a, ver, topic) for _, a, ver, topic in added] == [(plan_id, 2, SectionRevised.TOPIC)]
    assert list(ledger.app.recorder.select_events(contribution_id)) == []
    with pytest.raises(NotFound):
        ledger.app.load(Contribution, contribution_id)
    plan = ledger.app.load(InclusionPlan, plan_id)
    assert plan.awaiting_triage == set()
    assert plan.sections["vision"].text == "Revised first."


# Optimistic concurrency


def test_the_second_of_two_changes_to_one_loaded_aggregate_is_a_conflict_and_stores_nothing(
    ledger: Ledger,
) -> None:
    partnership_id = establish(ledger)
    first = ledger.app.load(Partnership, partnership_id)
    second = ledger.app.load(Partnership, partnership_id)
    at = datetime(2025, 9, 2, tzinfo=UTC)
    first.appoint_member(
        member_id="m-first",
        name="First",
        role="member",
        sector=Sector.SCHOOLS,
        organisation="Northmoor",
        voting=True,
        actor=SECRETARIAT,
        at=at,
    )
    second.appoint_member(
        member_id="m-second",
        name="Second",
        role="member",
        sector=Sector.HEALTH,
        organisation="Northmoor",
        voting=True,
        actor=SECRETARIAT,
        at=at,
    )
    ledger.app.save_all(first)
    before = log_of(ledger)

    with pytest.raises(Conflict) as raised:
        ledger.app.save_all(second)

    assert str(partnership_id) in raised.value.message
    assert log_of(ledger) == before
    stored = ledger.app.load(Partnership, partnership_id)
    assert "m-first" in stored.members
    assert "m-second" not in stored.members
    assert stored.version == first.version


def test_a_command_racing_another_on_the_same_aggregate_is_refused_as_a_conflict(
    hooked: Hooked,
) -> None:
    ledger = hooked.ledger
    partnership_id = establish(ledger)
    # The clock is read after the partnership is loaded and before it is saved.
    hooked.clock.before_next = lambda: ledger.app.handle(appoint(partnership_id, "m-winner"))
    before = len(log_of(ledger))

    with pytest.raises(Conflict):
        ledger.app.handle(appoint(partnership_id, "m-loser"))

    assert len(log_of(ledger)) == before + 1
    members = ledger.app.load(Partnership, partnership_id).members
    assert "m-winner" in members
    assert "m-loser" not in members
    # Retrying on fresh state succeeds, as the conflict's message advises.
    ledger.app.handle(appoint(partnership_id, "m-loser"))
    assert "m-loser" in ledger.app.load(Partnership, partnership_id).members


def test_two_ledgers_on_one_database_cannot_both_change_the_same_aggregate(
    durable_url: str,
) -> None:
    one = open_ledger(durable_url)
    other = open_ledger(durable_url)
    try:
        partnership_id = establish(one.ledger)
        other.clock.before_next = lambda: one.ledger.app.handle(
            appoint(partnership_id, "m-via-one")
        )
        before = len(log_of(one.ledger))

        with pytest.raises(Conflict):
            other.ledger.app.handle(appoint(partnership_id, "m-via-other"))

        assert len(log_of(other.ledger)) == before + 1
        members = other.ledger.app.load(Partnership, partnership_id).members
        assert "m-via-one" in members
        assert "m-via-other" not in members
    finally:
        one.ledger.close()
        other.ledger.close()


# Unknown ids


def test_loading_an_unknown_id_raises_not_found_naming_the_id(ledger: Ledger) -> None:
    establish(ledger)
    unknown = uuid4()

    with pytest.raises(NotFound) as raised:
        ledger.app.load(Decision, unknown)

    assert str(unknown) in raised.value.message
    assert "decision" in raised.value.message


def test_a_command_on_an_unknown_id_raises_not_found_and_stores_nothing(ledger: Ledger) -> None:
    establish(ledger)
    unknown = uuid4()
    before = log_of(ledger)

    with pytest.raises(NotFound, match=str(unknown)):
        ledger.app.handle(
            commands.RecordVote(
                actor=CHAIR, decision_id=unknown, member_id="m-la-director", stance=Stance.FOR
            )
        )

    assert log_of(ledger) == before


def test_loading_an_id_as_the_wrong_kind_of_aggregate_raises_not_found(ledger: Ledger) -> None:
    partnership_id = establish(ledger)

    with pytest.raises(NotFound) as raised:
        ledger.app.load(Decision, partnership_id)

    assert str(partnership_id) in raised.value.message
    assert "not a decision" in raised.value.message


def test_history_of_an_unknown_id_raises_not_found_naming_the_id(ledger: Ledger) -> None:
    unknown = uuid4()

    with pytest.raises(NotFound, match=str(unknown)):
        ledger.read_models.history(unknown)


# History with log positions


def test_history_gives_each_event_its_log_position_in_version_order(ledger: Ledger) -> None:
    partnership_id = establish(ledger, members=("m-a", "m-forum"))
    plan_id = draft_plan(ledger, partnership_id)
    ledger.app.handle(appoint(partnership_id, "m-b"))
    ledger.app.handle(revise_vision(plan_id, "Second draft."))
    ledger.app.handle(appoint(partnership_id, "m-c"))
    positions_in_log = {ver: p for p, a, ver, _ in log_of(ledger) if a == partnership_id}

    history = ledger.read_models.history(partnership_id)

    assert [h.version for h in history] == [1, 2, 3, 4, 5]
    assert all(h.position is not None for h in history)
    assert {h.version: h.position for h in history} == positions_in_log
    positions = [h.position for h in history if h.position is not None]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert [h.type for h in history] == ["PartnershipEstablished"] + ["MemberAppointed"] * 4
    assert [h.actor for h in history] == [SECRETARIAT.id] * 5
    assert [h.occurred_at for h in history] == sorted(h.occurred_at for h in history)


# The whole Northmoor scenario


class NorthmoorReading(msgspec.Struct, frozen=True):
    decision: DecisionProvenance
    plan: views.PlanView
    log: list[views.LogEntry]
    history: list[views.HistoryEntry]


def write_and_read_northmoor(url: str) -> NorthmoorReading:
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        return read_northmoor(ledger)
    finally:
        ledger.close()


def read_northmoor(ledger: Ledger) -> NorthmoorReading:
    return NorthmoorReading(
        decision=ledger.read_models.decision(IDS.decision),
        plan=ledger.read_models.plan(IDS.plan),
        log=ledger.read_models.events(after=0, limit=10_000),
        history=ledger.read_models.history(IDS.decision),
    )


@pytest.fixture(scope="module")
def northmoor_in_memory() -> NorthmoorReading:
    return write_and_read_northmoor("memory://")


def test_the_northmoor_scenario_reads_back_identically_on_every_backend(
    store_url: str, northmoor_in_memory: NorthmoorReading
) -> None:
    reading = write_and_read_northmoor(store_url)

    assert reading.decision == northmoor_in_memory.decision
    assert reading.plan == northmoor_in_memory.plan
    assert reading.log == northmoor_in_memory.log
    assert reading.history == northmoor_in_memory.history
    # The scenario's story, as every backend tells it.
    assert reading.decision.status == "taken"
    assert reading.decision.taken is not None
    assert reading.decision.taken.coproduced
    assert reading.plan.stage == "published"
    assert [p.position for p in reading.log] == list(range(1, len(reading.log) + 1))


def test_the_northmoor_scenario_reads_back_identically_after_reopening_the_database(
    durable_url: str,
) -> None:
    written = write_and_read_northmoor(durable_url)

    reopened = bootstrap(Settings(database_url=durable_url))
    try:
        assert read_northmoor(reopened) == written
    finally:
        reopened.close()
