"""The audit benchmark keeps working: run in-process on a tiny generated ledger, its JSON has
the documented shape, every proof verifies, and every rate, latency, size and memory figure
is a positive number. Timings are not asserted."""

from __future__ import annotations

import json
import math
from importlib.metadata import version
from typing import Any

import pytest

from tests.benchmarks import audit

pytestmark = pytest.mark.benchmark

EVENTS = 2000
PROOFS = 20
MORE_EVENTS = 200
APPEND_EVENTS = 80
TINY = [
    "--events",
    str(EVENTS),
    "--proofs",
    str(PROOFS),
    "--more-events",
    str(MORE_EVENTS),
    "--append-events",
    str(APPEND_EVENTS),
    "--append-repeat",
    "1",
    "--batch",
    "5",
]


def run_benchmark(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    exit_code = audit.main([*TINY, *args])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return exit_code, report


def is_positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def assert_memory(memory: dict[str, Any], sizes: list[int]) -> None:
    runs = memory["runs"]
    assert [run["log"] for run in runs] == ["quarter", "full"]
    assert [run["events"] for run in runs] == sizes
    for run in runs:
        assert is_positive_number(run["peak_rss_mb"])
        assert is_positive_number(run["baseline_rss_mb"])
        assert is_positive_number(run["seconds"])
    assert memory["peak_rss_mb"] == runs[-1]["peak_rss_mb"]
    assert is_positive_number(memory["growth_quarter_to_full"])
    assert isinstance(memory["flat"], bool)
    assert isinstance(memory["meets_target"], bool)


def assert_measured(report: dict[str, Any], backend: str) -> None:
    assert report["benchmark"] == "audit"
    assert report["environment"]["eventsourcing"] == version("eventsourcing")
    parameters = report["parameters"]
    assert parameters["backends"] == [backend]
    assert parameters["proofs"] == PROOFS
    assert parameters["append_events_per_path"] == APPEND_EVENTS
    ledger = report["ledger"]
    assert ledger["source"] == "generated"
    assert ledger["events"] >= EVENTS
    events = ledger["events"]

    result = report["backends"][backend]
    assert result["status"] == "ok"
    assert result["copy"]["events"] == events

    first = result["checkpoint"]["first"]
    incremental = result["checkpoint"]["incremental"]
    assert first["tree_size"] == events
    assert incremental["sequence"] == first["sequence"] + 1
    assert incremental["events_since_previous"] >= MORE_EVENTS
    assert incremental["tree_size"] == events + incremental["events_since_previous"]
    for figures in (first, incremental):
        assert is_positive_number(figures["seconds"])

    verified = result["verify"]
    assert verified["ok"] is True
    assert verified["events"] == events
    assert verified["checkpoints"] == 1
    assert is_positive_number(verified["events_per_s"])
    assert isinstance(verified["meets_target"], bool)

    proofs = result["proofs"]
    assert proofs["proofs"] == PROOFS
    assert proofs["tree_size"] == events
    assert proofs["all_verified"] is True
    assert proofs["path_length"]["max"] >= proofs["path_length"]["min"] > 0
    for statistic in ("p50_ms", "p99_ms", "mean_ms", "max_ms"):
        assert is_positive_number(proofs[statistic]), statistic
    assert proofs["p50_ms"] <= proofs["p99_ms"] <= proofs["max_ms"]
    assert isinstance(proofs["meets_target"], bool)

    more = result["append_more"]
    assert more["events"] == MORE_EVENTS
    assert is_positive_number(more["events_per_s"])

    quarter = result["memory"]["quarter_log"]["checkpoint_tree_size"]
    assert quarter == events // 4
    assert_memory(result["memory"]["verify"], [quarter, incremental["tree_size"]])

    export = result["export"]
    if audit.export_api()[0] is None:
        assert export["available"] is False
        assert export["reason"]
    else:
        assert export["available"] is True
        assert export["events"] == incremental["tree_size"]
        for key in ("events_per_s", "bundle_bytes", "bundle_bytes_per_event"):
            assert is_positive_number(export[key]), key
        assert_memory(result["memory"]["export"], [quarter, incremental["tree_size"]])

    cost = result["chain_append_cost"]
    assert set(cost["paths"]) == set(audit.APPEND_PATHS)
    for path, figures in cost["paths"].items():
        assert figures["events"] == APPEND_EVENTS, path
        assert is_positive_number(figures["events_per_s"]), path
        assert len(figures["runs_events_per_s"]) == 1, path
    assert cost["paths"]["chained"]["recorder"] == audit.CHAINED_RECORDERS[backend]
    assert cost["paths"]["plain"]["recorder"] == audit.PLAIN_RECORDERS[backend]
    assert cost["paths"]["stock"]["recorder"] == audit.PLAIN_RECORDERS[backend]
    assert cost["paths"]["stock"]["setup"]["transcoder"] == (
        "eventsourcing.persistence:JSONTranscoder"
    )
    assert is_positive_number(cost["ratio_chained_to_plain"]["value"])
    assert is_positive_number(cost["ratio_chained_to_stock"]["value"])
    assert isinstance(cost["ratio_chained_to_stock"]["meets_target"], bool)

    targets = [row for row in report["targets"] if row["backend"] == backend]
    assert len(targets) == (5 if export["available"] else 4)
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


UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"


def test_unreachable_postgres_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)

    exit_code, report = run_benchmark(
        capsys, "--backends", "postgres", "--postgres-url", UNREACHABLE
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
        capsys, "--backends", "postgres", "--postgres-url", UNREACHABLE
    )

    assert exit_code != 0
    assert report["backends"]["postgres"]["status"] == "failed"
