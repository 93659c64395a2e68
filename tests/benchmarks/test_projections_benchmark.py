"""The projections benchmark keeps working: run in-process on a tiny generated ledger, its
JSON has the documented shape and every rate, latency and memory figure is a positive
number. Timings are not asserted."""

from __future__ import annotations

import json
import math
from importlib.metadata import version
from typing import Any

import pytest

from tests.benchmarks import projections, stock_register

pytestmark = pytest.mark.benchmark

EVENTS = 3000
STOCK_EVENTS = 500
TINY = [
    "--events",
    str(EVENTS),
    "--stock-events",
    str(STOCK_EVENTS),
    "--plan-reads",
    "10",
    "--decision-reads",
    "20",
    "--as-of-reads",
    "10",
]
READS = ("plan_as_of", "decision_provenance", "decision_provenance_as_of")


def run_benchmark(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    exit_code = projections.main([*TINY, *args])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return exit_code, report


def is_positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def assert_measured(report: dict[str, Any], backend: str) -> None:
    assert report["benchmark"] == "projections"
    assert report["environment"]["eventsourcing"] == version("eventsourcing")
    assert report["parameters"]["backends"] == [backend]
    assert report["parameters"]["stock_events"] == STOCK_EVENTS
    ledger = report["ledger"]
    assert ledger["source"] == "generated"
    assert ledger["events"] >= EVENTS
    assert sum(ledger["event_types"].values()) == ledger["events"]

    result = report["backends"][backend]
    assert result["status"] == "ok"

    rebuilt = result["rebuild"]
    assert rebuilt["events"] == ledger["events"]
    assert rebuilt["position"] == ledger["head_position"]
    for key in ("seconds", "cpu_seconds", "events_per_s"):
        assert is_positive_number(rebuilt[key]), key
    assert set(rebuilt["time_split_s"]) == {
        "read_log",
        "load_documents",
        "write_documents",
        "swap_in",
        "decode_and_apply",
    }
    assert rebuilt["documents"]["decision"] > 0
    assert rebuilt["documents"]["plan"] > 0
    assert isinstance(rebuilt["meets_target"], bool)

    stock = result["stock"]
    assert 0 < stock["register_events"] <= stock["events"] <= STOCK_EVENTS
    assert stock["decisions"] > 0
    for key in ("seconds", "events_per_s", "register_events_per_s", "built_in_s"):
        assert is_positive_number(stock[key]), key
    assert stock["setup"]["topics"] == list(stock_register.REGISTER_TOPICS)
    ratio = result["ratio_to_stock"]
    assert is_positive_number(ratio["value"])
    assert isinstance(ratio["meets_target"], bool)

    reads = result["reads"]
    assert reads["decisions"] == rebuilt["documents"]["decision"]
    for key in READS:
        figures = reads[key]
        assert figures["reads"] > 0, key
        for statistic in ("p50_ms", "p99_ms", "mean_ms", "max_ms"):
            assert is_positive_number(figures[statistic]), (key, statistic)
        assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"], key
        assert isinstance(figures["meets_target"], bool), key

    memory = result["memory"]
    assert [run["until"] for run in memory["runs"]] == [
        ledger["head_position"] // 4,
        ledger["head_position"] // 2,
        ledger["head_position"],
    ]
    for run in memory["runs"]:
        assert run["events"] == run["until"]
        assert is_positive_number(run["peak_rss_mb"])
        assert is_positive_number(run["seconds"])
    assert is_positive_number(memory["growth_quarter_to_full"])
    assert is_positive_number(memory["growth_half_to_full"])
    assert isinstance(memory["meets_target"], bool)

    targets = [row for row in report["targets"] if row["backend"] == backend]
    assert len(targets) == 6
    assert all(isinstance(row["meets_target"], bool) for row in targets)


def test_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code, report = run_benchmark(capsys, "--backends", "sqlite")

    assert exit_code == 0
    assert_measured(report, "sqlite")


@pytest.mark.postgres
def test_postgres(postgres_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    exit_code, report = run_benchmark(
        capsys, "--backends", "postgres", "--postgres-url", postgres_server
    )

    assert exit_code == 0
    assert_measured(report, "postgres")
    assert report["environment"]["postgres_server"]
    assert report["backends"]["postgres"]["copy"]["events"] == report["ledger"]["events"]


UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"
SMALL = ("--events", "200")  # nothing is measured: the ledger only has to exist


def test_unreachable_postgres_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)

    exit_code, report = run_benchmark(
        capsys, *SMALL, "--backends", "postgres", "--postgres-url", UNREACHABLE
    )

    assert exit_code == 0
    skipped = report["backends"]["postgres"]
    assert skipped["status"] == "skipped"
    assert "not available" in skipped["reason"]
    assert report["targets"] == []


def test_unreachable_postgres_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")

    exit_code, report = run_benchmark(
        capsys, *SMALL, "--backends", "postgres", "--postgres-url", UNREACHABLE
    )

    assert exit_code != 0
    assert report["backends"]["postgres"]["status"] == "failed"
