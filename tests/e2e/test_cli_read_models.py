"""The read-model commands end to end: the installed CLI on a real SQLite ledger."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from services.demo.cast import IDS
from tests.e2e.test_cli import NORTHMOOR_EVENTS, as_json, assert_refused, run

PARTNERSHIP = str(IDS.partnership)
PLAN = str(IDS.plan)
D_24_07 = str(IDS.decision)
FUTURE = "MotionWithdrawnInAFutureRelease"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    result = run("demo", db=url)
    assert result.returncode == 0, result.stderr
    return url


def test_you_said_we_did_lists_summaries_and_responses_and_nothing_personal(
    demo_db: str,
) -> None:
    register = as_json(run("you-said-we-did", "--partnership", PARTNERSHIP, "--json", db=demo_db))

    by_reference = {e["reference"]: e for e in register["entries"]}
    assert set(by_reference) == {"C-112", "C-118"}
    c118 = by_reference["C-118"]
    assert c118["you_said"].startswith("A parent asked that speech and language support")
    assert c118["outcome"] == "partly_adopted"
    assert c118["we_did"] == "FE added now; sixth forms from 2026."
    text = json.dumps(register)
    assert "Rebecca Hall" not in text
    assert "My son is 17" not in text


def test_measures_report_the_share_of_decisions_with_the_forum_present(demo_db: str) -> None:
    measures = as_json(run("measures", "--partnership", PARTNERSHIP, "--json", db=demo_db))

    assert measures["decisions"]["taken"] == 1
    assert measures["decisions"]["forum_present"]["share"] == 1.0
    assert measures["decisions"]["with_parent_input"]["share"] == 1.0
    assert measures["outcomes"]["adopted"]["count"] == 1
    assert measures["outcomes"]["partly_adopted"]["count"] == 1
    assert measures["response_times"]["median_days"] == 80.5
    assert measures["position"] == NORTHMOOR_EVENTS


def test_measures_for_a_plan_of_another_partnership_are_refused(demo_db: str) -> None:
    other = "00000000-0000-4000-8000-000000000001"
    assert_refused(run("measures", "--partnership", other, "--plan", PLAN, db=demo_db), other)


def test_the_action_tracker_shows_a_31_with_its_progress(demo_db: str) -> None:
    tracker = as_json(run("actions", "--partnership", PARTNERSHIP, "--json", db=demo_db))

    (a31,) = tracker["entries"]
    assert a31["reference"] == "A-31"
    assert a31["percent_complete"] == 50
    assert a31["completed"] is False


def test_plan_diff_shows_what_changed_between_revisions(demo_db: str) -> None:
    diff = as_json(
        run("plan", "diff", PLAN, "health_commissioning", "2", "3", "--json", db=demo_db)
    )

    added = [line for line in diff["diff"] if line.startswith("+") and not line.startswith("+++")]
    assert added == [
        "+Success: 6 FTE in post and a median wait under 18 weeks, reported each quarter."
    ]
    assert_refused(
        run("plan", "diff", PLAN, "health_commissioning", "2", "9", db=demo_db), "revision 9"
    )


@pytest.mark.parametrize("kind", ["qa", "inspection"])
def test_packs_are_written_as_markdown_or_json(demo_db: str, kind: str, tmp_path: Path) -> None:
    markdown = run("pack", kind, PLAN, db=demo_db)
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# ")
    assert "D-24-07" in markdown.stdout
    assert "Rebecca Hall" not in markdown.stdout

    out = tmp_path / f"{kind}.json"
    written = run("pack", kind, PLAN, "--format", "json", "--out", str(out), db=demo_db)
    assert written.returncode == 0, written.stderr
    pack = json.loads(out.read_text())
    assert pack["type"] == f"{kind}_pack"


def test_pack_out_refuses_a_missing_folder_and_an_existing_file_without_force(
    demo_db: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing" / "qa.md"
    assert_refused(run("pack", "qa", PLAN, "--out", str(missing), db=demo_db), str(missing))
    assert not missing.parent.exists()

    out = tmp_path / "qa.md"
    out.write_text("an earlier pack\n")
    assert_refused(
        run("pack", "qa", PLAN, "--out", str(out), db=demo_db), "already exists", "--force"
    )
    assert out.read_text() == "an earlier pack\n"

    forced = run("pack", "qa", PLAN, "--out", str(out), "--force", db=demo_db)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == f"Wrote the qa pack to {out}.\n"
    assert out.read_text().startswith("# ")
    assert [p.name for p in tmp_path.iterdir()] == ["qa.md"]  # no partial file left


def test_decision_show_at_a_position_is_the_decision_as_it_stood(demo_db: str) -> None:
    history = as_json(run("history", D_24_07, "--json", db=demo_db))
    amended_at = next(e["position"] for e in history if e["type"] == "DecisionAmended")

    before = as_json(
        run("decision", "show", D_24_07, "--at-position", str(amended_at - 1), "--json", db=demo_db)
    )
    after = as_json(
        run("decision", "show", D_24_07, "--at-position", str(amended_at), "--json", db=demo_db)
    )

    assert before["amendments"] == []
    assert "further education" not in before["text"]
    assert "further education" in after["text"]
    assert before["status"] == after["status"] == "proposed"


def test_as_of_and_at_position_cannot_be_combined(demo_db: str) -> None:
    result = run("plan", "show", PLAN, "--as-of", "2026-01-01", "--at-position", "3", db=demo_db)
    assert_refused(result, "not allowed with")


def test_projections_status_rebuild_and_run_report_positions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("demo", db=url).returncode == 0

    rebuilt = as_json(run("projections", "rebuild", "--at-position", "30", "--json", db=url))
    assert rebuilt["position"] == 30
    behind = as_json(run("projections", "status", "--json", db=url))
    assert {row["behind"] for row in behind} == {NORTHMOOR_EVENTS - 30}

    followed = run("projections", "run", "--once", db=url)
    assert followed.returncode == 0, followed.stderr
    status = as_json(run("projections", "status", "--json", db=url))
    assert {row["position"] for row in status} == {NORTHMOOR_EVENTS}
    counts = {row["model"]: row["documents"] for row in status}
    assert counts == {
        "partnership": 1,
        "plan": 1,
        "decision": 1,
        "contribution": 2,
        "meeting": 1,
        "action": 1,
    }


def test_projections_status_names_the_event_types_the_views_skipped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("demo", db=url).returncode == 0
    # An event a newer release wrote, of a type this one cannot read.
    ledger = bootstrap(Settings(database_url=url))
    try:
        ledger.app.recorder.insert_events(
            [StoredEvent(originator_id=uuid4(), originator_version=1, topic=FUTURE, state=b"{}")]
        )
    finally:
        ledger.close()
    assert run("projections", "run", "--once", db=url).returncode == 0

    text = run("projections", "status", db=url)
    rows = as_json(run("projections", "status", "--json", db=url))

    assert text.returncode == 0, text.stderr
    assert f"Skipped 1 event of types these read models do not show: {FUTURE} (1)." in text.stdout
    assert "projections rebuild" in text.stdout
    assert {row["position"] for row in rows} == {NORTHMOOR_EVENTS + 1}
    assert all(row["skipped"] == 1 and row["skipped_types"] == {FUTURE: 1} for row in rows)
    rebuilt = as_json(run("projections", "rebuild", "--json", db=url))
    assert (rebuilt["skipped"], rebuilt["skipped_types"]) == (1, {FUTURE: 1})
