"""Where each read model stands against the log: its documents, its position, how far
behind the head it is, and the events it skipped."""

from __future__ import annotations

from datetime import datetime

import msgspec

from projections.dispatch import SCHEMA_VERSION
from projections.documents import MODELS
from projections.store import ReadModelStatus, ReadModelStore
from services.projection.projector import Projector


class ModelStatus(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    documents: int
    position: int
    head: int
    behind: int
    schema_version: int | None
    skipped: int
    updated_at: datetime | None
    skipped_types: dict[str, int]


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    models: list[ModelStatus]
    tracking: ReadModelStatus | None
    """The read models' one tracking record; None before they first caught up."""

    @property
    def needs_rebuild(self) -> bool:
        """Built by another schema version of the read models than this release's."""
        return self.tracking is not None and self.tracking.schema_version != SCHEMA_VERSION


def projection_status(projector: Projector, read_store: ReadModelStore) -> ProjectionStatus:
    head = projector.head()
    tracking = read_store.status()
    counts = read_store.counts()
    position = tracking.position if tracking else 0
    return ProjectionStatus(
        models=[
            ModelStatus(
                model=model,
                documents=counts.get(model, 0),
                position=position,
                head=head,
                behind=head - position,
                schema_version=tracking.schema_version if tracking else None,
                skipped=tracking.skipped if tracking else 0,
                updated_at=tracking.updated_at if tracking else None,
                skipped_types=tracking.skipped_types if tracking else {},
            )
            for model in MODELS
        ],
        tracking=tracking,
    )
