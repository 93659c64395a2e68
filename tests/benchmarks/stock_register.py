"""The decision register that stock eventsourcing keeps in the projection benchmark: one
row per decision (status, outcome, counts), a ``Projection`` over the register's event
types, and its view as a tracking recorder on SQLite and PostgreSQL, each change written
with its tracking record in one transaction, as eventsourcing's projections do."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import get_topic
from psycopg import sql

from domain.decision_events import (
    ContributionLinked,
    ContributionUnlinked,
    DecisionAmended,
    DecisionDeferred,
    DecisionProposed,
    DecisionSuperseded,
    DecisionTaken,
    ReviewScheduled,
    VoteRecorded,
    VoteWithdrawn,
)

REGISTER_EVENTS = (
    DecisionProposed,
    ContributionLinked,
    ContributionUnlinked,
    DecisionAmended,
    VoteRecorded,
    VoteWithdrawn,
    DecisionTaken,
    DecisionDeferred,
    ReviewScheduled,
    DecisionSuperseded,
)
REGISTER_TOPICS = tuple(get_topic(cls) for cls in REGISTER_EVENTS)


@dataclass(frozen=True)
class RegisterChange:
    """What one event changes in a decision's row (counts are added)."""

    links: int = 0
    votes: int = 0
    amendments: int = 0
    status: str | None = None
    outcome: str | None = None
    review_on: str | None = None
    superseded_by: UUID | None = None


class DecisionRegisterView(TrackingRecorder, ABC):
    """One row per decision (status, outcome, counts), each change written with its
    tracking record in one transaction."""

    @abstractmethod
    def propose(self, event: DecisionProposed, tracking: Tracking) -> None: ...

    @abstractmethod
    def change(self, decision_id: UUID, change: RegisterChange, tracking: Tracking) -> None: ...

    @abstractmethod
    def proposed_up_to(self, position: int) -> int:
        """Decisions whose proposal is at or before the log position."""

    @abstractmethod
    def close(self) -> None: ...

    stamps: list[tuple[int, float, float]]
    """(position, wall clock, CPU clock) as each event's transaction committed."""

    def committed(self, tracking: Tracking) -> None:
        self.stamps.append((tracking.notification_id, time.perf_counter(), time.process_time()))


REGISTER_TABLE = "decision_register"


def _change_params(decision_id: UUID, change: RegisterChange, position: int) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "links": change.links,
        "votes": change.votes,
        "amendments": change.amendments,
        "status": change.status,
        "outcome": change.outcome,
        "review_on": change.review_on,
        "superseded_by": change.superseded_by,
        "position": position,
    }


def _proposal_params(event: DecisionProposed, position: int) -> dict[str, Any]:
    return {
        "decision_id": event.originator_id,
        "partnership_id": event.partnership_id,
        "reference": event.reference,
        "title": event.title,
        "category": event.category.value,
        "position": position,
    }


class PostgresDecisionRegisterView(PostgresTrackingRecorder, DecisionRegisterView):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.stamps = []
        table = sql.SQL("{}.{}").format(
            sql.Identifier(datastore.schema), sql.Identifier(REGISTER_TABLE)
        )
        self.sql_create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (decision_id uuid PRIMARY KEY, partnership_id "
                "uuid NOT NULL, reference text NOT NULL, title text NOT NULL, category text NOT "
                "NULL, status text NOT NULL, outcome text, links int NOT NULL, votes int NOT "
                "NULL, amendments int NOT NULL, review_on date, superseded_by uuid, "
                "proposed_position bigint NOT NULL, position bigint NOT NULL)"
            ).format(table)
        )
        self._insert = sql.SQL(
            "INSERT INTO {} (decision_id, partnership_id, reference, title, category, status, "
            "links, votes, amendments, proposed_position, position) VALUES (%(decision_id)s, "
            "%(partnership_id)s, %(reference)s, %(title)s, %(category)s, 'proposed', 0, 0, 0, "
            "%(position)s, %(position)s)"
        ).format(table)
        self._update = sql.SQL(
            "UPDATE {} SET links = links + %(links)s, votes = votes + %(votes)s, amendments = "
            "amendments + %(amendments)s, status = coalesce(%(status)s::text, status), outcome "
            "= coalesce(%(outcome)s::text, outcome), review_on = coalesce(%(review_on)s::date, "
            "review_on), superseded_by = coalesce(%(superseded_by)s::uuid, superseded_by), "
            "position = %(position)s WHERE decision_id = %(decision_id)s"
        ).format(table)
        self._count = sql.SQL("SELECT count(*) AS n FROM {} WHERE proposed_position <= %s").format(
            table
        )

    def propose(self, event: DecisionProposed, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._insert, _proposal_params(event, tracking.notification_id), prepare=True
            )
            self._insert_tracking(curs, tracking)
        self.committed(tracking)

    def change(self, decision_id: UUID, change: RegisterChange, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._update,
                _change_params(decision_id, change, tracking.notification_id),
                prepare=True,
            )
            self._insert_tracking(curs, tracking)
        self.committed(tracking)

    def proposed_up_to(self, position: int) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._count, (position,))
            row = curs.fetchone()
        return int(row["n"]) if row else 0

    def close(self) -> None:
        self.datastore.close()


