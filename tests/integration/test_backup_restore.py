"""Backups restore into a ledger that verifies, on SQLite and on PostgreSQL, as the
runbook writes them.

The shell blocks of deploy/RUNBOOK.md are read from the file and run with bash, as an
operator would paste them: the public key is recorded, the signing key copied to the
secrets folder, the database backed up (SQLite's backup API; `pg_dump` of the schema,
for `public` and for a mixed-case schema). The original ledger and its signing key are
then removed, the backup restored into a new file or a new database by the runbook's
restore block, and its `verify` passes against the recorded keys. The restored
database holds every table the ledger owns, row for row.

The restore does not verify trusting no key, or only another one. The only lines not
taken from the runbook are the site's places (its `places` blocks), which the test sets
to folders and databases of its own; the runbook's blocks must name the same variables.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from adapters import persistence
from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from domain.audit import key_id
from services.demo.cast import IDS, ScenarioClock
from tests.benchmarks.generator import STORY_START, generate

RUNBOOK = Path(__file__).resolve().parents[2] / "deploy" / "RUNBOOK.md"
BIN = Path(sys.executable).parent
BLOCK = re.compile(
    r"^(?P<indent> *)<!-- runbook: (?P<name>[^>]+?) -->\n"
    r"(?P=indent)```sh\n(?P<body>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)
ASSIGNMENT = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=")
REVISION = (
    '{"type": "ReviseSection", "actor": {"id": "u-secretariat", "role": "secretariat"}, '
    f'"plan_id": "{IDS.plan}", "section": "workforce", "text": "A SEND workforce plan.", '
    '"rationale": "Published plans change through a new revision."}'
)


def runbook_blocks() -> dict[str, str]:
    """The runbook's shell blocks, by the name in the comment above each."""
    text = RUNBOOK.read_text(encoding="utf-8")
    return {m["name"]: textwrap.dedent(m["body"]) for m in BLOCK.finditer(text)}


def assigned(block: str) -> set[str]:
    return {name for line in block.splitlines() for name in ASSIGNMENT.findall(line.split("#")[0])}


class Site:
    """An operator's machine: a shell in a folder of its own, with the ledger installed."""

    def __init__(self, root: Path, places: dict[str, str]) -> None:
        self.root = root
        self.folder = root / "site"
        self.folder.mkdir()
        self.key = root / "config" / "inclusion-ledger" / "signing-key.pem"
        self.places = places
        self.blocks = runbook_blocks()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "PG", "XDG_"))}
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            HOME=str(root / "home"),
            XDG_CONFIG_HOME=str(root / "config"),  # the signing key's default folder
            LEDGER_LOG_FORMAT="json",
        )
        self.env = env

    def run(self, *names: str) -> subprocess.CompletedProcess[str]:
        """Run runbook blocks in one shell, after the site's places; stop at an error."""
        places = "\n".join(f"{name}={shlex.quote(value)}" for name, value in self.places.items())
        script = "\n".join([places, *(self.blocks[name] for name in names)])
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, (names, result.stdout, result.stderr)
        return result

    def cli(self, *argv: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "inclusion-ledger"), *argv],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == expect, (argv, result.stdout, result.stderr)
        return result


def write_ledger(site: Site, url: str) -> int:
    """The demo, grown past a block of stored subtrees, with two checkpoints; its size."""
    site.cli("demo", "--db", url)
    clock = ScenarioClock(STORY_START)
    ledger = bootstrap(Settings(database_url=url), clock=clock, in_process=False)
    try:
        generate(ledger.app, clock, events=300, seed=3)
    finally:
        ledger.close()
    site.cli("checkpoint", "--db", url)
    site.cli("command", REVISION, "--db", url)
    site.cli("checkpoint", "--db", url)
    ledger = bootstrap(Settings(database_url=url), in_process=False)
    try:
        return ledger.app.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def row_counts(url: str) -> dict[str, int]:
    """Rows in each table the ledger owns (and has), by table."""
    store = persistence.parse_database_url(url)
    counts: dict[str, int] = {}
    if store.kind == "sqlite":
        with closing(sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)) as conn:
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            for table in persistence.owned_tables(store):
                if table in present:
                    counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return counts
    with psycopg.connect(url.split("?")[0]) as conn:
        for table in persistence.owned_tables(store):
            exists = conn.execute(
                "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s",
                (store.schema, table),
            ).fetchone()
            if exists:
                query = sql.SQL("SELECT count(*) FROM {}").format(store.table(table))
                row = conn.execute(query).fetchone()
                counts[table] = int(row[0]) if row else 0
    return counts


