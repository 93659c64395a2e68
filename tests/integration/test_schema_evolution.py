"""Votes stored by version 1 of VoteRecorded still load from a real database.

The fixture holds the bytes version 1 stored: a `vote` of yes/no/abstain and no
`class_version` key. They go into the store through the recorder, exactly as an
old ledger file or table would hold them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.decision import Decision
from domain.decision_events import DecisionTaken, VoteRecorded
from domain.errors import AlreadyVoted
from domain.values import Actor, DecisionCategory, DecisionOutcome, Sector, Stance
from services.ledger import commands

FIXTURE = Path(__file__).parent.parent / "fixtures" / "vote_recorded_v1.json"
SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
CHAIR = Actor(id="m-la-director", role="chair")
V1_VOTER = "m-forum-cochair"


class TickingClock:
    """Each reading is a minute after the last, so stored times keep command order."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class OldVote(msgspec.Struct, frozen=True):
    decision_id: UUID
    partnership_id: UUID
    meeting_id: UUID


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def ledger(durable_url: str) -> Iterator[Ledger]:
    ledger = bootstrap(
        Settings(database_url=durable_url), clock=TickingClock(datetime(2024, 3, 1, tzinfo=UTC))
    )
    try:
        yield ledger
    finally:
        ledger.close()


def v1_payload(vote: str = "yes") -> bytes:
    """The stored fixture, with its vote changed when a test needs another answer."""
    stored = FIXTURE.read_bytes().strip()
    if vote == "yes":
        return stored
    state: dict[str, Any] = msgspec.json.decode(stored)
    state["vote"] = vote
    return msgspec.json.encode(state)


def propose_with_old_vote(ledger: Ledger, vote: str = "yes") -> OldVote:
    """A real proposal, then the version-1 vote inserted at version 2 through the recorder."""
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
    for member_id, sector in (
        ("m-la-director", Sector.LOCAL_AUTHORITY),
        (V1_VOTER, Sector.PARENT_CARER_FORUM),
    ):
        app.handle(
            commands.AppointMember(
                actor=SECRETARIAT,
                partnership_id=partnership_id,
                member_id=member_id,
                name=member_id,
                role="member",
                sector=sector,
                organisation="Northmoor",
            )
        )
    app.handle(
        commands.AdoptTermsOfReference(
            actor=CHAIR, partnership_id=partnership_id, quorum=2, forum_required=True
        )
    )
    decision_id = app.handle(
        commands.ProposeDecision(
            actor=CHAIR,
            partnership_id=partnership_id,
            decision_id=uuid4(),
            reference="D-24-03",
            title="Early-language SaLT assistants",
            category=DecisionCategory.HEALTH_COMMISSIONING,
            text="Commission 6 full-time SaLT assistants.",
            proposer_id="m-la-director",
        )
    )
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=decision_id,
                originator_version=2,
                topic=VoteRecorded.TOPIC,
                state=v1_payload(vote),
            )
        ]
    )
    meeting_id = app.handle(
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            title="Partnership board",
            held_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
    )
    app.handle(
        commands.RecordAttendance(
            actor=SECRETARIAT, meeting_id=meeting_id, present=("m-la-director", V1_VOTER)
        )
    )
    return OldVote(decision_id=decision_id, partnership_id=partnership_id, meeting_id=meeting_id)


def test_the_fixture_is_a_version_one_payload() -> None:
    state = msgspec.json.decode(FIXTURE.read_bytes())

    assert set(state) == {"timestamp", "actor", "member_id", "vote", "reason"}
    assert state["vote"] in ("yes", "no", "abstain")


def test_a_stored_version_one_yes_vote_loads_as_a_vote_for(ledger: Ledger) -> None:
    ids = propose_with_old_vote(ledger)

    decision = ledger.app.load(Decision, ids.decision_id)

    assert decision.version == 2
    vote = decision.votes[V1_VOTER]
    assert vote.stance is Stance.FOR
    assert vote.reason == "Parents asked for exactly this."
    assert vote.recorded_at == datetime(2024, 3, 5, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "new"),
    [("yes", Stance.FOR), ("no", Stance.AGAINST), ("abstain", Stance.ABSTAIN)],
)
def test_every_version_one_vote_maps_to_its_stance(ledger: Ledger, old: str, new: Stance) -> None:
    ids = propose_with_old_vote(ledger, vote=old)

    assert ledger.app.load(Decision, ids.decision_id).votes[V1_VOTER].stance is new
    provenance = ledger.read_models.decision(ids.decision_id)
    assert [(v.member.id, v.stance) for v in provenance.votes] == [(V1_VOTER, new.value)]


def test_an_upcast_vote_still_counts_for_the_rules_and_the_tally(ledger: Ledger) -> None:
    ids = propose_with_old_vote(ledger)
    app = ledger.app

    with pytest.raises(AlreadyVoted):
        app.handle(
            commands.RecordVote(
                actor=Actor(id=V1_VOTER, role="member"),
                decision_id=ids.decision_id,
                member_id=V1_VOTER,
                stance=Stance.AGAINST,
                reason="Changed my mind.",
            )
        )
    app.handle(
        commands.RecordVote(
            actor=CHAIR, decision_id=ids.decision_id, member_id="m-la-director", stance=Stance.FOR
        )
    )
    app.handle(
        commands.TakeDecision(
            actor=CHAIR,
            decision_id=ids.decision_id,
            meeting_id=ids.meeting_id,
            outcome=DecisionOutcome.APPROVED,
            rationale="Both voting members present were for it.",
            coproduced=True,
        )
    )

    taken = app.aggregate_events(ids.decision_id)[-1]
    assert isinstance(taken, DecisionTaken)
    assert (taken.tally.for_, taken.tally.against, taken.tally.block) == (2, 0, 0)
    assert taken.coproduced


def test_events_stored_after_the_upgrade_carry_class_version_two(ledger: Ledger) -> None:
    ids = propose_with_old_vote(ledger)
    app = ledger.app

    app.handle(
        commands.RecordVote(
            actor=CHAIR,
            decision_id=ids.decision_id,
            member_id="m-la-director",
            stance=Stance.BLOCK,
            reason="The workforce plan must come first.",
        )
    )

    stored = {s.originator_version: s for s in app.recorder.select_events(ids.decision_id)}
    assert stored[2].state == v1_payload()  # history itself is never rewritten
    new_state = msgspec.json.decode(stored[3].state)
    assert new_state["class_version"] == 2
    assert new_state["stance"] == "block"
    assert "vote" not in new_state


def test_an_upcast_vote_stored_again_is_written_as_version_two(ledger: Ledger) -> None:
    ids = propose_with_old_vote(ledger)
    app = ledger.app
    (old,) = app.recorder.select_events(ids.decision_id, gt=1, lte=2)

    upcast = app.mapper.to_domain_event(old)
    restored = app.mapper.to_stored_event(upcast)

    state = msgspec.json.decode(restored.state)
    assert state["class_version"] == 2
    assert state["stance"] == "for"
    assert "vote" not in state
    assert restored.topic == VoteRecorded.TOPIC
    assert app.mapper.to_domain_event(restored) == upcast
