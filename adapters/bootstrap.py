"""The composition root: the one place that builds concrete objects and wires them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import partial
from pathlib import Path
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import OperationalError

from adapters import persistence
from adapters.audit_store import open_audit_store
from adapters.audit_store.shared import AuditStore
from adapters.codec import MsgspecMapper
from adapters.replay import ReplaySummary, replay_to
from adapters.settings import Settings
from adapters.signing import (
    Signer,
    SigningKeyError,
    SigningKeyMissing,
    default_key_path,
    load_or_create,
    load_signer,
    read_trusted_keys,
    verify_signature,
)
from adapters.views.postgres import PostgresLedgerViews
from adapters.views.sqlite import SQLiteLedgerViews
from projections.store import LedgerViewStore, MemoryViewStore
from services.audit import Auditor
from services.ledger import LedgerApplication, utc_now
from services.log_queries import LogQueries
from services.projector import Projector
from services.read_models import ViewQueries
from services.reports import Reports


class Ledger(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an entry point needs, built from settings. Audit tools and the
    signing key are opened only by the commands that use them."""

    settings: Settings
    signing_key_file: Path | None
    """Resolved once, at start-up; None if there is no home folder to default to."""
    store: persistence.Store
    app: LedgerApplication
    views: LedgerViewStore
    projector: Projector
    queries: ViewQueries
    reports: Reports
    log: LogQueries
    _opened: list[AuditStore] = msgspec.field(default_factory=list)

    def auditor(self, trust: Collection[bytes] = ()) -> Auditor:
        """The audit tools. Trust is what the operator names: the raw public keys in `trust`
        and those in LEDGER_TRUSTED_KEYS_FILE (or `--trusted-keys`). Only when none is named
        is the signing key's own public key trusted (when its file exists), so a trusted-keys
        file kept apart from the key also holds against a replaced key file."""
        trusted = set(trust)
        if self.settings.trusted_keys_file:
            trusted |= read_trusted_keys(Path(self.settings.trusted_keys_file))
        if not trusted:
            own = self.own_signer()
            if own is not None:
                trusted.add(own.public_key)
        with persistence.ddl_lock(self.store):
            audit = open_audit_store(self.store)
        self._opened.append(audit)
        return Auditor(audit, verify_signature, trusted_keys=frozenset(trusted))

    def replay(
        self, position: int, out: Path, progress: Callable[[int, int], None] | None = None
    ) -> ReplaySummary:
        return replay_to(self.store, position, out, open_ledger=_open_copy, progress=progress)

    def signer(self) -> Signer:
        """The signing key, created if there is none yet."""
        return load_or_create(self.key_file())

    def own_signer(self) -> Signer | None:
        """The signing key if its file exists; never creates one."""
        try:
            return load_signer(self.key_file())
        except SigningKeyMissing:
            return None

    def key_file(self) -> Path:
        return self.signing_key_file or signing_key_path(self.settings)  # raises why not

    def close(self) -> None:
        for opened in self._opened:
            opened.close()
        self.views.close()
        self.app.close()


def _open_copy(database_url: str) -> Ledger:
    """A replayed copy's ledger: its read models are rebuilt once, by replay itself."""
    return bootstrap(Settings(database_url=database_url), in_process=False)


def signing_key_path(settings: Settings) -> Path:
    """LEDGER_SIGNING_KEY_FILE, else the per-user default (`adapters.signing.default_key_path`):
    outside the data directory, and the same on every backend."""
    if settings.signing_key_file:
        return Path(settings.signing_key_file)
    return default_key_path()


def _key_file_or_none(settings: Settings) -> Path | None:
    try:
        return signing_key_path(settings)
    except SigningKeyError:
        return None  # said by the commands that need the key, not by every command


def view_store(store: persistence.Store) -> LedgerViewStore:
    if store.kind == "sqlite":
        return SQLiteLedgerViews(store.path)
    if store.kind == "postgres":
        return PostgresLedgerViews(store)
    return MemoryViewStore()


def bootstrap(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid4,
    in_process: bool = True,
    create: bool = True,
) -> Ledger:
    """`in_process`: queries first bring the read models up to date themselves (the CLI);
    off for servers whose read models a separate projector keeps current. `create`: start
    a ledger where there is none; off, there must be one (persistence.NoLedger)."""
    store = persistence.parse_database_url(settings.database_url)
    persistence.prepare(store, create=create)
    try:
        with persistence.ddl_lock(store):
            if create:
                persistence.create_schema(store)
            app = LedgerApplication(
                persistence.eventsourcing_env(store),
                mapper_factory=MsgspecMapper,
                clock=clock,
                new_id=new_id,
            )
            views = view_store(store)
    except OperationalError as e:
        raise persistence.StoreUnreachable(f"The event store at {store.label} failed: {e}") from e
    positions = None if store.kind == "memory" else partial(persistence.positions_of, store)
    log = LogQueries(app, positions)
    read_log = getattr(views, "read_log", None)
    projector = Projector(app, views, clock=utc_now, read_log=read_log)
    refresh = projector.catch_up if in_process else None
    return Ledger(
        settings=settings,
        signing_key_file=_key_file_or_none(settings),
        store=store,
        app=app,
        views=views,
        projector=projector,
        queries=ViewQueries(
            app,
            views,
            log,
            refresh=refresh,
            read_history=getattr(views, "read_history", None),
            today=lambda: clock().date(),
        ),
        reports=Reports(views, today=lambda: clock().date(), refresh=refresh),
        log=log,
    )
