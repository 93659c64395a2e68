"""`replay --to-position N --out DIR`: the ledger as it stood, in a database of its own."""

from __future__ import annotations

from pathlib import Path

from services.demo.cast import IDS
from tests.e2e.test_cli import as_json, assert_refused, run


def test_replay_builds_the_ledger_as_it_stood_into_a_separate_database(
    sqlite_url: str, tmp_path: Path
) -> None:
    assert run("demo", db=sqlite_url).returncode == 0
    assert run("checkpoint", db=sqlite_url).returncode == 0
    out = tmp_path / "at-40"

    summary = as_json(
        run("replay", "--to-position", "40", "--out", str(out), "--json", db=sqlite_url)
    )

    copy = summary["database_url"]
    assert summary["events"] == 40
    assert summary["position"] == 40
    assert summary["checkpoints"] == 0  # the only checkpoint covers all 56 events
    assert as_json(run("events", "--limit", "1000", "--json", db=copy))[-1]["position"] == 40
    then = as_json(run("plan", "show", str(IDS.plan), "--json", db=copy))
    assert then == as_json(
        run("plan", "show", str(IDS.plan), "--at-position", "40", "--json", db=sqlite_url)
    )
    chain_alone = run("verify", "--no-checkpoints", db=copy)
    assert chain_alone.returncode == 0, chain_alone.stderr
    assert chain_alone.stdout.startswith("Verified 40 events by the chain alone: intact")
    unsigned = run("verify", db=copy)  # no checkpoint covers the copy's 40 events
    assert unsigned.returncode == 1
    assert "no signed checkpoint covers the 40 events" in unsigned.stderr
    live = as_json(run("plan", "show", str(IDS.plan), "--json", db=sqlite_url))
    assert live["stage"] == "published"
    assert then["stage"] != "published"


def test_replay_refuses_a_folder_that_already_holds_a_ledger(
    sqlite_url: str, tmp_path: Path
) -> None:
    assert run("demo", db=sqlite_url).returncode == 0
    out = tmp_path / "copy"
    assert run("replay", "--to-position", "10", "--out", str(out), db=sqlite_url).returncode == 0

    assert_refused(
        run("replay", "--to-position", "10", "--out", str(out), db=sqlite_url), "already exists"
    )
