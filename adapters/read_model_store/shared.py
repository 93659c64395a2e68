"""What both read-model stores share: table names, the tracking row read as a status, and
the guard that leaves no half-made fresh tables behind."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any, TypeVar

from adapters.persistence import NEXT_VIEWS_TABLE, VIEWS_TABLE
from projections.store import ReadModelStatus, decode_skipped

LIVE = VIEWS_TABLE
NEXT = NEXT_VIEWS_TABLE
MAX_POSITION = 2**63 - 1
"""A log position past every other: `read_history` up to the head."""


def view_status(row: tuple[Any, ...] | None) -> ReadModelStatus | None:
    """The tracking row (position, schema version, skipped, updated at, skipped types) as
    the read models' status; None before the first commit."""
    if row is None:
        return None
    position, schema_version, skipped, updated_at, skipped_types = row
    if isinstance(updated_at, str):
        updated_at = datetime.fromisoformat(updated_at)
    return ReadModelStatus(
        position=int(position),
        schema_version=int(schema_version),
        skipped=int(skipped),
        updated_at=updated_at,
        skipped_types=decode_skipped(skipped_types),
    )


V = TypeVar("V")


def fresh_tables(drop: Callable[[str], None], open_next: Callable[[], V]) -> V:
    """Empty fresh tables, opened; stopped part way (a Ctrl-C, say), none are left behind."""
    drop(NEXT)
    try:
        return open_next()
    except BaseException:
        with suppress(Exception):
            drop(NEXT)
        raise
