"""`inclusion-ledger command` for scripts: with `--json` it prints what the command
did (the aggregate, the ids the ledger assigned, the events stored and their log
positions) as one JSON document; without it, the one sentence it always printed.
Its help and `--schema` say where the command types are documented and what each
field takes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from domain.values import Sector, Stance
from services.demo.cast import IDS
from tests.e2e.test_cli import NORTHMOOR_EVENTS, as_json, run

ROOT = Path(__file__).resolve().parents[2]

SECRETARIAT = {"id": "u-secretariat", "role": "secretariat"}
CHAIR = {"id": "m-la-director", "role": "chair"}


@pytest.fixture(scope="module")
def northmoor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the demo ledger, written once for the module."""
    folder = tmp_path_factory.mktemp("northmoor")
    as_json(run("demo", "--json", db=f"sqlite:///{folder / 'ledger.db'}"))
    return folder


@pytest.fixture
def demo_db(northmoor: Path, tmp_path: Path) -> str:
    """A copy of the demo ledger of this test's own."""
    copy = shutil.copytree(northmoor, tmp_path / "northmoor")
    return f"sqlite:///{copy / 'ledger.db'}"


def proposal(**fields: object) -> str:
    return json.dumps(
        {
            "type": "ProposeDecision",
            "actor": SECRETARIAT,
            "partnership_id": str(IDS.partnership),
            "reference": "D-26-02",
            "title": "Post-16 SaLT in sixth forms",
            "category": "health_commissioning",
            "text": "Extend the SaLT assistants to sixth forms.",
            "proposer_id": "m-forum-cochair",
            **fields,
        }
    )


def test_command_json_prints_the_outcome_as_the_log_records_it(demo_db: str) -> None:
    outcome = as_json(run("command", proposal(), "--json", db=demo_db))

    decision_id = outcome["aggregate_id"]
    assert outcome["command"] == "ProposeDecision"
    assert outcome["assigned_ids"] == {"decision_id": decision_id}
    logged = as_json(run("events", "--after", str(NORTHMOOR_EVENTS), "--json", db=demo_db))
    assert outcome["events"] == [
        {k: e[k] for k in ("type", "aggregate_id", "version", "position")} for e in logged
    ]
    assert outcome["events"] == [
        {
            "type": "DecisionProposed",
            "aggregate_id": decision_id,
            "version": 1,
            "position": NORTHMOOR_EVENTS + 1,
        }
    ]
    shown = as_json(run("decision", "show", decision_id, "--json", db=demo_db))
    assert shown["reference"] == "D-26-02"


def test_an_id_given_in_the_command_is_not_reported_as_assigned(demo_db: str) -> None:
    given = "7b0c9f0e-3c61-4a43-9a4e-2f1b6d7c8e90"

    outcome = as_json(run("command", proposal(decision_id=given), "--json", db=demo_db))

    assert (outcome["aggregate_id"], outcome["assigned_ids"]) == (given, {})


def test_the_ids_an_outcome_reports_feed_the_next_command(demo_db: str) -> None:
    decision_id = as_json(run("command", proposal(), "--json", db=demo_db))["assigned_ids"][
        "decision_id"
    ]
    vote = {
        "type": "RecordVote",
        "actor": CHAIR,
        "decision_id": decision_id,
        "member_id": "m-la-director",
        "stance": "for",
    }

    outcome = as_json(run("command", json.dumps(vote), "--json", db=demo_db))

    assert outcome["aggregate_id"] == decision_id
    assert [(e["type"], e["version"], e["position"]) for e in outcome["events"]] == [
        ("VoteRecorded", 2, NORTHMOOR_EVENTS + 2)
    ]


def test_without_json_the_command_prints_the_sentence_it_always_printed(demo_db: str) -> None:
    result = run("command", proposal(), db=demo_db)

    assert result.returncode == 0, result.stderr
    (entry,) = as_json(run("events", "--after", str(NORTHMOOR_EVENTS), "--json", db=demo_db))
    assert result.stdout == f"ProposeDecision: done ({entry['aggregate_id']}).\n"


def test_command_help_says_where_the_command_types_are_documented() -> None:
    result = run("command", "--help")

    assert result.returncode == 0, result.stderr
    assert "services/ledger/commands.py" in result.stdout
    assert "command --schema" in result.stdout
    assert 'README.md, section "Writing to the ledger"' in result.stdout
    assert (ROOT / "services" / "ledger" / "commands.py").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\n## Writing to the ledger\n" in readme


def test_command_schema_gives_each_enumeration_its_values_and_says_which_ids_are_assigned() -> None:
    schema = as_json(run("command", "--schema"))

    assert schema["$defs"]["Sector"]["enum"] == [s.value for s in Sector]
    assert schema["$defs"]["Stance"]["enum"] == [s.value for s in Stance]
    decision_id = schema["$defs"]["ProposeDecision"]["properties"]["decision_id"]
    assert "assigned by the ledger when omitted" in decision_id["description"]
