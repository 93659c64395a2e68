"""Read-model storage in the ledger's own database: SQLite and PostgreSQL.

One table holds every document (id, model, partnership, position, msgspec JSON
body); a tracking table holds the position the documents reflect and the events
skipped on the way (of types the read models do not know), counted by topic. A batch's
documents and its position are written in one transaction, guarded by the
position it started from. A rebuild writes into `..._next` tables and swaps
them in with renames inside one transaction.

`sqlite` and `postgres` hold the two stores, `shared` what they share: the table
names, the tracking row as a status, and the guard that leaves no fresh tables behind.
"""
