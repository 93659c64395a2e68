"""The reg 56 "You said, we did" register: de-identified summaries and responses
only, on the Northmoor scenario's documents and on small ledgers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import msgspec
import pytest

from domain.values import ResponseOutcome
from projections.documents import ContributionDoc, Doc, PartnershipDoc, ResponseDoc
from projections.reg56 import YouSaidWeDid, you_said_we_did
from projections.store import MemoryReadModelStore
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector
from tests.unit.builders import (
    CONTRIBUTION_TEXT,
    CONTRIBUTOR_NAME,
    ENGAGEMENT,
    NOW,
    SECRETARIAT,
    a_clock,
    a_contribution,
    a_proposed_decision,
    a_ready_partnership,
    an_app,
    link,
    route_to_case,
)

D = TypeVar("D", bound=Doc)


class Views:
    def __init__(self, app: LedgerApplication, partnership_id: UUID) -> None:
        self.store = MemoryReadModelStore()
        Projector(app, self.store).catch_up()
        self.partnership_id = partnership_id

    def all(self, kind: type[D], model: str) -> list[D]:
        return [d for d in self.store.scan(model, self.partnership_id) if isinstance(d, kind)]

    def register(
        self, *, period_start: date | None = None, period_end: date | None = None
    ) -> YouSaidWeDid:
        (partnership,) = self.all(PartnershipDoc, "partnership")
        return you_said_we_did(
            partnership,
            self.all(ContributionDoc, "contribution"),
            period_start=period_start,
            period_end=period_end,
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


SUMMARY = "A parent asked that support continue into college."
RATIONALE = "Colleges are now covered; sixth forms follow next year."
ACTION = "A-1: extend the service to colleges"


def a_contribution_on(
    app: LedgerApplication,
    partnership_id: UUID,
    reference: str,
    *,
    themes: tuple[str, ...] = ("speech and language",),
) -> UUID:
    contribution_id = app.handle(a_contribution(partnership_id, reference=reference))
    app.handle(
        commands.TriageContribution(
            actor=ENGAGEMENT, contribution_id=contribution_id, themes=themes, note="Plan matter."
        )
    )
    return contribution_id


def answer(
    app: LedgerApplication,
    contribution_id: UUID,
    *,
    summary: str | None = SUMMARY,
    outcome: ResponseOutcome = ResponseOutcome.PARTLY_ADOPTED,
) -> None:
    app.handle(
        commands.IssueResponse(
            actor=SECRETARIAT,
            contribution_id=contribution_id,
            outcome=outcome,
            rationale=RATIONALE,
            actions=(ACTION,),
        )
    )
    if summary is not None:
        app.handle(
            commands.RecordDeidentifiedSummary(
                actor=SECRETARIAT, contribution_id=contribution_id, summary=summary
            )
        )


def strings_in(value: object) -> Iterator[str]:
    """Every text value in a JSON-ready structure (field names aside)."""
    match value:
        case str():
            yield value
        case dict():
            for v in value.values():
                yield from strings_in(v)
        case list():
            for item in value:
                yield from strings_in(item)
        case _:
            pass


def is_id_or_date(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        pass
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


# Northmoor


def test_northmoor_publishes_both_answered_contributions_under_speech_and_language(
    northmoor: Views,
) -> None:
    register = northmoor.register()

    assert [e.reference for e in register.entries] == ["C-112", "C-118"]
    assert {e.theme for e in register.entries} == {"speech and language"}
    assert (register.received, register.published, register.received_and_published) == (2, 2, 2)
    assert register.awaiting_response == register.awaiting_summary == 0


def test_northmoor_c_118_says_what_was_asked_and_what_was_done(northmoor: Views) -> None:
    entry = next(e for e in northmoor.register().entries if e.reference == "C-118")

    assert entry.you_said == (
        "A parent asked that speech and language support continue into post-16 settings."
    )
    assert entry.outcome == "partly_adopted"
    assert entry.we_did == "FE added now; sixth forms from 2026."
    assert entry.intended_actions == ["A-31: recruit SaLT assistants, including for FE colleges"]
    assert entry.responded_on == date(2026, 1, 16)
    assert entry.themes == ["speech and language", "post-16"]
    assert entry.sections == ["health_commissioning"]
    assert [(d.decision_id, d.influence) for d in entry.decisions] == [(IDS.decision, "amended")]


def test_northmoor_register_holds_no_contributor_name_or_words(northmoor: Views) -> None:
    published = msgspec.json.encode(northmoor.register()).decode()

    assert "Rebecca Hall" not in published
    assert "My son is 17" not in published
    assert "name held" not in published


def test_the_register_reflects_the_newest_contribution(northmoor: Views) -> None:
    contributions = northmoor.all(ContributionDoc, "contribution")

    assert northmoor.register().position == max(c.position for c in contributions)


# Edge cases on small ledgers


def test_the_register_holds_nothing_but_summaries_responses_and_their_labels(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    decision_id = a_proposed_decision(app, partnership_id)
    contribution_id = a_contribution_on(app, partnership_id, "C-1", themes=("post-16",))
    app.handle(link(decision_id, contribution_id))
    answer(app, contribution_id)

    register = Views(app, partnership_id).register()
    allowed = {
        SUMMARY,
        RATIONALE,
        ACTION,
        "post-16",
        "partly_adopted",
        "amended",
        "C-1",
        "Eastvale SEND and AP Partnership",
    }
    published = msgspec.json.encode(register).decode()

    assert register.published == 1
    assert {s for s in strings_in(msgspec.to_builtins(register)) if not is_id_or_date(s)} == (
        allowed
    )
    assert CONTRIBUTOR_NAME not in published
    assert CONTRIBUTION_TEXT not in published


def test_a_response_without_a_de_identified_summary_is_counted_but_not_published(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    answer(app, a_contribution_on(app, partnership_id, "C-1"), summary=None)

    register = Views(app, partnership_id).register()

    assert register.entries == []
    assert register.published == 0
    assert register.awaiting_summary == 1
    assert register.received == 1
    assert register.received_and_published == 0


def test_a_summary_without_a_response_is_not_published(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    contribution_id = a_contribution_on(app, partnership_id, "C-1")
    app.handle(
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT, contribution_id=contribution_id, summary=SUMMARY
        )
    )

    register = Views(app, partnership_id).register()

    assert register.entries == []
    assert register.awaiting_response == 1
    assert register.awaiting_summary == 0


def test_a_contribution_routed_to_an_individual_case_is_counted_as_routed_never_published(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    contribution_id = app.handle(a_contribution(partnership_id, reference="C-1"))
    app.handle(route_to_case(contribution_id))
    app.handle(
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT, contribution_id=contribution_id, summary="About one child's plan."
        )
    )

    register = Views(app, partnership_id).register()

    assert register.entries == []
    assert register.routed_to_case == 1
    assert register.awaiting_response == 0


def test_an_unlinked_decision_is_not_shown_as_shaped_by_the_contribution(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    kept = a_proposed_decision(app, partnership_id, reference="D-30-01")
    dropped = a_proposed_decision(app, partnership_id, reference="D-30-02")
    contribution_id = a_contribution_on(app, partnership_id, "C-1")
    app.handle(link(kept, contribution_id))
    app.handle(link(dropped, contribution_id))
    app.handle(
        commands.UnlinkContribution(
            actor=SECRETARIAT,
            decision_id=dropped,
            contribution_id=contribution_id,
            reason="Not about this decision.",
        )
    )
    answer(app, contribution_id)

    (entry,) = Views(app, partnership_id).register().entries

    assert [d.decision_id for d in entry.decisions] == [kept]


def test_entries_are_listed_by_theme_then_by_the_date_of_the_response(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    later = a_contribution_on(app, partnership_id, "C-1", themes=("waiting times",))
    earlier = a_contribution_on(app, partnership_id, "C-2", themes=("waiting times",))
    other_theme = a_contribution_on(app, partnership_id, "C-3", themes=("Post-16",))
    unthemed = a_contribution_on(app, partnership_id, "C-4", themes=())
    clock.set(NOW + timedelta(days=1))
    answer(app, earlier)
    answer(app, other_theme)
    answer(app, unthemed)
    clock.set(NOW + timedelta(days=2))
    answer(app, later)

    entries = Views(app, partnership_id).register().entries

    assert [(e.theme, e.reference) for e in entries] == [
        # The builder's contribution was submitted with a theme of its own.
        ("Post-16", "C-3"),
        ("speech and language", "C-4"),
        ("waiting times", "C-2"),
        ("waiting times", "C-1"),
    ]


def test_a_contribution_with_no_theme_is_listed_under_general() -> None:
    partnership_id = UUID(int=7)
    partnership = PartnershipDoc(
        id=partnership_id,
        partnership_id=partnership_id,
        name="Eastvale",
        kind="pathfinder",
        la_code="Z98",
        icb_code="QZY",
        established_at=NOW,
    )
    contribution = ContributionDoc(
        id=UUID(int=8),
        partnership_id=partnership_id,
        plan_id=None,
        reference="C-1",
        contributor_kind="young_person",
        channel="forum",
        depth="participation",
        themes=[],
        sections=[],
        submitted_at=NOW,
        summary=SUMMARY,
        response=ResponseDoc(
            outcome="adopted", rationale="", actions=[], at=NOW + timedelta(days=3), by="u-1"
        ),
    )

    (entry,) = you_said_we_did(partnership, [contribution]).entries

    assert entry.theme == "general"
    assert entry.themes == []
    assert entry.we_did == ""
    assert entry.responded_on == NOW.date() + timedelta(days=3)


def test_the_period_selects_responses_issued_in_it_and_counts_contributions_received_in_it(
    app: LedgerApplication, clock: ScenarioClock, partnership_id: UUID
) -> None:
    received_before = a_contribution_on(app, partnership_id, "C-1")
    clock.set(NOW + timedelta(days=40))
    received_within = a_contribution_on(app, partnership_id, "C-2")
    a_contribution_on(app, partnership_id, "C-3")
    answer(app, received_before)
    clock.set(NOW + timedelta(days=100))
    answer(app, received_within)
    start, end = NOW.date() + timedelta(days=30), NOW.date() + timedelta(days=60)

    register = Views(app, partnership_id).register(period_start=start, period_end=end)

    assert [e.reference for e in register.entries] == ["C-1"]
    assert register.published == 1
    assert register.received == 2
    assert register.received_and_published == 1
    assert register.awaiting_response == 1
    assert (register.period_start, register.period_end) == (start, end)
