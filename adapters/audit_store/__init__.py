"""The audit tables beside the event store: the chain, stored Merkle subtrees and
signed checkpoints, on SQLite and PostgreSQL.

Perfect subtrees of 2**TREE_LEVEL leaves and up are stored (`ledger_tree`), built
as checkpoints are made, so an inclusion proof reads O(log n) stored hashes and
at most two blocks of leaf hashes (its own and the tree's last), in one query,
however long the log. The log itself is read as one stream for verification.

The SQL both backends share is in `shared` (with the stored tree, a Merkle node
source); `sqlite` and `postgres` say how each reads the events.
"""

from __future__ import annotations

from adapters.audit_store.postgres import PostgresAuditStore
from adapters.audit_store.shared import AuditStore
from adapters.audit_store.sqlite import SQLiteAuditStore
from adapters.persistence import Store


def open_audit_store(store: Store) -> AuditStore:
    if store.kind == "sqlite":
        return SQLiteAuditStore(store.path)
    if store.kind == "postgres":
        return PostgresAuditStore(store)
    raise ValueError("Audit tools need a SQLite or PostgreSQL ledger.")
