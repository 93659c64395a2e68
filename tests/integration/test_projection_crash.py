"""A projector killed at any moment loses nothing and applies nothing twice; a rebuild
stopped with Ctrl-C leaves the previous views serving.

The ledger (about 25,000 events over two partnerships) is written once per backend
through the ledger's commands. `inclusion-ledger projections run` and `projections
rebuild` run as real processes of the installed console script; this test watches
their progress in the tracking tables and kills or interrupts them part-way. The
views left behind are compared row by row (id, model, partnership, position, body)
with views built from the same log in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, LiteralString
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from adapters import persistence
from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from domain.values import (
    Actor,
    Channel,
    ContributorKind,
    DecisionCategory,
    DecisionOutcome,
    Depth,
    Influence,
    ResponseOutcome,
    Sector,
    Stance,
)
from projections.documents import model_of
from projections.store import MemoryReadModelStore, encode_doc
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1
from services.projection.projector import Projector

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))
FUTURE = "MotionWithdrawnInAFutureRelease"
EVENTS = 25_000
BATCH = 200
VIEW_TABLES = (
    "ledger_views",
    "ledger_views_tracking",
    "ledger_views_next",
    "ledger_views_next_tracking",
)

Row = tuple[UUID, str, UUID, int, bytes]

SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
ENGAGEMENT = Actor(id="u-engagement-officer", role="engagement_officer")
CHAIR = Actor(id="m-chair", role="chair")
BOARD = (
    ("m-chair", Sector.LOCAL_AUTHORITY),
    ("m-forum", Sector.PARENT_CARER_FORUM),
    ("m-health", Sector.HEALTH),
    ("m-schools", Sector.SCHOOLS),
    ("m-fe", Sector.FURTHER_EDUCATION),
)
VOTERS = tuple(member_id for member_id, _ in BOARD)


# Writing the ledger


@dataclass
class Partnership:
    id: UUID
    plan: UUID
    meeting: UUID
    actions: list[UUID]


def found_partnership(app: LedgerApplication, number: int) -> Partnership:
    """A board, terms of reference, a draft plan and a first meeting."""
    partnership_id, plan_id = uuid4(), uuid4()
    steps: list[commands.AnyCommand] = [
        commands.EstablishPartnership(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            name=f"Partnership {number}",
            kind="local_send_ap_partnership",
            la_code=f"Z{number:02}",
            icb_code="QZZ",
        ),
        *(
            commands.AppointMember(
                actor=SECRETARIAT,
                partnership_id=partnership_id,
                member_id=member_id,
                name=f"Name of {member_id}",
                role="Board member",
                sector=sector,
                organisation="Council",
            )
            for member_id, sector in BOARD
        ),
        commands.AdoptTermsOfReference(
            actor=CHAIR, partnership_id=partnership_id, quorum=3, forum_required=True
        ),
        commands.DraftPlan(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            plan_id=plan_id,
            title=f"Local Inclusion Plan {number}",
            template=LOCAL_INCLUSION_PLAN_V1.ref,
            period_start=date(2031, 4, 1),
            period_end=date(2034, 3, 31),
            sections={"vision": "Needs met early, close to home."},
        ),
    ]
    app.handle_all(steps)
    partnership = Partnership(id=partnership_id, plan=plan_id, meeting=uuid4(), actions=[])
    app.handle_all(meeting(partnership))
    return partnership


def meeting(partnership: Partnership) -> list[commands.AnyCommand]:
    return [
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=partnership.id,
            meeting_id=partnership.meeting,
            title="Partnership board",
            held_at=datetime(2031, 1, 5, 14, tzinfo=UTC),
        ),
        commands.RecordAttendance(
            actor=SECRETARIAT, meeting_id=partnership.meeting, present=VOTERS
        ),
    ]


def decision_story(p: Partnership, n: int) -> list[commands.AnyCommand]:
    """A contribution shapes a decision that is taken, acted on and cited in the plan."""
    decision_id, contribution_id, action_id = uuid4(), uuid4(), uuid4()
    steps: list[commands.AnyCommand] = [
        commands.SubmitContribution(
            actor=ENGAGEMENT,
            partnership_id=p.id,
            plan_id=p.plan,
            contribution_id=contribution_id,
            reference=f"C-{n}",
            subject_ref=f"subj-{n}",
            contributor_kind=ContributorKind.PARENT_CARER,
            contributor_name=f"Parent {n}",
            channel=Channel.SURVEY,
            depth=Depth.CONSULTATION,
            themes=("waiting times",),
            sections=("health_commissioning",),
            text="We waited 18 months for an assessment.",
        ),
        commands.TriageContribution(actor=ENGAGEMENT, contribution_id=contribution_id),
        commands.ProposeDecision(
            actor=CHAIR,
            partnership_id=p.id,
            decision_id=decision_id,
            reference=f"D-{n}",
            title="Speech and language therapy assistants",
            category=DecisionCategory.HEALTH_COMMISSIONING,
            text="Commission 4 FTE assistants.",
            proposer_id="m-chair",
        ),
        commands.LinkContribution(
            actor=SECRETARIAT,
            decision_id=decision_id,
            contribution_id=contribution_id,
            influence=Influence.AMENDED if n % 3 == 0 else Influence.INFORMED,
            note="Evidence of waiting times.",
        ),
        commands.DeclareInterest(
            actor=SECRETARIAT,
            partnership_id=p.id,
            member_id="m-health",
            decision_id=decision_id,
            has_interest=n % 4 == 0,
            nature="The ICB funds the service.",
        ),
    ]
    if n % 3 == 0:
        steps.append(
            commands.AmendDecision(
                actor=CHAIR,
                decision_id=decision_id,
                text="Commission 4 FTE assistants, including for colleges.",
                rationale="Families asked for post-16 cover.",
                caused_by=(contribution_id,),
            )
        )
    steps += [
        commands.RecordVote(
            actor=Actor(id=member_id, role="member"),
            decision_id=decision_id,
            member_id=member_id,
            stance=Stance.ABSTAIN if member_id == "m-fe" else Stance.FOR,
            reason="Wants the workforce plan first." if member_id == "m-fe" else "",
        )
        for member_id in VOTERS
    ]
    steps += [
        commands.TakeDecision(
            actor=CHAIR,
            decision_id=decision_id,
            meeting_id=p.meeting,
            outcome=DecisionOutcome.APPROVED,
            rationale="Meets the need families described.",
            coproduced=True,
        ),
        commands.IssueResponse(
            actor=SECRETARIAT,
            contribution_id=contribution_id,
            outcome=ResponseOutcome.ADOPTED,
            rationale="Commissioned.",
        ),
        commands.CommitAction(
            actor=CHAIR,
            decision_id=decision_id,
            action_id=action_id,
            reference=f"A-{n}",
            title="Recruit assistants",
            owner="The ICB",
            due_on=date(2032, 3, 31),
        ),
    ]
    if n % 10 == 0:
        steps.append(
            commands.ReviseSection(
                actor=SECRETARIAT,
                plan_id=p.plan,
                section="health_commissioning",
                text=f"The ICB commissions assistants (decision D-{n}).",
                rationale=f"Decision D-{n}.",
                cited_decisions=(decision_id,),
                cited_contributions=(contribution_id,),
            )
        )
    if p.actions:
        earlier = p.actions[-1]
        steps.append(
            commands.ReportProgress(
                actor=SECRETARIAT, action_id=earlier, note="Recruiting.", percent_complete=50
            )
            if n % 2
            else commands.CompleteAction(actor=SECRETARIAT, action_id=earlier, note="In post.")
        )
    p.actions[:] = [action_id] if n % 2 else []
    return steps


def insert_future_event(app: LedgerApplication) -> None:
    """An event of a type a newer release defines: the projector skips and counts it."""
    app.recorder.insert_events(
        [StoredEvent(originator_id=uuid4(), originator_version=1, topic=FUTURE, state=b"{}")]
    )


def write_ledger(url: str, events: int) -> int:
    """Write a ledger of at least `events` events, two of them of a type this release
    does not know (one an eighth of the way in, one half way); return its head."""
    clock = ScenarioClock(datetime(2031, 1, 6, 9, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        app = ledger.app
        partnerships = [found_partnership(app, number) for number in (1, 2)]
        unknown_at = [events // 8, events // 2]
        n = 0
        while (app.recorder.max_notification_id() or 0) < events:
            if unknown_at and (app.recorder.max_notification_id() or 0) >= unknown_at[0]:
                insert_future_event(app)
                unknown_at.pop(0)
            batch: list[commands.AnyCommand] = []
            for _ in range(20):
                n += 1
                p = partnerships[n % 2]
                if n % 400 == 0:  # a new board meeting now and then
                    batch.append(commands.ApproveMinutes(actor=SECRETARIAT, meeting_id=p.meeting))
                    p.meeting = uuid4()
                    batch += meeting(p)
                batch += decision_story(p, n)
            clock.set(clock.now + timedelta(minutes=5))
            app.handle_all(batch)
        return app.recorder.max_notification_id() or 0
    finally:
        ledger.close()


# The databases


class Database:
    """A ledger database seen from outside the processes under test."""

    def __init__(self, url: str, head: int) -> None:
        self.url = url
        self.head = head
        self.store = persistence.parse_database_url(url)

    def query(self, statement: LiteralString, table: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def position(self, table: str = "ledger_views_tracking") -> int | None:
        """The tracking position of the live (or fresh) views; None before they exist."""
        try:
            rows = self.query("SELECT position FROM {} WHERE name = 'ledger_views'", table)
        except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
            return None
        return int(rows[0][0]) if rows else None

    def rows(self) -> dict[UUID, Row]:
        found = self.query("SELECT id, model, partnership_id, position, body FROM {}", "")
        return {
            UUID(str(i)): (UUID(str(i)), str(m), UUID(str(p)), int(pos), bytes(body))
            for i, m, p, pos, body in found
        }

    def skipped(self) -> int:
        rows = self.query("SELECT skipped FROM {}", "ledger_views_tracking")
        return int(rows[0][0])

    def tracking(self) -> list[tuple[Any, ...]]:
        return self.query("SELECT * FROM {}", "ledger_views_tracking")

    def tables(self) -> set[str]:
        raise NotImplementedError

    def drop_read_store(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SQLiteDatabase(Database):
    def __init__(self, url: str, head: int) -> None:
        super().__init__(url, head)
        self.conn = sqlite3.connect(self.store.path, timeout=30)

    def query(self, statement: LiteralString, table: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(statement.format(table or "ledger_views")).fetchall()

    def tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(name) for (name,) in rows.fetchall()}

    def drop_read_store(self) -> None:
        for table in VIEW_TABLES:
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


class PostgresDatabase(Database):
    def __init__(self, url: str, head: int) -> None:
        super().__init__(url, head)
        s = self.store
        self.conn = psycopg.connect(
            host=s.host, port=s.port, dbname=s.dbname, user=s.user, autocommit=True
        )

    def _table(self, table: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.store.schema), sql.Identifier(table or "ledger_views")
        )

    def query(self, statement: LiteralString, table: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql.SQL(statement).format(self._table(table))).fetchall()

    def tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.store.schema,)
        ).fetchall()
        return {str(name) for (name,) in rows}

    def drop_read_store(self) -> None:
        for table in VIEW_TABLES:
            self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(table)))

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def written(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, int]]:
    """(kind, URL, head) of a ledger written once per backend for this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crash') / 'template.db'}"
        yield "sqlite", url, write_ledger(url, EVENTS)
        return
    server: str = request.getfixturevalue("postgres_server")
    schema = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        url = f"{server}?schema={schema}"
        yield "postgres", url, write_ledger(url, EVENTS)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def database(written: tuple[str, str, int], tmp_path: Path) -> Iterator[Database]:
    """The written ledger with no views yet: a copy of the file, or the schema emptied
    of views."""
    kind, url, head = written
    db: Database
    if kind == "sqlite":
        copy = tmp_path / "ledger.db"
        template = persistence.parse_database_url(url).path
        for suffix in ("", "-wal"):
            if Path(template + suffix).exists():
                shutil.copyfile(template + suffix, f"{copy}{suffix}")
        db = SQLiteDatabase(f"sqlite:///{copy}", head)
    else:
        db = PostgresDatabase(url, head)
        db.drop_read_store()
    try:
        yield db
    finally:
        db.close()


