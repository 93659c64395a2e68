"""Shared fixtures: real databases for every backend the ledger supports, and a
configuration folder of their own for every test.

PostgreSQL tests use LEDGER_TEST_POSTGRES_URL (default: the local server's
`test` database), each in a fresh schema dropped afterwards. Without a server
they skip with the reason, except in CI (CI=true), where that is a failure.

The signing key defaults to `$XDG_CONFIG_HOME/inclusion-ledger/`: every test gets
an XDG_CONFIG_HOME of its own (fixtures wider than one test share one for the
session), with no LEDGER_SIGNING_KEY_FILE or LEDGER_TRUSTED_KEYS_FILE, so the
suite never reads or writes the real home folder's key. Processes the tests start
inherit it from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
KEY_SETTINGS = ("LEDGER_SIGNING_KEY_FILE", "LEDGER_TRUSTED_KEYS_FILE")


def _isolate_keys(monkeypatch: pytest.MonkeyPatch, config_home: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    for name in KEY_SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def session_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """For fixtures set up once for many tests (module and session scoped)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("session-config")
        _isolate_keys(monkeypatch, folder)
        yield folder


@pytest.fixture(autouse=True)
def config_home(
    session_config_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """This test's XDG_CONFIG_HOME: the default signing key is made in it."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("config")
        _isolate_keys(monkeypatch, folder)
        yield folder


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"PostgreSQL at {POSTGRES_URL} is not available: {str(e).strip()[:200]}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    reason = _postgres_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI needs it)")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A ledger URL on the real PostgreSQL server, in a schema of its own."""
    schema = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres_server}?schema={schema}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each supported backend in turn: POPO, a SQLite file, PostgreSQL."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
