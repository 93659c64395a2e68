"""The CLI end to end: the installed console script in a real process, on real databases."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.demo.cast import IDS

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))
D_24_07 = str(IDS.decision)
NORTHMOOR_EVENTS = 56  # the scenario's commands store this many events


def run(
    *args: str, db: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [CLI, *args] + (["--db", db] if db else [])
    env = {k: val for k, val in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_LOG_FORMAT"] = "json"
    return subprocess.run(
        argv, capture_output=True, text=True, input=stdin, env=env, timeout=120, check=False
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, one line on stderr naming the problem, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


@pytest.fixture
def demo_db(sqlite_url: str) -> str:
    result = run("demo", db=sqlite_url)
    assert result.returncode == 0, result.stderr
    return sqlite_url


def db_digest(sqlite_url: str) -> str:
    return hashlib.sha256(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def test_demo_prints_the_plan_stage_and_who_shaped_each_decision(sqlite_url: str) -> None:
    result = run("demo", db=sqlite_url)

    assert result.returncode == 0, result.stderr
    assert "Northmoor Local Inclusion Plan 2026-2029" in result.stdout
    assert "stage: published" in result.stdout
    assert "D-24-07: Early-language SaLT assistants  [taken]" in result.stdout
    assert "contribution C-118: amended" in result.stdout
    assert "Dr Tom Okafor (ICB SEND lead) voted for (not counted: declared an interest)" in (
        result.stdout
    )
    assert "Owen Price (Special school head) voted abstain: Supports it" in result.stdout


def test_demo_refuses_a_non_empty_ledger_without_force(demo_db: str) -> None:
    before = db_digest(demo_db)

    assert_refused(run("demo", db=demo_db), "already holds a ledger", "--force")
    assert db_digest(demo_db) == before

    forced = run("demo", "--force", db=demo_db)
    assert forced.returncode == 0, forced.stderr
    assert len(as_json(run("events", "--limit", "1000", "--json", db=demo_db))) == NORTHMOOR_EVENTS


def test_decision_show_json_names_everyone_who_shaped_d_24_07(demo_db: str) -> None:
    d = as_json(run("decision", "show", D_24_07, "--json", db=demo_db))

    assert d["reference"] == "D-24-07"
    assert d["proposal"]["proposer"]["name"] == "Priya Shah"
    c118 = next(c for c in d["contributions"] if c["contribution"]["reference"] == "C-118")
    assert c118["influence"] == "amended"
    assert c118["contribution"]["response"] == "partly_adopted"
    assert [[c["reference"] for c in a["caused_by"]] for a in d["amendments"]] == [["C-118"]]
    assert "further education" in d["amendments"][0]["text"]
    taken = d["taken"]
    present = {m["id"] for m in taken["meeting"]["present"]}
    assert {"m-forum-cochair", "m-icb-lead", "m-fe-principal"} <= present
    assert len(present) == 8
    assert [m["id"] for m in taken["excluded_votes"]] == ["m-icb-lead"]
    icb_vote = next(v for v in d["votes"] if v["member"]["id"] == "m-icb-lead")
    assert icb_vote["counted"] is False
    assert icb_vote["not_counted"] == "declared_interest"
    assert taken["tally"] == {"for": 6, "against": 0, "abstain": 1, "block": 0}
    assert [v["member"]["id"] for v in taken["dissent"]] == ["m-special-head"]
    assert taken["dissent"][0]["stance"] == "abstain"
    assert taken["recorded"]["why"].startswith("Long waits for SaLT")
    assert taken["recorded"]["by"]["name"] == "Priya Shah"
    assert taken["quorum_met"] is True
    assert taken["forum_present"] is True
    assert taken["coproduced"] is True
    interests = {i["member"]["id"]: i["has_interest"] for i in d["interests"]}
    assert interests == {"m-fe-principal": False, "m-icb-lead": True}


def test_history_lists_every_event_of_an_aggregate_in_order_with_actor_and_time(
    demo_db: str,
) -> None:
    entries = as_json(run("history", D_24_07, "--json", db=demo_db))

    assert [e["version"] for e in entries] == list(range(1, len(entries) + 1))
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions)
    assert None not in positions
    assert entries[0]["type"] == "DecisionProposed"
    assert entries[0]["actor"] == "m-la-director"
    assert entries[0]["occurred_at"] == "2025-12-03T10:00:00Z"
    assert [e["type"] for e in entries].count("VoteRecorded") == 8
    assert all(e["actor"] and e["role"] and e["occurred_at"] for e in entries)


def test_plan_show_as_of_a_date_shows_the_plan_as_it_stood(demo_db: str) -> None:
    plan_id = str(IDS.plan)
    before_feedback = as_json(
        run("plan", "show", plan_id, "--as-of", "2026-02-20", "--json", db=demo_db)
    )
    now = as_json(run("plan", "show", plan_id, "--json", db=demo_db))

    assert before_feedback["stage"] == "submitted_for_qa"
    assert now["stage"] == "published"
    health = {s["key"]: s for s in now["sections"]}["health_commissioning"]
    earlier = {s["key"]: s for s in before_feedback["sections"]}["health_commissioning"]
    assert earlier["revision"] == 2
    assert health["revision"] == 3
    assert "Success:" in health["text"]
    assert "Success:" not in earlier["text"]


def test_read_commands_print_one_json_document(demo_db: str) -> None:
    for args in (["partnerships"], ["decisions"], ["events", "--limit", "5"]):
        result = run(*args, "--json", db=demo_db)
        assert isinstance(as_json(result), list), args


def test_audit_and_projection_commands_print_one_json_document_with_json(demo_db: str) -> None:
    """`--json` on every read command: the whole of stdout is one JSON document."""
    checkpoint = as_json(run("checkpoint", "--json", db=demo_db))
    verified = as_json(run("verify", "--json", db=demo_db))
    proof = as_json(run("prove", "22", "--json", db=demo_db))
    models = as_json(run("projections", "status", "--json", db=demo_db))

    assert checkpoint["tree_size"] == NORTHMOOR_EVENTS
    assert verified["ok"] is True
    assert verified["events"] == NORTHMOOR_EVENTS
    assert proof["position"] == 22
    assert proof["tree_size"] == NORTHMOOR_EVENTS
    assert {m["model"] for m in models} >= {"plan", "decision"}
    assert all(m["behind"] == 0 for m in models)


def test_events_withholds_personal_data(demo_db: str) -> None:
    events = as_json(run("events", "--limit", "1000", "--json", db=demo_db))
    text = json.dumps(events)

    assert "Rebecca Hall" not in text
    assert "My son is 17" not in text
    submitted = [e for e in events if e["type"] == "ContributionSubmitted"]
    assert submitted
    assert all(e["data"]["text"]["value"] == "[personal data withheld]" for e in submitted)


BROKEN_RULES = [
    pytest.param(
        {"type": "RecordVote", "decision_id": D_24_07, "member_id": "m-ap-head", "stance": "for"},
        "taken and final",
        id="vote-on-a-taken-decision",
    ),
    pytest.param(
        {
            "type": "ReviseSection",
            "plan_id": str(IDS.plan),
            "section": "vision",
            "text": "New vision",
            "rationale": "",
        },
        "rationale",
        id="revision-without-rationale",
    ),
    pytest.param(
        {
            "type": "AppointMember",
            "partnership_id": str(IDS.partnership),
            "member_id": "m-icb-lead",
            "name": "Someone",
            "role": "r",
            "sector": "health",
            "organisation": "x",
        },
        "already appointed",
        id="duplicate-member",
    ),
    pytest.param(
        {"type": "ApprovePlan", "plan_id": str(IDS.plan)},
        "cannot approve",
        id="stage-machine",
    ),
    pytest.param(
        {
            "type": "ProposeDecision",
            "partnership_id": str(IDS.partnership),
            "reference": "D-99",
            "title": "t",
            "category": "other",
            "text": "x",
            "proposer_id": "m-nobody",
        },
        "not a member",
        id="unknown-proposer",
    ),
]


@pytest.mark.parametrize(("payload", "message"), BROKEN_RULES)
def test_a_broken_rule_exits_2_with_one_sentence_and_changes_nothing(
    demo_db: str, payload: dict[str, Any], message: str
) -> None:
    before = db_digest(demo_db)
    command = json.dumps({**payload, "actor": {"id": "u-secretariat", "role": "secretariat"}})

    assert_refused(run("command", command, db=demo_db), message)
    assert db_digest(demo_db) == before


def test_a_valid_command_from_the_cli_is_stored(demo_db: str) -> None:
    command = json.dumps(
        {
            "type": "ReviseSection",
            "actor": {"id": "u-secretariat", "role": "secretariat"},
            "plan_id": str(IDS.plan),
            "section": "workforce",
            "text": "A SEND workforce plan.",
            "rationale": "Published plans change through a new revision.",
        }
    )

    result = as_json(run("command", "-", "--json", db=demo_db, stdin=command))

    last_of_plan = as_json(run("history", str(IDS.plan), "--json", db=demo_db))[-1]
    assert last_of_plan["position"] == NORTHMOOR_EVENTS + 1
    assert result == {
        "command": "ReviseSection",
        "aggregate_id": str(IDS.plan),
        "assigned_ids": {},
        "events": [
            {
                "type": "SectionRevised",
                "aggregate_id": str(IDS.plan),
                "version": last_of_plan["version"],
                "position": NORTHMOOR_EVENTS + 1,
            }
        ],
    }
    plan = as_json(run("plan", "show", str(IDS.plan), "--json", db=demo_db))
    assert plan["stage"] == "revision"


def test_a_command_that_is_not_valid_json_or_not_a_command_exits_2(demo_db: str) -> None:
    assert_refused(run("command", "{not json", db=demo_db), "not JSON")
    assert_refused(run("command", '{"type": "Nonsense"}', db=demo_db), "not valid")


def test_unknown_ids_exit_2_naming_the_id(demo_db: str) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_refused(run("decision", "show", unknown, db=demo_db), unknown)
    assert_refused(run("history", unknown, db=demo_db), unknown)
    assert_refused(run("plan", "show", "not-a-uuid", db=demo_db), "not-a-uuid")


def test_a_corrupt_or_foreign_database_file_gives_a_clear_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(os.urandom(4096))
    assert_refused(run("partnerships", db=f"sqlite:///{corrupt}"), "not a SQLite database")

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    before = foreign.read_bytes()
    assert_refused(run("demo", db=f"sqlite:///{foreign}"), "something else")
    assert foreign.read_bytes() == before


def test_an_unreachable_postgresql_server_exits_3() -> None:
    result = run("partnerships", db="postgresql://postgres@127.0.0.1:1/test")

    assert result.returncode == 3
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_runs_on_postgresql(postgres_url: str) -> None:
    result = run("demo", db=postgres_url)
    assert result.returncode == 0, result.stderr

    d = as_json(run("decision", "show", D_24_07, "--json", db=postgres_url))
    assert [m["id"] for m in d["taken"]["excluded_votes"]] == ["m-icb-lead"]
    history = as_json(run("history", D_24_07, "--json", db=postgres_url))
    assert None not in [e["position"] for e in history]
