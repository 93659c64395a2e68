"""Fixtures for storage tests that need more than a schema: a PostgreSQL database of
their own, so that what a command creates anywhere in it can be seen."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql


@pytest.fixture
def fresh_database(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards."""
    name = f"ledger_t_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(postgres_server, name)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def database_url(server_url: str, name: str) -> str:
    """The server's URL with another database name."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