# The processes


def cli(*args: str, db: Database) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_LOG_FORMAT"] = "json"
    return subprocess.Popen(
        [CLI, *args, "--db", db.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def expected_rows(db: Database, until: int | None = None) -> dict[UUID, Row]:
    """The views built from the same log by one projector in memory, as table rows."""
    store = MemoryReadModelStore()
    ledger = bootstrap(Settings(database_url=db.url))
    try:
        Projector(ledger.app, store).catch_up(until=until)
    finally:
        ledger.close()
    return {
        d.id: (d.id, model_of(d), d.partnership_id, d.position, encode_doc(d))
        for d in store.docs.values()
    }


def kill_part_way(db: Database, *, at_least: int) -> int | None:
    """Run the projector and SIGKILL it once the views are past `at_least` and short of
    the head; the position the views were left at, or None if it finished first."""
    process = cli("projections", "run", "--once", "--batch-size", str(BATCH), db=db)
    try:
        deadline = time.monotonic() + 90
        while process.poll() is None and time.monotonic() < deadline:
            position = db.position()
            if position is not None and at_least <= position < db.head:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        code, _, err = finish(process)
    if code != -signal.SIGKILL:
        assert code == 0, err
        return None
    return db.position()


# The tests


def test_a_projector_killed_part_way_resumes_to_exactly_the_views_of_an_uninterrupted_run(
    database: Database,
) -> None:
    killed_at = None
    for _ in range(3):
        killed_at = kill_part_way(database, at_least=database.head // 4)
        if killed_at is not None and killed_at < database.head:
            break
        database.drop_read_store()  # it finished before the kill: run it again
    assert killed_at is not None, "the projector finished every time before it was killed"
    assert 0 < killed_at < database.head

    # Whatever the moment of the kill, the views stand exactly at a batch boundary.
    left = database.rows()
    assert left == expected_rows(database, until=killed_at)
    # No document can reflect an event past the tracked position (some events, such
    # as a plan's triage bookkeeping, change no document, so equality is not implied).
    assert max(row[3] for row in left.values()) <= killed_at
    assert database.skipped() == 1

    code, _, err = finish(cli("projections", "run", "--once", db=database))
    assert code == 0, err

    assert database.position() == database.head
    assert database.rows() == expected_rows(database)
    status = finish(cli("projections", "status", "--json", db=database))
    assert status[0] == 0, status[2]
    models = json.loads(status[1])
    assert {m["model"] for m in models} == {row[1] for row in database.rows().values()}
    assert all(m["behind"] == 0 and m["skipped"] == 2 for m in models), models
    assert sum(m["documents"] for m in models) == len(database.rows())
    assert database.skipped() == 2


def test_ctrl_c_during_a_rebuild_leaves_the_previous_views_serving(database: Database) -> None:
    ledger = bootstrap(Settings(database_url=database.url))
    try:
        previous = ledger.projector.catch_up(until=database.head - 1000)
    finally:
        ledger.close()
    before_rows, before_tracking = database.rows(), database.tracking()
    assert previous.position == database.head - 1000
    assert len(before_rows) > 1000

    # A rebuild commits the fresh tables' position only when it has built them all,
    # so the sign that it is under way is the fresh table itself.
    process = cli("projections", "rebuild", "--batch-size", "100", db=database)
    try:
        deadline = time.monotonic() + 90
        started = False
        while process.poll() is None and time.monotonic() < deadline:
            started = "ledger_views_next" in database.tables()
            if started:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.002)
    finally:
        code, out, err = finish(process)

    assert started, f"the rebuild never got going: {err}"
    assert code != 0
    assert code == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert out == ""
    assert database.rows() == before_rows
    assert database.tracking() == before_tracking
    assert not {"ledger_views_next", "ledger_views_next_tracking"} & database.tables()
