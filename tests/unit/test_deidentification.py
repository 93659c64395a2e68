"""A summary published in the reg 56 register must not identify anyone: no e-mail
address, phone number, postcode, the contributor's name or any one part of it, nor
the contribution word for word. Plain summaries, numbers and dates pass."""

from __future__ import annotations

from uuid import UUID

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.contribution import DeidentifiedSummaryRecorded
from domain.deidentification import has_phone_number, has_postcode, identifying_detail, name_parts
from domain.errors import SummaryIdentifiesContributor
from domain.values import ContributorKind
from services.ledger import commands
from services.ledger.application import LedgerApplication
from tests.unit.builders import (
    SECRETARIAT,
    a_contribution,
    a_ready_partnership,
    an_app,
    assert_refused,
    events_of,
)

NAME = "Rebecca Hall"
TEXT = "My son is 17 and at college; speech and language support stops at 16."


def detail(summary: str, name: str = NAME, *, organisation: bool = False) -> str | None:
    return identifying_detail(
        summary, contributor_name=name, organisation=organisation, contribution_text=TEXT
    )


# What is refused, and the reason given


@pytest.mark.parametrize(
    "summary",
    [
        "A parent (rebecca.hall@example.org) asked for post-16 support.",
        "Reply to r_hall+send@mail.example.co.uk about post-16 support.",
        "Contact: RH@EXAMPLE.ORG.",
    ],
)
def test_a_summary_with_an_email_address_is_refused(summary: str) -> None:
    assert detail(summary) == "contains an e-mail address"


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "0770 090 0123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "020 7946 0000",
        "(020) 7946 0000",
        "+44 (0)20 7946 0000",
        "0113 496 0000",
        "01632 960000",
        "01632 960 000",
        "0161-496-0000",
        "0800 123 4567",
        "+33 6 12 34 56 78",
    ],
)
def test_a_summary_with_a_phone_number_is_refused(number: str) -> None:
    assert detail(f"A parent asked to be called back on {number} about transport.") == (
        "contains a phone number"
    )


@pytest.mark.parametrize(
    "postcode", ["LS6 2AB", "ls6 2ab", "LS62AB", "SW1A 1AA", "M1 1AE", "EC1A 1BB", "B33 8TH"]
)
def test_a_summary_with_a_postcode_is_refused(postcode: str) -> None:
    assert detail(f"Families near {postcode} have no specialist place.") == "contains a postcode"


@pytest.mark.parametrize(
    ("summary", "found"),
    [
        ("Rebecca asked that support continue post-16.", "Rebecca"),
        ("A parent, Ms Hall, asked that support continue post-16.", "Hall"),
        ("REBECCA asked for support.", "REBECCA"),
        ("The Hall family asked for support.", "Hall"),
        ("Hall's son needs support after 16.", "Hall"),
        ("Support was discussed in the school hall.", "hall"),
    ],
)
def test_a_summary_with_the_contributors_first_or_last_name_alone_is_refused(
    summary: str, found: str
) -> None:
    assert detail(summary) == f"contains {found!r}, which is part of the contributor's name"


@pytest.mark.parametrize(
    "summary", ["Rebecca Hall asked for support.", "A parent (rebecca   HALL) asked for support."]
)
def test_a_summary_with_the_contributors_full_name_is_refused(summary: str) -> None:
    assert detail(summary) == "repeats the contributor's name"


def test_a_lowercase_postcode_whose_unit_reads_as_an_ordinal_passes_as_the_ordinal() -> None:
    assert detail("Pupils in KS2 3rd year and Y6 2nd term.") is None
    assert detail("Families near m1 1st asked for places.") is None  # the price of the above
    assert detail("Families near M1 1ST asked for places.") == "contains a postcode"


def test_a_summary_repeating_the_contribution_word_for_word_is_refused() -> None:
    assert detail(f"  {TEXT.upper()} ") == "repeats the contribution word for word"


# What passes


@pytest.mark.parametrize(
    "summary",
    [
        "A parent asked that speech and language support continue post-16.",
        "Families in Hallam asked for more places.",  # "Hall" inside a longer word
        "Waits of 18 months; 6 FTE assistants from April 2026.",
        "The 2026-2029 plan adds 40 places at a cost of £1,200,000.",
        "Reviewed on 01.09.2026 with 12 families; 10 asked for transport.",
        "Pupils in KS2 and Y6 asked about the 2nd and 3rd terms.",
        "Parents asked for 1:1 support for 5+ hours a week.",
        "The forum asked for an easy-read version.",
    ],
)
def test_a_summary_with_nothing_identifying_is_accepted(summary: str) -> None:
    assert detail(summary) is None


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Rebecca Hall", ["Rebecca", "Hall"]),
        ("Mrs Rebecca Hall", ["Rebecca", "Hall"]),
        ("Mary-Jane O'Neill", ["Mary-Jane", "Mary", "Jane", "O'Neill"]),
        ("J. R. Hartley", ["Hartley"]),
        ("Ludwig van Beethoven", ["Ludwig", "Beethoven"]),
        ("An Do", []),
        ("Sam (Year 9)", ["Sam"]),
        ("", []),
    ],
)
def test_initials_titles_particles_short_words_and_bracketed_notes_are_not_name_parts(
    name: str, parts: list[str]
) -> None:
    assert name_parts(name) == parts


