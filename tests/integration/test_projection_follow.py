"""`projections run` follows the log: woken by NOTIFY on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import northmoor_steps

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))


def follow(url: str, poll: float) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_LOG_FORMAT"] = "json"
    return subprocess.Popen(
        [CLI, "projections", "run", "--poll", str(poll), "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_store_position(url: str) -> int:
    ledger = bootstrap(Settings(database_url=url), in_process=False)
    try:
        status = ledger.read_store.status()
        return status.position if status else 0
    finally:
        ledger.close()


def wait_for(url: str, position: int, seconds: float) -> float:
    """Seconds until the views reach `position`; fails after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if read_store_position(url) >= position:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"the views did not reach position {position} within {seconds}s")


def write_in_two_halves(url: str, process: subprocess.Popen[str], poll: float) -> float:
    """Write half the scenario, let the follower catch up, write the rest, and return
    how long the follower took to show it."""
    steps = list(northmoor_steps())
    clock = ScenarioClock(steps[0][0])
    ledger = bootstrap(Settings(database_url=url), clock=clock, in_process=False)
    try:
        half = len(steps) // 2
        for when, command in steps[:half]:
            clock.set(when)
            ledger.app.handle(command)
        wait_for(url, ledger.projector.head(), 30)
        time.sleep(0.3)  # the follower is now waiting for news
        for when, command in steps[half:]:
            clock.set(when)
            ledger.app.handle(command)
        head = ledger.projector.head()
        return wait_for(url, head, poll + 30)
    finally:
        ledger.close()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_a_follower_on_postgresql_is_woken_by_notify_long_before_it_would_poll(
    postgres_url: str,
) -> None:
    bootstrap(Settings(database_url=postgres_url)).close()  # tables exist before following
    process = follow(postgres_url, poll=60)

    took = write_in_two_halves(postgres_url, process, poll=60)

    assert took < 10
    ledger = bootstrap(Settings(database_url=postgres_url), in_process=False)
    try:
        assert ledger.read_models.decision(IDS.decision).taken is not None
    finally:
        ledger.close()


def test_a_follower_on_sqlite_polls_the_log(sqlite_url: str) -> None:
    bootstrap(Settings(database_url=sqlite_url)).close()
    process = follow(sqlite_url, poll=0.2)

    took = write_in_two_halves(sqlite_url, process, poll=0.2)

    assert took < 10
    ledger = bootstrap(
        Settings(database_url=sqlite_url),
        clock=lambda: datetime(2026, 6, 1, tzinfo=UTC),
        in_process=False,
    )
    try:
        assert ledger.read_models.plan(IDS.plan).stage == "published"
    finally:
        ledger.close()


def test_a_follower_stops_cleanly_on_ctrl_c(sqlite_url: str) -> None:
    bootstrap(Settings(database_url=sqlite_url)).close()
    process = follow(sqlite_url, poll=0.2)
    time.sleep(1.0)

    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130
    assert "Traceback" not in err
