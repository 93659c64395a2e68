"""Contribution rules: triage before a response, one reasoned response, no plan
response for an individual case, and only de-identified summaries."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.contribution import (
    Contribution,
    ContributionSubmitted,
    DeidentifiedSummaryRecorded,
    ResponseIssued,
)
from domain.errors import (
    ContributionNotTriaged,
    InvalidValue,
    RationaleRequired,
    ResponseAlreadyIssued,
    RoutedToIndividualCase,
    SummaryIdentifiesContributor,
)
from domain.values import PersonalData, ResponseOutcome
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    CONTRIBUTION_TEXT,
    CONTRIBUTOR_NAME,
    SECRETARIAT,
    a_contribution,
    a_ready_partnership,
    a_triaged_contribution,
    an_app,
    assert_refused,
    events_of,
    route_to_case,
    triage,
)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


@pytest.fixture
def contribution_id(app: LedgerApplication, partnership_id: UUID) -> UUID:
    """A triaged contribution, ready for a response."""
    return a_triaged_contribution(app, partnership_id)


def a_response(
    contribution_id: UUID, outcome: ResponseOutcome, rationale: str = ""
) -> commands.IssueResponse:
    return commands.IssueResponse(
        actor=SECRETARIAT,
        contribution_id=contribution_id,
        outcome=outcome,
        rationale=rationale,
        actions=("A-1: recruit assistants",) if outcome is ResponseOutcome.ADOPTED else (),
    )


def a_summary(contribution_id: UUID, summary: str) -> commands.RecordDeidentifiedSummary:
    return commands.RecordDeidentifiedSummary(
        actor=SECRETARIAT, contribution_id=contribution_id, summary=summary
    )


@pytest.mark.parametrize(
    "outcome",
    [ResponseOutcome.PARTLY_ADOPTED, ResponseOutcome.NOT_ADOPTED, ResponseOutcome.OUT_OF_SCOPE],
)
def test_a_response_that_does_not_adopt_needs_a_rationale(
    app: LedgerApplication, contribution_id: UUID, outcome: ResponseOutcome
) -> None:
    assert_refused(
        app,
        a_response(contribution_id, outcome, rationale="  "),
        RationaleRequired,
        match=f"A response of {outcome.value} to C-1 needs a rationale",
        unchanged=contribution_id,
    )


def test_an_adopting_response_needs_no_rationale(
    app: LedgerApplication, contribution_id: UUID
) -> None:
    app.handle(a_response(contribution_id, ResponseOutcome.ADOPTED))

    issued = events_of(app, contribution_id)[-1]
    assert isinstance(issued, ResponseIssued)
    assert (issued.outcome, issued.rationale) == (ResponseOutcome.ADOPTED, "")
    assert app.load(Contribution, contribution_id).response is ResponseOutcome.ADOPTED


def test_a_response_comes_only_after_triage(app: LedgerApplication, partnership_id: UUID) -> None:
    untriaged = app.handle(a_contribution(partnership_id))

    assert_refused(
        app,
        a_response(untriaged, ResponseOutcome.ADOPTED),
        ContributionNotTriaged,
        match="C-1 must be triaged before a response",
        unchanged=untriaged,
    )


def test_a_contribution_gets_one_response(app: LedgerApplication, contribution_id: UUID) -> None:
    app.handle(a_response(contribution_id, ResponseOutcome.PARTLY_ADOPTED, "FE added now."))

    assert_refused(
        app,
        a_response(contribution_id, ResponseOutcome.ADOPTED),
        ResponseAlreadyIssued,
        match="C-1 already has a response",
        unchanged=contribution_id,
    )
    assert app.load(Contribution, contribution_id).response is ResponseOutcome.PARTLY_ADOPTED


def test_a_contribution_routed_to_an_individual_case_gets_no_plan_response(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    routed = app.handle(a_contribution(partnership_id))
    app.handle(route_to_case(routed))

    assert_refused(
        app,
        a_response(routed, ResponseOutcome.NOT_ADOPTED, "Not a plan matter."),
        RoutedToIndividualCase,
        match="C-1 was routed to an individual case and gets no plan response",
        unchanged=routed,
    )


def test_a_contribution_with_a_response_is_not_routed_to_an_individual_case(
    app: LedgerApplication, contribution_id: UUID
) -> None:
    app.handle(a_response(contribution_id, ResponseOutcome.ADOPTED))

    assert_refused(
        app,
        route_to_case(contribution_id),
        ResponseAlreadyIssued,
        match="C-1 already has a response",
        unchanged=contribution_id,
    )


def test_routing_to_an_individual_case_needs_a_reason(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    submitted = app.handle(a_contribution(partnership_id))

    assert_refused(
        app,
        commands.RouteContributionToIndividualCase(
            actor=SECRETARIAT, contribution_id=submitted, reason=" "
        ),
        RationaleRequired,
        match="Routing needs a reason",
        unchanged=submitted,
    )


def test_a_contribution_is_triaged_once(app: LedgerApplication, contribution_id: UUID) -> None:
    assert_refused(
        app,
        triage(contribution_id),
        InvalidValue,
        match="C-1 has already been triaged",
        unchanged=contribution_id,
    )


@pytest.mark.parametrize(
    "summary",
    [
        "Rebecca Hall asked that support continue post-16.",
        "A parent (rebecca hall) asked that support continue post-16.",
    ],
)
def test_a_deidentified_summary_repeating_the_contributors_name_is_refused(
    app: LedgerApplication, contribution_id: UUID, summary: str
) -> None:
    assert CONTRIBUTOR_NAME.lower() in summary.lower()

    assert_refused(
        app,
        a_summary(contribution_id, summary),
        SummaryIdentifiesContributor,
        match="The summary of C-1 repeats the contributor's name, so it could identify someone",
        unchanged=contribution_id,
    )


def test_a_summary_repeating_the_contribution_word_for_word_is_refused(
    app: LedgerApplication, contribution_id: UUID
) -> None:
    assert_refused(
        app,
        a_summary(contribution_id, f"  {CONTRIBUTION_TEXT.upper()} "),
        SummaryIdentifiesContributor,
        match="The summary of C-1 repeats the contribution word for word",
        unchanged=contribution_id,
    )


def test_a_deidentified_summary_is_recorded(app: LedgerApplication, contribution_id: UUID) -> None:
    summary = "A parent asked that speech and language support continue post-16."

    app.handle(a_summary(contribution_id, summary))

    recorded = events_of(app, contribution_id)[-1]
    assert isinstance(recorded, DeidentifiedSummaryRecorded)
    assert recorded.summary == summary
    assert CONTRIBUTOR_NAME not in recorded.summary


def test_a_blank_summary_is_refused(app: LedgerApplication, contribution_id: UUID) -> None:
    assert_refused(
        app,
        a_summary(contribution_id, "   "),
        InvalidValue,
        match="A summary cannot be blank",
        unchanged=contribution_id,
    )


def test_a_contributor_is_notified_only_once_there_is_an_answer(
    app: LedgerApplication, contribution_id: UUID
) -> None:
    notify = commands.NotifyContributor(
        actor=SECRETARIAT, contribution_id=contribution_id, channel="email"
    )

    assert_refused(
        app,
        notify,
        ContributionNotTriaged,
        match="C-1 has no response to notify yet",
        unchanged=contribution_id,
    )
    app.handle(a_response(contribution_id, ResponseOutcome.ADOPTED))
    app.handle(notify)
    assert app.load(Contribution, contribution_id).notified


def test_the_contributors_identity_and_words_are_held_as_their_personal_data(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    contribution_id = app.handle(a_contribution(partnership_id, reference="C-7"))

    submitted = events_of(app, contribution_id)[0]
    assert isinstance(submitted, ContributionSubmitted)
    assert submitted.contributor == PersonalData(subject="subj-C-7", value=CONTRIBUTOR_NAME)
    assert submitted.text == PersonalData(subject="subj-C-7", value=CONTRIBUTION_TEXT)
