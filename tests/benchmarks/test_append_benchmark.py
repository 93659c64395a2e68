"""The append benchmark keeps working: run in-process at a tiny size, its JSON has the
documented shape and every rate is a positive number. Timings are not asserted."""

from __future__ import annotations

import json
import math
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks import append

pytestmark = pytest.mark.benchmark

TINY = ["--events", "40", "--repeat", "2", "--batch", "4"]
STOCK_RECORDERS = {
    "sqlite": "eventsourcing.sqlite:SQLiteApplicationRecorder",
    "postgres": "eventsourcing.postgres:PostgresApplicationRecorder",
}
LEDGER_RECORDERS = {
    "sqlite": "adapters.chain:ChainedSQLiteApplicationRecorder",
    "postgres": "adapters.chain:ChainedPostgresApplicationRecorder",
}


def run_benchmark(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    exit_code = append.main([*TINY, *args])
    out = capsys.readouterr().out
    report: dict[str, Any] = json.loads(out)
    return exit_code, report


def is_positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def assert_measured(report: dict[str, Any], backend: str) -> None:
    assert report["benchmark"] == "append"
    environment = report["environment"]
    assert environment["eventsourcing"] == version("eventsourcing")
    assert environment["python"]
    parameters = report["parameters"]
    assert parameters["events_per_path"] == 40
    assert parameters["repeat"] == 2
    assert parameters["paths"] == {backend: list(append.paths_for(backend))}
    assert parameters["backends"] == [backend]

    result = report["backends"][backend]
    assert result["status"] == "ok"
    assert set(result["paths"]) == set(append.paths_for(backend))
    baselines = ["stock", *(["stock_db_functions"] if backend == "postgres" else [])]
    for path, figures in result["paths"].items():
        assert figures["events"] == 40, path
        for key in ("events_per_s", "seconds", "cpu_seconds"):
            assert is_positive_number(figures[key]), (path, key, figures[key])
        runs = figures["runs"]["events_per_s"]
        assert len(runs) == 2, path
        assert all(is_positive_number(v) for v in runs), (path, runs)
        for baseline in baselines:
            key = f"ratio_to_{baseline}"
            assert is_positive_number(figures[key]), (path, key, figures[key])
            assert len(figures["runs"][key]) == 2, (path, key)
            assert all(is_positive_number(v) for v in figures["runs"][key]), (path, key)
        assert figures["setup"]["recorder"], path
    for baseline in baselines:
        assert result["paths"][baseline][f"ratio_to_{baseline}"] == 1.0

    setups = {path: figures["setup"] for path, figures in result["paths"].items()}
    for path in ("stock", "stock_save_per_event", *baselines[1:]):
        assert setups[path]["recorder"] == STOCK_RECORDERS[backend], path
        assert setups[path]["transcoder"] == "eventsourcing.persistence:JSONTranscoder", path
    for path in ("ledger_commands", "ledger_batched", "ledger_domain_batched"):
        assert setups[path]["recorder"] == LEDGER_RECORDERS[backend], path
    if backend == "postgres":
        assert setups["stock"]["insert"] == "pipelined"
        assert setups["stock_db_functions"]["insert"] == "database function"


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


def test_unreachable_postgres_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")

    exit_code, report = run_benchmark(
        capsys, "--backends", "postgres", "--postgres-url", UNREACHABLE
    )

    assert exit_code != 0
    assert report["backends"]["postgres"]["status"] == "failed"


def test_make_bench_prints_one_json_document_on_stdout() -> None:
    """What scripts read from `make bench`: the benchmark's JSON and nothing else (make's
    echo, an install and the progress lines stay off stdout)."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        ["make", "--no-print-directory", "bench", "N=40"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["benchmark"] == "append"
    assert report["parameters"]["events_per_path"] == 40
    assert set(report["backends"]) == {"sqlite", "postgres"}