def check_restored(
    site: Site, verified: str, events: int, before: dict[str, int], url: str
) -> None:
    """The restore verified against the recorded keys and holds what the ledger held;
    trusting no key, or only another one, it does not verify."""
    assert f"Verified {events:,} events and 2 signed checkpoint(s)" in verified
    assert "intact" in verified
    site.cli("verify", "--db", url, expect=1)
    other = site.root / "another-key.txt"
    other.write_text(Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex() + "\n")
    untrusted = site.cli("verify", "--db", url, "--trusted-keys", str(other), expect=1)
    recorded = (site.folder / "trusted-keys.txt").read_text().split()
    assert key_id(bytes.fromhex(recorded[-1])) in untrusted.stderr
    after = row_counts(url)
    assert after == before
    assert set(before) >= {
        persistence.CHAIN_TABLE,
        persistence.TREE_TABLE,
        persistence.CHECKPOINT_TABLE,
        persistence.VIEWS_TABLE,
    }
    assert before[persistence.TREE_TABLE] > 0
    secrets = Path(site.places["SECRETS"])
    assert (secrets / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert secrets.stat().st_mode & 0o777 == 0o700


def test_the_runbook_s_places_blocks_name_the_places_its_commands_use() -> None:
    blocks = runbook_blocks()

    assert assigned(blocks["places"]) == {"BACKUP", "SECRETS"}
    assert assigned(blocks["sqlite places"]) == {"LEDGER_DB", "RESTORED"}
    assert assigned(blocks["postgres places"]) == {
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "SCHEMA",
        "RESTORED",
    }


def test_a_sqlite_backup_restores_into_a_ledger_that_verifies(tmp_path: Path) -> None:
    data = tmp_path / "data" / "ledger.db"
    site = Site(
        tmp_path,
        {
            "BACKUP": str(tmp_path / "backups" / "today"),
            "SECRETS": str(tmp_path / "secrets" / "inclusion-ledger"),
            "LEDGER_DB": str(data),
            "RESTORED": str(tmp_path / "restored" / "ledger.db"),
        },
    )
    url = f"sqlite:///{data}"
    events = write_ledger(site, url)
    before = row_counts(url)

    site.run("record the public key", "key backup", "sqlite backup")
    shutil.rmtree(data.parent)  # the ledger's machine is gone, and its key with it
    site.key.unlink()
    verified = site.run("sqlite restore").stdout

    check_restored(site, verified, events, before, f"sqlite:///{site.places['RESTORED']}")


@pytest.fixture
def restored_database(postgres_server: str) -> Iterator[str]:
    """The name of a database that does not exist yet; dropped afterwards."""
    name = f"ledger_restored_{uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.mark.parametrize("schema", ["public", "Ledger"])
def test_a_postgresql_backup_restores_into_a_new_database_that_verifies(
    schema: str, fresh_database: str, restored_database: str, tmp_path: Path
) -> None:
    server = urlsplit(fresh_database)
    site = Site(
        tmp_path,
        {
            "BACKUP": str(tmp_path / "backups" / "today"),
            "SECRETS": str(tmp_path / "secrets" / "inclusion-ledger"),
            "PGHOST": server.hostname or "127.0.0.1",
            "PGPORT": str(server.port or 5432),
            "PGUSER": server.username or "postgres",
            "PGDATABASE": server.path.lstrip("/"),
            "SCHEMA": schema,
            "RESTORED": restored_database,
        },
    )
    site.env.update({k: v for k, v in site.places.items() if k.startswith("PG")})
    url = f"{fresh_database}?schema={schema}"
    events = write_ledger(site, url)
    before = row_counts(url)

    site.run("record the public key", "key backup", "postgres backup")
    with psycopg.connect(fresh_database, autocommit=True) as conn:  # the ledger is gone
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    site.key.unlink()
    verified = site.run("postgres restore").stdout

    restored = server._replace(path=f"/{restored_database}").geturl()
    check_restored(site, verified, events, before, f"{restored}?schema={schema}")
