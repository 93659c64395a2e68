"""`inclusion-ledger`: parses the command line, runs the command, and turns failures into
exit codes, here and nowhere else.

0 success, 1 a check failed, 2 bad usage or input (one line on stderr),
3 a needed service is unreachable.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import InterfaceError, MapperDeserialisationError, OperationalError
from eventsourcing.utils import TopicError

from adapters import persistence
from adapters.cli.arguments import UsageError
from adapters.cli.invocation import Invocation
from adapters.cli.parser import build_parser
from adapters.logging import bind_correlation_id, configure_logging
from adapters.replay import ReplayTargetExists
from adapters.settings import Settings, SettingsError
from adapters.signing import SigningKeyError
from domain.errors import LedgerRuleBroken
from services.audit.auditor import AuditFailed
from services.demo.writing import LedgerNotEmpty
from services.projection.projector import ReadModelsOutdated


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
    invocation: Invocation | None = None
    try:
        args = build_parser().parse_args(argv)
        settings = Settings.from_env(
            database_url=getattr(args, "db", None),
            trusted_keys_file=getattr(args, "trusted_keys", None),
        )
        configure_logging(settings)
        bind_correlation_id()
        invocation = Invocation(settings, creates=args.creates)
        code: int = args.handler(args, invocation)
        return code
    except UsageError as e:
        return _fail(2, str(e), command=e.command)
    except LedgerRuleBroken as e:
        return _fail(2, e.message)
    except (
        SettingsError,
        persistence.NotALedgerDatabase,
        LedgerNotEmpty,
        SigningKeyError,
        ReplayTargetExists,
        ReadModelsOutdated,
    ) as e:
        return _fail(2, str(e))
    except (MapperDeserialisationError, TopicError) as e:
        return _fail(2, f"The ledger holds an event this version cannot read: {e}")
    except persistence.StoreUnreachable as e:
        return _fail(3, str(e))
    except STORE_FAILURES as e:
        where = invocation.where if invocation else "the configured database"
        return _fail(3, f"The database at {where} failed: {_first_line(e)}")
    except AuditFailed as e:
        return _fail(1, str(e))
    finally:
        if invocation is not None:
            invocation.close()


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


def _fail(code: int, message: str, *, command: str = "inclusion-ledger") -> int:
    print(f"{command}: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
