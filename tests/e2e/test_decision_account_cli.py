"""The account of a decision from the installed CLI: every step names who took it,
when and why, in `decision show`, `history` and the inspection pack alike."""

from __future__ import annotations

import json
from uuid import uuid5

import pytest

from services.demo import IDS, NORTHMOOR
from tests.e2e.test_cli import D_24_07, as_json, run

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
