"""A file written whole or not at all: an audit bundle (the export's `ExportTarget`) or
a pack written with `--out`.

The content is written to a hidden `.NAME.XXXXXXXX.partial` (0600) in the target's
folder, created new so no two writers share one, and renamed over NAME in one step once
whole: a reader never sees half a file, and a failed write leaves NAME as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO
from uuid import uuid4

from adapters.private_files import open_new_private
from services.audit.export import ExportTarget


class WholeFile(ExportTarget):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.{uuid4().hex[:8]}.partial")

    @property
    def name(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def can_hold_a_file(self) -> bool:
        return not self.path.is_dir() and self.path.parent.is_dir()

    def open_partial(self) -> IO[bytes]:
        return open_new_private(self.partial)

    def commit(self) -> None:
        self.partial.replace(self.path)

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)