def test_a_name_made_of_short_common_words_is_still_refused_in_full() -> None:
    assert detail("An asked for support.", "An Do") is None
    assert detail("Do asked for support.", "An Do") is None
    assert detail("An Do asked for support.", "An Do") == "repeats the contributor's name"


def test_an_organisations_words_are_not_refused_but_its_name_is() -> None:
    name = "Eastvale Autism Support"

    assert detail("The group asked for autism support in schools.", name, organisation=True) is None
    assert detail("Eastvale Autism Support asked for more.", name, organisation=True) == (
        "repeats the contributor's name"
    )
    assert detail("Call 07700 900123.", name, organisation=True) == "contains a phone number"


# Properties

WORDS = st.sampled_from((
    "parents", "asked", "for", "more", "speech", "and", "language", "support", "in", "schools",
    "colleges", "waits", "months", "places", "transport", "the", "forum", "plan", "autism",
    "post-16", "families", "young", "people", "said",
))  # fmt: skip
safe_summaries = st.lists(WORDS, min_size=3, max_size=20).map(" ".join)
first_names = st.sampled_from(["Priya", "Tom", "Helen", "Grace", "Mark", "Jo", "Kwame", "Zoë"])
surnames = st.sampled_from(["Shah", "Okafor", "Marsh", "Reid", "Hall", "Nowak", "Ó Briain"])
separators = st.sampled_from([" ", "-", ""])


@st.composite
def uk_mobile_numbers(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=9, max_size=9))
    sep = draw(separators)
    prefix = draw(st.sampled_from(["07", "+44 7", "+447", "0044 7", "+44 (0)7"]))
    return f"{prefix}{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


@st.composite
def uk_postcodes(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["LS", "M", "B", "SW", "EC", "NE", "G", "CF", "BT"]))
    district = draw(st.integers(1, 99))
    sector = draw(st.integers(0, 9))
    unit = draw(st.text("ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2))
    postcode = f"{area}{district}{draw(st.sampled_from([' ', '']))}{sector}{unit}"
    ordinal = f"{sector}{unit}".lower() in ("1st", "2nd", "3rd") or unit == "TH"
    return postcode if ordinal or draw(st.booleans()) else postcode.lower()


@given(safe_summaries, first_names, surnames)
def test_summaries_of_plain_words_are_accepted_whoever_contributed(
    summary: str, first: str, surname: str
) -> None:
    assert detail(summary, f"{first} {surname}") is None


@given(safe_summaries, safe_summaries, first_names, surnames, st.booleans(), st.booleans())
def test_a_first_name_or_surname_alone_is_refused_in_any_case(
    before: str, after: str, first: str, surname: str, use_first: bool, upper: bool
) -> None:
    part = first if use_first else surname
    shown = part.upper() if upper else part.lower()

    assert detail(f"{before} {shown} {after}.", f"{first} {surname}") is not None


@given(safe_summaries, uk_mobile_numbers())
def test_any_uk_mobile_number_in_a_summary_is_found(summary: str, number: str) -> None:
    assert has_phone_number(f"{summary} {number} {summary}")


@given(safe_summaries, uk_postcodes())
def test_any_uk_postcode_in_a_summary_is_found(summary: str, postcode: str) -> None:
    assert has_postcode(f"{summary} {postcode}, {summary}")


@given(st.integers(0, 10**6), st.integers(1, 31), st.integers(1, 12), st.integers(2000, 2040))
def test_amounts_and_dates_are_not_taken_for_phone_numbers(
    amount: int, day: int, month: int, year: int
) -> None:
    text = f"£{amount:,} from {day:02d}/{month:02d}/{year}, {year}-{year + 3}, {amount} places"
    assert not has_phone_number(text)


# Through the ledger: refused with the reason, nothing stored


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


def contribution(app: LedgerApplication, name: str, kind: ContributorKind) -> UUID:
    command = a_contribution(a_ready_partnership(app), contributor_name=name)
    contribution_id = app.handle(msgspec.structs.replace(command, contributor_kind=kind))
    app.handle(commands.TriageContribution(actor=SECRETARIAT, contribution_id=contribution_id))
    return contribution_id


@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        ("A parent (07700 900123) asked for post-16 support.", "contains a phone number"),
        ("A parent near LS6 2AB asked for post-16 support.", "contains a postcode"),
        ("Email rh@example.org about post-16 support.", "contains an e-mail address"),
        ("Rebecca asked for post-16 support.", "contains 'Rebecca', which is part of"),
    ],
)
def test_an_identifying_summary_is_refused_with_the_reason_and_nothing_is_stored(
    app: LedgerApplication, summary: str, reason: str
) -> None:
    contribution_id = contribution(app, NAME, ContributorKind.PARENT_CARER)

    assert_refused(
        app,
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT, contribution_id=contribution_id, summary=summary
        ),
        SummaryIdentifiesContributor,
        match=rf"The summary of C-1 {reason}.*only a de-identified summary is published",
        unchanged=contribution_id,
    )


def test_an_organisations_summary_may_use_the_words_of_its_name(app: LedgerApplication) -> None:
    contribution_id = contribution(app, "Eastvale Autism Support", ContributorKind.ORGANISATION)
    summary = "A local group asked for autism support in every secondary school."

    app.handle(
        commands.RecordDeidentifiedSummary(
            actor=SECRETARIAT, contribution_id=contribution_id, summary=summary
        )
    )

    recorded = events_of(app, contribution_id)[-1]
    assert isinstance(recorded, DeidentifiedSummaryRecorded)
    assert recorded.summary == summary
