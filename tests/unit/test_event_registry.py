"""The views' event registry: every domain event class is either shown, through a handler,
or deliberately unshown, with the reason; an event of any other class changes no view and
is counted as skipped, by type, wherever the class lives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eventsourcing.utils import resolve_topic

from domain.base import LedgerCreated, LedgerEvent
from domain.partnership import TermsOfReferenceAdopted
from projections import dispatch
from projections.dispatch import SHOWN, UNSHOWN, UNSHOWN_TOPICS
from projections.documents import MODELS, PartnershipDoc
from projections.store import MemoryReadModelStore
from services.ledger.application import LedgerApplication
from services.projection.projector import Projector, rebuild
from tests.unit.builders import a_board, a_clock, an_app, terms_of_reference

BASES = {LedgerEvent, LedgerCreated}
"""Event base classes: no event is stored as one of them."""


def subclasses(cls: type[LedgerEvent]) -> Iterator[type[LedgerEvent]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def domain_event_classes() -> set[type[LedgerEvent]]:
    """Every concrete event class registered under its own topic, wherever it is defined
    (test modules aside)."""
    return {
        cls
        for cls in subclasses(LedgerEvent)
        if cls not in BASES
        and not cls.__module__.startswith("tests.")
        and "TOPIC" in cls.__dict__
        and resolve_topic(cls.TOPIC) is cls
    }


@pytest.fixture
def app() -> Iterator[LedgerApplication]:
    app = an_app(a_clock())
    try:
        yield app
    finally:
        app.close()


def forget(monkeypatch: pytest.MonkeyPatch, cls: type[LedgerEvent]) -> None:
    """Take a class out of the views' dispatch, as if it had never been registered."""
    monkeypatch.delitem(dispatch._HANDLERS, cls)
    monkeypatch.delitem(dispatch._KEY_RULES, cls)


# Completeness


def test_every_domain_event_class_is_shown_by_a_handler_or_listed_as_deliberately_unshown() -> None:
    classes = domain_event_classes()

    missing = sorted(cls.TOPIC for cls in classes - SHOWN.keys() - UNSHOWN.keys())

    assert len(classes) > 30
    assert not missing, (
        f"No read-model handler for {', '.join(missing)}: add each to SHOWN (or to UNSHOWN "
        "with the reason) in projections/dispatch.py."
    )


def test_the_registry_names_only_domain_event_classes_each_shown_or_unshown_not_both() -> None:
    assert SHOWN.keys() <= domain_event_classes()
    assert UNSHOWN.keys() <= domain_event_classes()
    assert not SHOWN.keys() & UNSHOWN.keys()
    assert {cls.TOPIC for cls in UNSHOWN} == UNSHOWN_TOPICS


def test_every_shown_class_belongs_to_a_model_and_every_unshown_one_says_why() -> None:
    assert {view.model for view in SHOWN.values()} == set(MODELS)
    assert all(len(reason.split()) >= 5 for reason in UNSHOWN.values())


def test_an_event_that_updates_another_aggregates_document_is_a_shown_one() -> None:
    assert dispatch._RELATED.keys() <= SHOWN.keys()


# Classes the views do not know


def test_a_class_missing_from_the_registry_changes_no_view_and_is_skipped_by_type(
    app: LedgerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnership_id = a_board(app)
    app.handle(terms_of_reference(partnership_id))
    head = app.recorder.max_notification_id() or 0
    forget(monkeypatch, TermsOfReferenceAdopted)
    store = MemoryReadModelStore()

    result = Projector(app, store).catch_up()

    assert (result.applied, result.skipped, result.position) == (head - 1, 1, head)
    assert result.skipped_types == {"TermsOfReferenceAdopted": 1}
    status = store.status()
    assert status is not None
    assert (status.skipped, status.skipped_types) == (1, {"TermsOfReferenceAdopted": 1})
    partnership = store.docs[partnership_id]
    assert isinstance(partnership, PartnershipDoc)
    assert partnership.terms is None
    assert partnership.position == head - 1


def test_a_rebuild_skips_and_names_a_class_missing_from_the_registry_too(
    app: LedgerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnership_id = a_board(app)
    app.handle(terms_of_reference(partnership_id))
    forget(monkeypatch, TermsOfReferenceAdopted)
    store = MemoryReadModelStore()

    result = rebuild(app, store)

    assert result.skipped_types == {"TermsOfReferenceAdopted": 1}
    status = store.status()
    assert status is not None
    assert (status.skipped, status.skipped_types) == (1, {"TermsOfReferenceAdopted": 1})


def test_an_event_class_moved_to_another_module_is_still_shown(
    app: LedgerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnership_id = a_board(app)
    app.handle(terms_of_reference(partnership_id))
    head = app.recorder.max_notification_id() or 0
    monkeypatch.setattr(TermsOfReferenceAdopted, "__module__", "domain.governance")
    store = MemoryReadModelStore()

    result = Projector(app, store).catch_up()

    assert (result.applied, result.skipped) == (head, 0)
    partnership = store.docs[partnership_id]
    assert isinstance(partnership, PartnershipDoc)
    assert partnership.terms is not None
    assert partnership.position == head
