"""The account of a decision from the installed CLI: every step names who took it,
when and why, in `decision show`, `history` and the inspection pack alike."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from uuid import uuid5

import pytest

from services.demo.cast import IDS, NORTHMOOR
from tests.e2e.test_cli import D_24_07, as_json, assert_refused, run

SECRETARIAT = {"id": "u-secretariat", "role": "secretariat"}
ENGAGEMENT = {"id": "u-engagement-officer", "role": "engagement_officer"}
CHAIR = {"id": "m-la-director", "role": "chair"}
D_26_01 = str(uuid5(NORTHMOOR, "test/D-26-01"))
UNLINK_REASON = "Linked to the wrong decision: it concerns waiting times only."
DEFER_REASON = "Await the costed options from the ICB."


def command(db: str, actor: dict[str, str], **fields: object) -> None:
    as_json(run("command", json.dumps({"actor": actor, **fields}), "--json", db=db))


@pytest.fixture
def reshaped_db(sqlite_url: str) -> str:
    """The demo, then a decision whose contribution is linked, unlinked and which is
    deferred, each by someone else."""
    as_json(run("demo", "--json", db=sqlite_url))
    command(
        sqlite_url,
        SECRETARIAT,
        type="ProposeDecision",
        partnership_id=str(IDS.partnership),
        decision_id=D_26_01,
        reference="D-26-01",
        title="Post-16 SaLT in sixth forms",
        category="health_commissioning",
        text="Extend the SaLT assistants to sixth forms.",
        proposer_id="m-forum-cochair",
    )
    command(
        sqlite_url,
        ENGAGEMENT,
        type="LinkContribution",
        decision_id=D_26_01,
        contribution_id=str(IDS.contribution_c112),
        influence="informed",
        note="Waiting times evidence.",
    )
    command(
        sqlite_url,
        SECRETARIAT,
        type="UnlinkContribution",
        decision_id=D_26_01,
        contribution_id=str(IDS.contribution_c112),
        reason=UNLINK_REASON,
    )
    command(
        sqlite_url,
        CHAIR,
        type="DeferDecision",
        decision_id=D_26_01,
        reason=DEFER_REASON,
        until="2027-09-01",
    )
    return sqlite_url


def test_decision_show_names_who_proposed_linked_unlinked_and_deferred_and_why(
    reshaped_db: str,
) -> None:
    result = run("decision", "show", D_26_01, db=reshaped_db)

    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert (
        "Proposed by Helen Marsh (Parent carer forum co-chair), recorded by u-secretariat "
        "(secretariat)." in text
    )
    assert (
        "Contribution C-112 linked (informed) by u-engagement-officer (engagement_officer): "
        "Waiting times evidence." in text
    )
    assert f"Contribution C-112 unlinked by u-secretariat (secretariat): {UNLINK_REASON}" in text
    assert (
        "Deferred until 2027-09-01 by Priya Shah (Director of Children's Services) as chair: "
        f"{DEFER_REASON}" in text
    )


def test_decision_show_json_gives_who_when_and_why_of_every_step(reshaped_db: str) -> None:
    d = as_json(run("decision", "show", D_26_01, "--json", db=reshaped_db))

    (link,) = d["contributions"]
    assert link["linked"]["by"] == {
        "id": "u-engagement-officer",
        "name": "u-engagement-officer",
        "role": "engagement_officer",
        "sector": "",
        "organisation": "",
        "member": False,
        "acting_as": "",
    }
    assert link["linked"]["why"] == "Waiting times evidence."
    assert link["unlinked"]["by"]["id"] == "u-secretariat"
    assert link["unlinked"]["why"] == UNLINK_REASON
    assert link["unlinked"]["at"] > link["linked"]["at"]
    (deferral,) = d["deferrals"]
    assert deferral["deferred"]["by"]["name"] == "Priya Shah"
    assert deferral["deferred"]["by"]["acting_as"] == "chair"
    assert deferral["deferred"]["why"] == DEFER_REASON
    assert deferral["until"] == "2027-09-01"
    assert d["proposal"]["proposer"]["name"] == "Helen Marsh"
    assert d["proposal"]["recorded"]["by"]["id"] == "u-secretariat"


def test_history_gives_the_reason_of_each_event_that_records_one(reshaped_db: str) -> None:
    entries = as_json(run("history", D_26_01, "--json", db=reshaped_db))
    text = run("history", D_26_01, db=reshaped_db).stdout

    assert [(e["type"], e["why"]) for e in entries] == [
        ("DecisionProposed", ""),
        ("ContributionLinked", "Waiting times evidence."),
        ("ContributionUnlinked", UNLINK_REASON),
        ("DecisionDeferred", DEFER_REASON),
    ]
    unlinked = next(line for line in text.splitlines() if "ContributionUnlinked" in line)
    assert unlinked.endswith(f"u-secretariat (secretariat): {UNLINK_REASON}")


def test_the_inspection_pack_tells_d_24_07_in_the_words_of_decision_show(
    sqlite_url: str,
) -> None:
    as_json(run("demo", "--json", db=sqlite_url))
    shown = run("decision", "show", D_24_07, db=sqlite_url).stdout
    pack = run("pack", "inspection", str(IDS.plan), db=sqlite_url).stdout

    steps = shown.split("  account:\n", 1)[1].splitlines()
    assert len(steps) > 15
    for step in steps:
        when, sentence = step.strip().split("  ", 1)
        assert f"- {when}: {sentence}\n" in pack


# Time as the partnership lived it

D_26_02 = str(uuid5(NORTHMOOR, "test/D-26-02"))
PAST_MEETING = str(uuid5(NORTHMOOR, "test/meeting/2026-04-14"))
FUTURE_MEETING = str(uuid5(NORTHMOOR, "test/meeting/2031-01-08"))
HELD_AT = datetime.now(timezone(timedelta(hours=1))).replace(microsecond=0) - timedelta(days=30)
"""A meeting a month ago, in a timezone of its own."""
QUORATE = ("m-la-director", "m-forum-cochair", "m-early-years", "m-primary-head", "m-fe-principal")


def test_a_past_decision_entered_from_the_minutes_shows_when_it_was_taken_and_recorded(
    sqlite_url: str,
) -> None:
    as_json(run("demo", "--json", db=sqlite_url))
    command(
        sqlite_url,
        SECRETARIAT,
        type="ScheduleMeeting",
        partnership_id=str(IDS.partnership),
        meeting_id=PAST_MEETING,
        title="Partnership board from the minutes",
        held_at=HELD_AT.isoformat(),
    )
    command(
        sqlite_url, SECRETARIAT, type="RecordAttendance", meeting_id=PAST_MEETING, present=QUORATE
    )
    command(
        sqlite_url,
        CHAIR,
        type="ProposeDecision",
        partnership_id=str(IDS.partnership),
        decision_id=D_26_02,
        reference="D-26-02",
        title="Easy-read plan summary",
        category="other",
        text="Publish an easy-read summary of the plan.",
        proposer_id="m-la-director",
    )
    for member_id in QUORATE:
        command(
            sqlite_url,
            {"id": member_id, "role": "member"},
            type="RecordVote",
            decision_id=D_26_02,
            member_id=member_id,
            stance="for",
        )
    command(
        sqlite_url,
        CHAIR,
        type="TakeDecision",
        decision_id=D_26_02,
        meeting_id=PAST_MEETING,
        outcome="approved",
        rationale="Families asked for it.",
    )

    shown = as_json(run("decision", "show", D_26_02, "--json", db=sqlite_url))
    text = run("decision", "show", D_26_02, db=sqlite_url).stdout
    register = run("decisions", db=sqlite_url).stdout

    taken = shown["taken"]
    assert datetime.fromisoformat(taken["taken_at"]) == HELD_AT
    recorded = datetime.fromisoformat(taken["recorded"]["at"])
    assert recorded - HELD_AT > timedelta(days=29)  # recorded now, from the minutes
    held = HELD_AT.strftime("%Y-%m-%d %H:%M UTC+01:00")
    assert f"at Partnership board from the minutes ({held}); recorded {recorded:%Y-%m-%d}" in text
    line = next(row for row in register.splitlines() if row.startswith("D-26-02"))
    assert f"taken {held}, recorded {recorded:%Y-%m-%d}" in line


def test_attendance_at_a_meeting_still_to_come_is_refused(sqlite_url: str) -> None:
    as_json(run("demo", "--json", db=sqlite_url))
    command(
        sqlite_url,
        SECRETARIAT,
        type="ScheduleMeeting",
        partnership_id=str(IDS.partnership),
        meeting_id=FUTURE_MEETING,
        title="Partnership board, 8 January 2031",
        held_at="2031-01-08T14:00:00Z",
    )

    refused = run(
        "command",
        json.dumps(
            {
                "type": "RecordAttendance",
                "actor": SECRETARIAT,
                "meeting_id": FUTURE_MEETING,
                "present": list(QUORATE),
            }
        ),
        db=sqlite_url,
    )

    assert_refused(refused, "Cannot record who attended Partnership board, 8 January 2031")


def test_a_meeting_time_without_a_utc_offset_is_refused(sqlite_url: str) -> None:
    as_json(run("demo", "--json", db=sqlite_url))
    before = len(as_json(run("events", "--limit", "1000", "--json", db=sqlite_url)))

    refused = run(
        "command",
        json.dumps(
            {
                "type": "ScheduleMeeting",
                "actor": SECRETARIAT,
                "partnership_id": str(IDS.partnership),
                "title": "Partnership board",
                "held_at": "2026-04-14T18:30:00",
            }
        ),
        db=sqlite_url,
    )

    assert_refused(refused, "held_at")
    assert len(as_json(run("events", "--limit", "1000", "--json", db=sqlite_url))) == before