class SQLiteDecisionRegisterView(SQLiteTrackingRecorder, DecisionRegisterView):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.stamps = []

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {REGISTER_TABLE} (decision_id TEXT PRIMARY KEY, "
            "partnership_id TEXT NOT NULL, reference TEXT NOT NULL, title TEXT NOT NULL, "
            "category TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT, links INTEGER NOT "
            "NULL, votes INTEGER NOT NULL, amendments INTEGER NOT NULL, review_on TEXT, "
            "superseded_by TEXT, proposed_position INTEGER NOT NULL, position INTEGER NOT NULL)",
        ]

    def propose(self, event: DecisionProposed, tracking: Tracking) -> None:
        params = _proposal_params(event, tracking.notification_id)
        params["decision_id"] = event.originator_id.hex
        params["partnership_id"] = event.partnership_id.hex
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {REGISTER_TABLE} (decision_id, partnership_id, reference, title, "
                "category, status, links, votes, amendments, proposed_position, position) "
                "VALUES (:decision_id, :partnership_id, :reference, :title, :category, "
                "'proposed', 0, 0, 0, :position, :position)",
                params,
            )
            self._insert_tracking(c, tracking)
        self.committed(tracking)

    def change(self, decision_id: UUID, change: RegisterChange, tracking: Tracking) -> None:
        params = _change_params(decision_id, change, tracking.notification_id)
        params["decision_id"] = decision_id.hex
        if change.superseded_by is not None:
            params["superseded_by"] = change.superseded_by.hex
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"UPDATE {REGISTER_TABLE} SET links = links + :links, votes = votes + :votes, "
                "amendments = amendments + :amendments, status = coalesce(:status, status), "
                "outcome = coalesce(:outcome, outcome), review_on = coalesce(:review_on, "
                "review_on), superseded_by = coalesce(:superseded_by, superseded_by), "
                "position = :position WHERE decision_id = :decision_id",
                params,
            )
            self._insert_tracking(c, tracking)
        self.committed(tracking)

    def proposed_up_to(self, position: int) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT count(*) FROM {REGISTER_TABLE} WHERE proposed_position <= ?", (position,)
            )
            row = c.fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.datastore.close()


class DecisionRegisterProjection(Projection[DecisionRegisterView]):
    """The decision register, the stock way: one event, one transaction. Its topics
    select the register's events in the database; any other event given to it would
    only move the tracking position."""

    name = "decision_register"
    topics = REGISTER_TOPICS

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)
        self.view.committed(tracking)

    @process_event.register
    def decision_proposed(self, domain_event: DecisionProposed, tracking: Tracking) -> None:
        self.view.propose(domain_event, tracking)

    @process_event.register
    def contribution_linked(self, domain_event: ContributionLinked, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(links=1), tracking)

    @process_event.register
    def contribution_unlinked(self, domain_event: ContributionUnlinked, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(links=-1), tracking)

    @process_event.register
    def decision_amended(self, domain_event: DecisionAmended, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(amendments=1), tracking)

    @process_event.register
    def vote_recorded(self, domain_event: VoteRecorded, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(votes=1), tracking)

    @process_event.register
    def vote_withdrawn(self, domain_event: VoteWithdrawn, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(votes=-1), tracking)

    @process_event.register
    def decision_taken(self, domain_event: DecisionTaken, tracking: Tracking) -> None:
        change = RegisterChange(status="taken", outcome=domain_event.outcome.value)
        self.view.change(domain_event.originator_id, change, tracking)

    @process_event.register
    def decision_deferred(self, domain_event: DecisionDeferred, tracking: Tracking) -> None:
        self.view.change(domain_event.originator_id, RegisterChange(status="deferred"), tracking)

    @process_event.register
    def review_scheduled(self, domain_event: ReviewScheduled, tracking: Tracking) -> None:
        change = RegisterChange(review_on=domain_event.review_on.isoformat())
        self.view.change(domain_event.originator_id, change, tracking)

    @process_event.register
    def decision_superseded(self, domain_event: DecisionSuperseded, tracking: Tracking) -> None:
        change = RegisterChange(status="superseded", superseded_by=domain_event.superseded_by)
        self.view.change(domain_event.originator_id, change, tracking)
