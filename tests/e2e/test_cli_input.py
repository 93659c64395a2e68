"""The CLI refuses input it would otherwise drop or store unchecked: unknown fields,
over-long text, oversized commands, terms identical to those in force, positions
past the log's head; and it takes `--db` before the subcommand as well as after."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.demo.cast import IDS

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))
NORTHMOOR_EVENTS = 56
SECRETARIAT = {"id": "u-secretariat", "role": "secretariat"}


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    clean["LEDGER_LOG_FORMAT"] = "json"
    return subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, one line on stderr naming the problem, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('input') / 'ledger.db'}"
    result = run("demo", "--db", url)
    assert result.returncode == 0, result.stderr
    return url


def digest(url: str) -> str:
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def terms(**fields: Any) -> str:
    return json.dumps(
        {
            "type": "AdoptTermsOfReference",
            "actor": SECRETARIAT,
            "partnership_id": str(IDS.partnership),
            "quorum": 5,
            "forum_required": True,
            **fields,
        }
    )


def test_a_misspelt_field_is_refused_naming_it_and_nothing_is_stored(demo_db: str) -> None:
    before = digest(demo_db)

    line = assert_refused(
        run("command", terms(quorom=99), "--db", demo_db), "no field `quorom`", "`quorum`"
    )

    assert line.startswith("inclusion-ledger: The command is not valid: AdoptTermsOfReference")
    assert digest(demo_db) == before


def test_terms_identical_to_those_in_force_are_refused_as_a_no_op(demo_db: str) -> None:
    before = digest(demo_db)
    same = terms(description="Quorum: 5 voting members including the parent carer forum.")

    assert_refused(run("command", same, "--db", demo_db), "already in force", "nothing was adopted")
    assert digest(demo_db) == before


def test_text_over_its_limit_is_refused_naming_the_field_and_the_limit(demo_db: str) -> None:
    before = digest(demo_db)

    assert_refused(
        run("command", "-", "--db", demo_db, stdin=terms(description="x" * 20_001)),
        "`description` is longer than 20,000 characters, the limit for free text",
    )
    assert digest(demo_db) == before


def test_a_command_over_the_size_limit_is_refused_naming_the_limit(demo_db: str) -> None:
    before = digest(demo_db)
    ten_megabytes = terms(description="x" * 10_000_000)

    assert_refused(
        run("command", "-", "--db", demo_db, stdin=ten_megabytes),
        "over the limit of 1,000,000 bytes (LEDGER_MAX_COMMAND_BYTES)",
    )
    small = {"LEDGER_MAX_COMMAND_BYTES": "100"}
    assert_refused(
        run("command", "-", "--db", demo_db, stdin=terms(), env=small), "limit of 100 bytes"
    )
    assert digest(demo_db) == before


def test_a_size_limit_that_is_not_a_positive_number_is_refused() -> None:
    assert_refused(
        run("command", "--schema", env={"LEDGER_MAX_COMMAND_BYTES": "lots"}),
        "LEDGER_MAX_COMMAND_BYTES must be a whole number of bytes",
    )


def test_command_schema_prints_the_json_schema_of_every_command_type() -> None:
    result = run("command", "--schema")

    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["discriminator"]["propertyName"] == "type"
    assert "AdoptTermsOfReference" in schema["$defs"]
    assert schema["$defs"]["AdoptTermsOfReference"]["additionalProperties"] is False


def test_db_is_taken_before_the_subcommand_too(demo_db: str) -> None:
    before = run("--db", demo_db, "partnerships", "--json")
    after = run("partnerships", "--json", "--db", demo_db)

    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert [p["name"] for p in json.loads(before.stdout)] == ["Northmoor SEND and AP Partnership"]


@pytest.mark.parametrize(
    "command",
    [
        ("plan", "show", str(IDS.plan)),
        ("decision", "show", str(IDS.decision)),
        ("projections", "rebuild"),
    ],
    ids=["plan-show", "decision-show", "projections-rebuild"],
)
def test_a_position_past_the_head_of_the_log_is_refused_naming_the_head(
    demo_db: str, command: tuple[str, ...]
) -> None:
    assert_refused(
        run(*command, "--at-position", str(NORTHMOOR_EVENTS + 1), "--db", demo_db),
        f"--at-position {NORTHMOOR_EVENTS + 1} is past the head of the log, which is at "
        f"position {NORTHMOOR_EVENTS}",
    )
    at_head = run(*command, "--at-position", str(NORTHMOOR_EVENTS), "--db", demo_db)
    assert at_head.returncode == 0, at_head.stderr


def draft_plan(template: object) -> str:
    return json.dumps(
        {
            "type": "DraftPlan",
            "actor": SECRETARIAT,
            "partnership_id": str(IDS.partnership),
            "title": "Northmoor Local Inclusion Plan 2029-2032",
            "template": template,
            "period_start": "2029-04-01",
            "period_end": "2032-03-31",
        }
    )


def test_a_plan_is_drafted_from_a_registered_template_named_in_the_command(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run("demo", "--db", url).returncode == 0

    ref = {"name": "local_inclusion_plan", "version": 1}
    result = run("command", draft_plan(ref), "--json", "--db", url)

    assert result.returncode == 0, result.stderr
    plan_id = json.loads(result.stdout)["aggregate_id"]
    plan = json.loads(run("plan", "show", plan_id, "--json", "--db", url).stdout)
    assert (plan["template"], plan["template_version"], plan["stage"]) == (
        "local_inclusion_plan",
        1,
        "draft",
    )


def test_a_template_given_by_the_caller_or_not_registered_is_refused(demo_db: str) -> None:
    before = digest(demo_db)
    own = {
        "name": "local_inclusion_plan",
        "version": 1,
        "initial_stage": "draft",
        "editable_stages": ["draft"],
        "transitions": [{"action": "publish", "source": "draft", "target": "published"}],
        "sections": [{"key": "vision", "title": "Vision"}],
    }

    assert_refused(
        run("command", draft_plan(own), "--db", demo_db),
        "`template` of DraftPlan has no field `initial_stage`; its fields are name, version",
    )
    assert_refused(
        run("command", draft_plan({"name": "my_plan", "version": 1}), "--db", demo_db),
        "No plan template my_plan v1 is registered (registered: local_inclusion_plan v1)",
    )
    assert digest(demo_db) == before


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["plan", "show", "not-an-id"],
            "inclusion-ledger plan show: argument PLAN_ID: 'not-an-id' is not an id (a UUID)",
        ),
        (["events", "--limit", "-1"], "inclusion-ledger events: argument --limit: -1 is negative"),
        (["no-such-command"], "inclusion-ledger: argument command: invalid choice: "),
    ],
)
def test_a_bad_argument_is_said_once_naming_the_command_it_was_given_to(
    argv: list[str], said: str
) -> None:
    line = assert_refused(run(*argv))

    assert line.startswith(said), line
    assert line.count("inclusion-ledger") == 1, line
