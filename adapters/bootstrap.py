"""The composition root: the one place that builds concrete objects and wires them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import OperationalError

from adapters import persistence
from adapters.codec import MsgspecMapper
from adapters.settings import Settings
from services.ledger import LedgerApplication, utc_now
from services.queries import LedgerQueries


class Ledger(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an entry point needs, built from settings."""

    settings: Settings
    store: persistence.Store
    app: LedgerApplication
    queries: LedgerQueries

    def close(self) -> None:
        self.app.close()


def bootstrap(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid4,
) -> Ledger:
    store = persistence.parse_database_url(settings.database_url)
    persistence.prepare(store)
    try:
        app = LedgerApplication(
            persistence.eventsourcing_env(store),
            mapper_factory=MsgspecMapper,
            clock=clock,
            new_id=new_id,
        )
    except OperationalError as e:
        raise persistence.StoreUnreachable(f"The event store at {store.label} failed: {e}") from e
    positions = None if store.kind == "memory" else partial(persistence.positions_of, store)
    return Ledger(settings=settings, store=store, app=app, queries=LedgerQueries(app, positions))
