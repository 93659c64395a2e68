"""`inclusion-ledger`: builds the ledger from settings and turns failures into exit codes.

0 success, 1 a check failed, 2 bad usage or input (one line on stderr),
3 a needed service is unreachable.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from functools import cache

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, MapperDeserialisationError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import TopicError

from adapters import persistence
from adapters.bootstrap import Ledger, bootstrap, signing_key_path
from adapters.logging import bind_correlation_id, configure_logging
from adapters.replay import ReplayTargetExists
from adapters.settings import Settings, SettingsError
from adapters.signing import SigningKeyError, key_id, load_signer, verify_signature
from adapters.wakeup import PostgresWakeup, polling
from domain.errors import LedgerRuleBroken
from services.audit.auditor import AuditFailed
from services.cli import CliContext, UsageError, build_parser
from services.ledger.application import Clock
from services.projection.projector import ReadModelsOutdated

log = structlog.get_logger()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("inclusion-ledger: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _run(argv: list[str]) -> int:
    ledgers: list[Ledger] = []
    try:
        args = build_parser().parse_args(argv)
        settings = Settings.from_env(
            database_url=getattr(args, "db", None),
            trusted_keys_file=getattr(args, "trusted_keys", None),
        )
        configure_logging(settings)
        bind_correlation_id()

        @cache
        def store() -> persistence.Store:
            """Parsed when first needed: commands that open no ledger never read the URL."""
            return persistence.parse_database_url(settings.database_url)

        wakeups: list[PostgresWakeup] = []

        # Only the commands that write start a ledger; any other is refused where there is
        # none, so a mistyped path or schema creates nothing.
        create = bool(getattr(args, "creates", False))

        def open_ledger(clock: Clock | None) -> Ledger:
            if clock:
                ledger = bootstrap(settings, clock=clock, create=create)
            else:
                ledger = bootstrap(settings, create=create)
            ledgers.append(ledger)
            return ledger

        def waiter(poll: float) -> Callable[[], None]:
            recorder = ledgers[-1].app.recorder
            if isinstance(recorder, PostgresApplicationRecorder):
                wakeups.append(PostgresWakeup(store(), recorder.channel_name, poll))
                return wakeups[-1]
            return polling(poll)

        def close_waiter() -> None:
            for wakeup in wakeups:
                wakeup.close()

        ctx = CliContext(
            open_ledger=open_ledger,
            store_is_empty=lambda: _is_empty(store()),
            reset_store=lambda: persistence.reset(store()),
            describe_store=lambda: store().label,
            waiter=waiter,
            close_waiter=close_waiter,
            verify_signature=verify_signature,
            key_id=key_id,
            signing_key=lambda: load_signer(signing_key_path(settings)),
            max_command_bytes=settings.max_command_bytes,
        )
        code: int = args.handler(args, ctx)
        return code
    except LedgerRuleBroken as e:
        return _fail(2, e.message)
    except (UsageError, SettingsError, persistence.NotALedgerDatabase) as e:
        return _fail(2, str(e))
    except (MapperDeserialisationError, TopicError) as e:
        return _fail(2, f"The ledger holds an event this version cannot read: {e}")
    except persistence.StoreUnreachable as e:
        return _fail(3, str(e))
    except STORE_FAILURES as e:
        where = ledgers[-1].store.label if ledgers else "the configured database"
        return _fail(3, f"The database at {where} failed: {_first_line(e)}")
    except AuditFailed as e:
        print(f"inclusion-ledger: {e}", file=sys.stderr)
        return 1
    except (SigningKeyError, ReplayTargetExists) as e:
        return _fail(2, str(e))
    except ReadModelsOutdated as e:
        return _fail(2, str(e))
    finally:
        for ledger in ledgers:
            ledger.close()


def _is_empty(store: persistence.Store) -> bool:
    persistence.prepare(store)
    return persistence.is_empty(store)


STORE_FAILURES = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)
"""The database failed after the ledger opened it (a server gone away mid-command, a
file locked for too long): a needed service is unavailable, exit 3."""


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _fail(code: int, message: str) -> int:
    print(f"inclusion-ledger: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
