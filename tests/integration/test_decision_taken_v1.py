"""Decisions stored by version 1 of DecisionTaken still load from a real database.

Version 1 had no `taken_at`: the decision's only time was when it was recorded.
The fixture holds the bytes version 1 stored for Northmoor's D-24-07 (no
`taken_at`, no `class_version` key). It goes into the store through the recorder
in place of the scenario's own taking, exactly as an old ledger would hold it, and
the rest of the scenario runs on top of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from domain.decision import Decision
from domain.decision_events import DecisionTaken
from domain.values import DecisionStatus
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import northmoor_steps
from services.ledger import commands

FIXTURE = Path(__file__).parent.parent / "fixtures" / "decision_taken_v1.json"
RECORDED = datetime(2026, 1, 14, 16, tzinfo=UTC)


def v1_payload() -> bytes:
    return FIXTURE.read_bytes().strip()


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """Northmoor, with D-24-07's taking stored as version 1 stored it."""
    url = request.getfixturevalue(f"{request.param}_url")
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        for when, command in northmoor_steps():
            clock.set(when)
            if isinstance(command, commands.TakeDecision):
                version = ledger.app.load(Decision, IDS.decision).version
                ledger.app.recorder.insert_events(
                    [
                        StoredEvent(
                            originator_id=IDS.decision,
                            originator_version=version + 1,
                            topic=DecisionTaken.TOPIC,
                            state=v1_payload(),
                        )
                    ]
                )
            else:
                ledger.app.handle(command)
        yield ledger
    finally:
        ledger.close()


def test_the_fixture_is_a_version_one_payload() -> None:
    state = msgspec.json.decode(v1_payload())

    assert "taken_at" not in state
    assert "class_version" not in state
    assert state["timestamp"] == "2026-01-14T16:00:00Z"


def test_a_version_one_decision_is_taken_when_it_was_recorded(ledger: Ledger) -> None:
    taken = next(
        e for e in ledger.app.aggregate_events(IDS.decision) if isinstance(e, DecisionTaken)
    )

    assert taken.taken_at == taken.timestamp == RECORDED
    assert ledger.app.load(Decision, IDS.decision).status is DecisionStatus.TAKEN


def test_the_scenario_runs_on_over_a_version_one_decision_and_shows_both_times(
    ledger: Ledger,
) -> None:
    provenance = ledger.read_models.decision(IDS.decision)
    (entry,) = ledger.read_models.decisions(IDS.partnership)

    assert provenance.taken is not None
    assert provenance.taken.taken_at == provenance.taken.recorded.at == RECORDED
    assert (entry.taken_at, entry.recorded_at) == (RECORDED, RECORDED)
    assert [a.reference for a in provenance.actions] == ["A-31"]  # committed after it


def test_a_version_one_decision_stored_again_is_written_as_version_two(ledger: Ledger) -> None:
    app = ledger.app
    stored = next(
        s for s in app.recorder.select_events(IDS.decision) if s.topic == DecisionTaken.TOPIC
    )
    assert stored.state == v1_payload()  # history itself is never rewritten

    upcast = app.mapper.to_domain_event(stored)
    restored = app.mapper.to_stored_event(upcast)

    state = msgspec.json.decode(restored.state)
    assert state["class_version"] == 2
    assert state["taken_at"] == "2026-01-14T16:00:00Z"
    assert app.mapper.to_domain_event(restored) == upcast
