"""Writing the demo: the Northmoor scenario into an empty ledger, or one emptied first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from services.demo.cast import NorthmoorIds, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger.application import LedgerApplication

SCENARIO_START = datetime(2025, 9, 1, tzinfo=UTC)
"""The scenario's clock starts here, so its stored times are those of DOMAIN.md."""


class StoreAdmin(Protocol):
    """The database as a whole, as an operator sees it."""

    @property
    def label(self) -> str: ...

    def is_empty(self) -> bool: ...

    def reset(self) -> None:
        """Drop everything the ledger owns."""
        ...


class HoldsApplication(Protocol):
    @property
    def app(self) -> LedgerApplication: ...


L = TypeVar("L", bound=HoldsApplication)


class LedgerNotEmpty(ValueError):
    """The demo goes only into an empty ledger, unless told to replace the one there."""


def write_demo(
    admin: StoreAdmin, open_ledger: Callable[[ScenarioClock], L], *, replace: bool
) -> tuple[L, NorthmoorIds]:
    """The ledger opened on the scenario's clock, with the scenario written into it."""
    if not admin.is_empty():
        if not replace:
            raise LedgerNotEmpty(
                f"{admin.label} already holds a ledger; use --force to replace it with the demo."
            )
        admin.reset()
    clock = ScenarioClock(SCENARIO_START)
    ledger = open_ledger(clock)
    return ledger, write_northmoor(ledger.app, clock)
