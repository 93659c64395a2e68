"""The composition root: the one place that builds concrete objects and wires them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Protocol
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters import persistence
from adapters.audit_store import open_audit_store
from adapters.codec import MsgspecMapper
from adapters.read_model_store.postgres import PostgresReadModelStore
from adapters.read_model_store.sqlite import SQLiteReadModelStore
from adapters.replay import ReplaySummary, replay_to
from adapters.settings import Settings
from adapters.signing import (
    Ed25519SignatureCheck,
    Signer,
    SigningKeyError,
    SigningKeyMissing,
    default_key_path,
    load_or_create,
    load_signer,
    read_trusted_keys,
)
from adapters.wakeup import PostgresWakeup, polling
from projections.store import MemoryReadModelStore, ReadModelStore
from services.audit.auditor import Auditor
from services.ledger.application import LedgerApplication, utc_now
from services.ledger.log_queries import LogQueries
from services.projection.log_rows import ReadHistory, ReadLog
from services.projection.projector import Projector
from services.projection.read_model_queries import ReadModelQueries
from services.reports import Reports


class _Closeable(Protocol):
    def close(self) -> None: ...


class Ledger(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an entry point needs, built from settings. Audit tools and the
    signing key are opened only by the commands that use them."""

    settings: Settings
    signing_key_file: Path | None
    """Resolved once, at start-up; None if there is no home folder to default to."""
    store: persistence.Store
    app: LedgerApplication
    read_store: ReadModelStore
    projector: Projector
    read_models: ReadModelQueries
    reports: Reports
    log: LogQueries
    _opened: list[_Closeable] = msgspec.field(default_factory=list)

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
        return Auditor(audit, Ed25519SignatureCheck(), trusted_keys=frozenset(trusted))

    def event_waiter(self, poll: float) -> Callable[[], None]:
        """A wait for new events in the log: woken by the store's NOTIFY on PostgreSQL
        (or after `poll` seconds), a sleep of `poll` seconds elsewhere."""
        recorder = self.app.recorder
        if isinstance(recorder, PostgresApplicationRecorder):
            wakeup = PostgresWakeup(self.store, recorder.channel_name, poll)
            self._opened.append(wakeup)
            return wakeup
        return polling(poll)

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
        self.read_store.close()
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


class StoreAdministration:
    """What an operator does to the database as a whole (`services.demo.writing.StoreAdmin`).
    The URL is read when this is made: commands that need no ledger never make one."""

    def __init__(self, settings: Settings) -> None:
        self.store = persistence.parse_database_url(settings.database_url)

    @property
    def label(self) -> str:
        return self.store.label

    def is_empty(self) -> bool:
        persistence.prepare(self.store)
        return persistence.is_empty(self.store)

    def reset(self) -> None:
        persistence.reset(self.store)


def open_read_store(
    store: persistence.Store,
) -> SQLiteReadModelStore | PostgresReadModelStore | MemoryReadModelStore:
    if store.kind == "sqlite":
        return SQLiteReadModelStore(store.path)
    if store.kind == "postgres":
        return PostgresReadModelStore(store)
    return MemoryReadModelStore()


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
            read_store = open_read_store(store)
    except OperationalError as e:
        raise persistence.StoreUnreachable(f"The event store at {store.label} failed: {e}") from e
    positions = None if store.kind == "memory" else partial(persistence.positions_of, store)
    log = LogQueries(app, positions)
    # The database stores read the log's rows straight from its table; in memory the
    # projector reads through the application's recorder.
    read_log: ReadLog | None = None
    read_history: ReadHistory | None = None
    if isinstance(read_store, SQLiteReadModelStore | PostgresReadModelStore):
        read_log, read_history = read_store.read_log, read_store.read_history
    projector = Projector(app, read_store, clock=utc_now, read_log=read_log)
    refresh = projector.catch_up if in_process else None
    return Ledger(
        settings=settings,
        signing_key_file=_key_file_or_none(settings),
        store=store,
        app=app,
        read_store=read_store,
        projector=projector,
        read_models=ReadModelQueries(
            app,
            read_store,
            log,
            refresh=refresh,
            read_history=read_history,
            today=lambda: clock().date(),
        ),
        reports=Reports(read_store, today=lambda: clock().date(), refresh=refresh),
        log=log,
    )
