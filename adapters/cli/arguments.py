"""Argument types and the parser that reports a bad argument in one line (exit 2)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from services.audit.bundle_format import parse_public_key


class UsageError(ValueError):
    """Bad arguments or input (exit 2). `command` names the command it was given to,
    when the parser found it: `inclusion-ledger plan show: argument PLAN_ID: ...`."""

    def __init__(self, message: str, *, command: str = "inclusion-ledger") -> None:
        super().__init__(message)
        self.command = command


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with one line, no usage dump
        raise UsageError(message, command=self.prog)


def uuid_arg(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an id (a UUID)") from None


def datetime_arg(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date") from None


def positive(value: str) -> int:
    number = non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def add_time_travel(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--as-of",
        type=datetime_arg,
        metavar="ISO8601",
        help="as it stood at this date or time (UTC unless given)",
    )
    when.add_argument(
        "--at-position",
        type=positive,
        metavar="N",
        help="as it stood when the log ended at position N",
    )


def within_log(position: int | None, head: int) -> None:
    """`--at-position` names a position the log has reached."""
    if position is not None and position > head:
        raise UsageError(
            f"--at-position {position} is past the head of the log, which is at position {head}."
        )


def public_key_arg(option: str, value: str) -> bytes:
    """A raw Ed25519 public key given on the command line, or the file holding it."""
    try:
        return parse_public_key(value)
    except ValueError:
        pass
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{option} {value!r} is neither 64 hex digits nor a file holding the key.")
    try:
        return parse_public_key(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as e:
        raise UsageError(f"{option} {value}: {e}.") from None
    except OSError as e:
        raise UsageError(f"Cannot read {value}: {e.strerror or e}.") from None


def check_out_file(out: Path, force: bool) -> None:
    """A file to write: a new name in an existing folder, or an existing file with --force."""
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; use --force to replace it.")
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"{out} is not a file name in an existing folder.")
