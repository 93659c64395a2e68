"""One run of the command line: its settings, where it prints, and the ledgers it opens."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from adapters.bootstrap import Ledger, StoreAdministration, bootstrap
from adapters.settings import Settings
from services.ledger.application import Clock, utc_now


@dataclass
class Invocation:
    """`creates`: only the commands that write start a ledger; any other is refused where
    there is none, so a mistyped path or schema creates nothing."""

    settings: Settings
    creates: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    opened: list[Ledger] = field(default_factory=list)

    def ledger(self, clock: Clock = utc_now) -> Ledger:
        """The ledger as the composition root wires it, closed when the command ends."""
        ledger = bootstrap(self.settings, clock=clock, create=self.creates)
        self.opened.append(ledger)
        return ledger

    def store_admin(self) -> StoreAdministration:
        return StoreAdministration(self.settings)

    @property
    def where(self) -> str:
        """The database the command used, for messages about it."""
        return self.opened[-1].store.label if self.opened else "the configured database"

    def close(self) -> None:
        for ledger in self.opened:
            ledger.close()
