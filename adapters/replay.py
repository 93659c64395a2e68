"""Replay for auditors: the ledger as it stood at a log position, in a database of its own.

The events up to the position are copied with their positions, chain links and
the checkpoints they cover, byte for byte, so the copy verifies on its own; the
read models are then rebuilt in it. An auditor opens it with `--db`.

The copy is opened through `open_ledger`, which the composition root passes in (it
builds the copy as it builds any ledger), so replay needs nothing from it by import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import msgspec

from adapters.audit_store import open_audit_store
from adapters.audit_store.shared import AuditStore
from adapters.persistence import Store, parse_database_url
from adapters.private_files import private_folder
from projections.store import ReadModelStore
from services.projection.projector import Projector

Progress = Callable[[int, int], None]
BATCH = 20_000


class OpenedLedger(Protocol):
    """What replay uses of a ledger opened on the copy: its projector and read models."""

    @property
    def projector(self) -> Projector: ...

    @property
    def read_store(self) -> ReadModelStore: ...

    def close(self) -> None: ...


OpenLedger = Callable[[str], OpenedLedger]
"""Opens (creating it if need be) the ledger at a database URL, its read models kept by
a projector of its own rather than caught up by each query."""


class ReplayTargetExists(FileExistsError):
    """The output folder already holds a ledger."""


class ReplaySummary(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str
    position: int
    events: int
    checkpoints: int
    models: dict[str, int]


def replay_to(
    source: Store,
    position: int,
    out: Path,
    *,
    open_ledger: OpenLedger,
    progress: Progress | None = None,
) -> ReplaySummary:
    target = out / "ledger.db"
    if target.exists():
        raise ReplayTargetExists(f"{target} already exists; choose an empty folder.")
    private_folder(out)
    url = f"sqlite:///{target.resolve()}"
    open_ledger(url).close()  # creates the tables

    audit = open_audit_store(source)
    try:
        copied = _copy_log(audit, target, position, progress)
        covered = [c for c in audit.checkpoints() if c.tree_size <= copied]
    finally:
        audit.close()
    copy_audit = open_audit_store(parse_database_url(url))
    try:
        for checkpoint in covered:
            copy_audit.add_checkpoint(checkpoint)
    finally:
        copy_audit.close()

    ledger = open_ledger(url)
    try:
        result = ledger.projector.catch_up()
        models = ledger.read_store.counts()
    finally:
        ledger.close()
    return ReplaySummary(
        database_url=url,
        position=result.position,
        events=copied,
        checkpoints=len(covered),
        models=models,
    )


def _copy_log(audit: AuditStore, target: Path, position: int, progress: Progress | None) -> int:
    conn = sqlite3.connect(target)
    copied = 0
    after = 0
    try:
        while True:
            events = [e for e in audit.events(after, BATCH) if e[0] <= position]
            if not events:
                break
            links = {
                link[0]: link for link in audit.links(after, BATCH) if link[0] <= events[-1][0]
            }
            conn.executemany(
                "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
                "state) VALUES (?, ?, ?, ?, ?)",
                [(p, oid.hex, version, topic, state) for p, oid, version, topic, state in events],
            )
            conn.executemany(
                "INSERT INTO ledger_chain (position, leaf_index, leaf_hash, chain_hash) "
                "VALUES (?, ?, ?, ?)",
                [links[e[0]] for e in events if e[0] in links],
            )
            conn.commit()
            copied += len(events)
            after = events[-1][0]
            if progress:
                progress(min(after, position), position)
    finally:
        conn.close()
    return copied
