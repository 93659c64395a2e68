"""Changed documents a rebuild has not written yet, kept encoded.

Encoded, a document takes a fraction of the memory it takes as objects, and
decoding it again costs far less than writing it and reading it back. A rebuild
parks the changed documents that leave its cache here, takes them back when a
later event needs them, and writes the oldest ones out only when the parked
bytes pass a limit, so most documents are written once.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from projections.documents import AnyDoc
from projections.store import DocRow, decode_doc, row_of

ENTRY_BYTES = 200
"""What one parked entry costs beyond its body: the row tuple, ids and dict slot."""


class ParkedDocs:
    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.size = 0
        self._rows: OrderedDict[UUID, DocRow] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._rows

    def park(self, doc: AnyDoc) -> None:
        self._drop(doc.id)
        row = self._rows[doc.id] = row_of(doc)
        self.size += len(row[4]) + ENTRY_BYTES

    def take(self, doc_id: UUID) -> AnyDoc | None:
        row = self._drop(doc_id)
        return None if row is None else decode_doc(row[4])

    def overflow(self) -> list[DocRow]:
        """Past the limit, the oldest rows to write now (down to three quarters of it,
        so writes go out in bulk); otherwise none."""
        if self.size <= self.limit_bytes:
            return []
        leaving: list[DocRow] = []
        while self._rows and self.size > self.limit_bytes * 3 // 4:
            _, row = self._rows.popitem(last=False)
            self.size -= len(row[4]) + ENTRY_BYTES
            leaving.append(row)
        return leaving

    def drain(self) -> list[DocRow]:
        rows = list(self._rows.values())
        self.clear()
        return rows

    def clear(self) -> None:
        self._rows.clear()
        self.size = 0

    def _drop(self, doc_id: UUID) -> DocRow | None:
        row = self._rows.pop(doc_id, None)
        if row is not None:
            self.size -= len(row[4]) + ENTRY_BYTES
        return row
