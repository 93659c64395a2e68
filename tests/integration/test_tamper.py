"""Tampering with the stored log is caught, on SQLite and on PostgreSQL.

Each tampering test starts from the Northmoor scenario with checkpoint 1 signed
over it (on SQLite written once and copied per test, on PostgreSQL written in the
test's own schema), changes the database directly with SQL, as someone with write
access to it could, and checks that `verify` names the first position that no
longer matches and what is wrong with it: through the installed command line in
its own process (exit 1, one line on stderr, no traceback) and through
`Ledger.auditor().verify()` for the report.

Trust is tested the same way: checkpoints count only when signed by a key `verify`
is given (the ledger's key file, `--trust-key`, `--trusted-keys` or
LEDGER_TRUSTED_KEYS_FILE), so a deleted key file with checkpoints re-signed by a
new key, or every checkpoint deleted, fails; `--no-checkpoints` checks the chain
alone and says so.

A second ledger per backend grows past two blocks of stored subtrees (the
Northmoor scenario, then generated events) with a checkpoint before and after,
and is only read: it still verifies, and every position's inclusion proof checks
out with `domain.merkle.verify_inclusion` against the signed root of each
checkpoint that covers it, leaves recomputed from the stored events.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.bootstrap import Ledger, bootstrap
from adapters.persistence import POSTGRES_EVENTS_TABLE, parse_database_url
from adapters.settings import Settings
from adapters.signing import Signer, key_id, load_or_create, verify_signature
from domain.audit import GENESIS, Checkpoint, chain_next, event_leaf_hash
from domain.merkle import root as merkle_root
from domain.merkle import verify_inclusion
from services.audit.auditor import InclusionProof, VerifyReport
from services.audit.bundle_format import parse_public_key
from services.demo.cast import ScenarioClock
from services.demo.northmoor import write_northmoor
from tests.benchmarks.generator import generate

CLI = str(Path(sys.executable).with_name("inclusion-ledger"))
NORTHMOOR_EVENTS = 56
SCENARIO_START = datetime(2025, 9, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)

EventRow = tuple[int, UUID, int, str, bytes]
"""(position, aggregate id, version, topic, stored bytes)."""


# The database, reached directly.


class Database:
    """Plain SQL on a ledger's database, beside the ledger's own code."""

    def __init__(self, url: str) -> None:
        self.store = parse_database_url(url)
        self.kind = self.store.kind
        if self.kind == "sqlite":
            prefix = ""
            self.events = "stored_events"
            self.pos = "rowid"
        else:
            prefix = f"{self.store.schema}."
            self.events = f"{prefix}{POSTGRES_EVENTS_TABLE}"
            self.pos = "notification_id"
        self.chain = f"{prefix}ledger_chain"
        self.checkpoints = f"{prefix}ledger_checkpoints"
        self._server = url.split("?")[0]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and commit it; `?` marks parameters on both backends."""
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.store.path)) as conn:
                rows = conn.execute(sql, params).fetchall()
                conn.commit()
            return rows
        with psycopg.connect(self._server, autocommit=True) as pg:
            cursor = pg.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []

    def stored_events(self) -> list[EventRow]:
        rows = self.execute(
            f"SELECT {self.pos}, originator_id, originator_version, topic, state "
            f"FROM {self.events} ORDER BY {self.pos}"
        )
        return [(int(p), UUID(str(o)), int(v), str(t), bytes(s)) for p, o, v, t, s in rows]

    def event(self, position: int) -> EventRow:
        return next(e for e in self.stored_events() if e[0] == position)

    def checkpoint(self, sequence: int) -> Checkpoint:
        rows = self.execute(
            "SELECT sequence, tree_size, root_hash, chain_hash, signed_at, key_id, public_key, "
            f"signature FROM {self.checkpoints} WHERE sequence = ?",
            (sequence,),
        )
        s, size, root, chain, at, kid, public, signature = rows[0]
        return Checkpoint(
            sequence=int(s),
            tree_size=int(size),
            root_hash=str(root),
            chain_hash=str(chain),
            signed_at=datetime.fromisoformat(str(at)),
            key_id=str(kid),
            public_key=str(public),
            signature=str(signature),
        )

    def position_of_leaf(self, index: int) -> int:
        rows = self.execute(f"SELECT position FROM {self.chain} WHERE leaf_index = ?", (index,))
        return int(rows[0][0])


def recomputed_leaves(db: Database) -> list[bytes]:
    """Every stored event's leaf, from the event itself, in log order."""
    return [event_leaf_hash(*event) for event in db.stored_events()]


# The ledger, in process and on the command line.


@dataclass(frozen=True)
class SignedLedger:
    url: str
    key_file: Path
    db: Database


def run_cli(ledger: SignedLedger, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """The installed console script in its own process, the ledger's key file trusted;
    `settings` are more LEDGER_ variables (e.g. LEDGER_TRUSTED_KEYS_FILE=...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "POSTGRES_"))}
    env["LEDGER_LOG_FORMAT"] = "json"
    env["LEDGER_SIGNING_KEY_FILE"] = str(ledger.key_file)
    env.update(settings)
    return subprocess.run(
        [CLI, *args, "--db", ledger.url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ledger.key_file.parent,
        timeout=120,
        check=False,
    )


def message_lines(stderr: str) -> list[str]:
    """What stderr says to a person: every line but the JSON log lines."""
    return [line for line in stderr.splitlines() if line and not line.startswith("{")]


def open_ledger(url: str, key_file: Path, clock: ScenarioClock | None = None) -> Ledger:
    settings = Settings(database_url=url, signing_key_file=str(key_file))
    return bootstrap(settings, clock=clock) if clock else bootstrap(settings)


def audit_report(ledger: SignedLedger) -> VerifyReport:
    opened = open_ledger(ledger.url, ledger.key_file)
    try:
        return opened.auditor().verify()
    finally:
        opened.close()


def sign_checkpoint(url: str, key_file: Path, at: datetime = SIGNED_AT) -> Checkpoint:
    opened = open_ledger(url, key_file)
    try:
        return opened.auditor().checkpoint(opened.signer(), at=at)
    finally:
        opened.close()


def write_scenario(url: str, key_file: Path) -> None:
    clock = ScenarioClock(SCENARIO_START)
    opened = open_ledger(url, key_file, clock)
    try:
        write_northmoor(opened.app, clock)
    finally:
        opened.close()


def write_key_file(path: Path) -> Path:
    """A new signing key, written as `load_or_create` writes it (0600)."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger's signing key."""
    return write_key_file(tmp_path_factory.mktemp("keys") / "signing-key.pem")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Path:
    """The Northmoor scenario in a SQLite file, written once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    write_scenario(f"sqlite:///{path}", key_file)
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def scenario(request: pytest.FixtureRequest, tmp_path: Path, key_file: Path) -> SignedLedger:
    """A fresh ledger holding the Northmoor scenario, not yet signed."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        template: Path = request.getfixturevalue("sqlite_template")
        with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        write_scenario(url, key_file)
    return SignedLedger(url=url, key_file=key_file, db=Database(url))


@pytest.fixture
def signed(scenario: SignedLedger) -> SignedLedger:
    """The Northmoor scenario with checkpoint 1 signed over all of it."""
    checkpoint = sign_checkpoint(scenario.url, scenario.key_file)
    assert checkpoint.tree_size == NORTHMOOR_EVENTS
    return scenario


@pytest.fixture(params=["sqlite", "postgres"])
def empty(request: pytest.FixtureRequest, key_file: Path) -> SignedLedger:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_url"
    )
    bootstrap(Settings(database_url=url), in_process=False).close()  # its tables, no events
    return SignedLedger(url=url, key_file=key_file, db=Database(url))


# Tampering, as SQL.

FORGED = hashlib.sha256(b"forged").digest()


def turn_an_abstention_into_a_vote_for(db: Database) -> None:
    """Owen Price abstained on D-24-07 (position 37); make it a vote for."""
    state = db.event(37)[4]
    assert b'"stance":"abstain"' in state
    db.execute(
        f"UPDATE {db.events} SET state = ? WHERE {db.pos} = ?",
        (state.replace(b'"stance":"abstain"', b'"stance":"for"'), 37),
    )


def null_the_stored_bytes_of_a_vote(db: Database) -> None:
    """Owen Price's abstention (position 37) left with no stored bytes at all."""
    db.execute(f"UPDATE {db.events} SET state = NULL WHERE {db.pos} = ?", (37,))


def delete_a_declared_interest(db: Database) -> None:
    """Remove the ICB lead's declaration of interest (position 29)."""
    db.execute(f"DELETE FROM {db.events} WHERE {db.pos} = ?", (29,))


def forge_a_vote(db: Database, position: int | None = None) -> None:
    """A copy of the first vote on D-24-07 stored as the decision's next version, where
    its replay picks it up; appended to the log, or at `position` if one is given."""
    column, value = (f"{db.pos}, ", f"{position}, ") if position is not None else ("", "")
    db.execute(
        f"INSERT INTO {db.events} ({column}originator_id, originator_version, topic, state) "
        f"SELECT {value}e.originator_id, (SELECT MAX(originator_version) + 1 FROM {db.events} "
        f"WHERE originator_id = e.originator_id), e.topic, e.state FROM {db.events} e "
        f"WHERE e.{db.pos} = ?",
        (32,),
    )


def forge_a_ninth_vote(db: Database) -> None:
    forge_a_vote(db)


def forge_a_vote_before_the_first_position(db: Database) -> None:
    """The log's reader starts after position 0; the decision's replay does not."""
    forge_a_vote(db, 0)


def swap_the_first_vote_and_the_decision(db: Database) -> None:
    """Exchange what is stored at positions 32 (a vote) and 40 (the decision taken)."""
    for old, new in ((32, -32), (40, 32), (-32, 40)):
        db.execute(f"UPDATE {db.events} SET {db.pos} = ? WHERE {db.pos} = ?", (new, old))


def truncate_after_position_40(db: Database) -> None:
    db.execute(f"DELETE FROM {db.events} WHERE {db.pos} > ?", (40,))
    db.execute(f"DELETE FROM {db.chain} WHERE position > ?", (40,))


def edit_the_checkpoint_root(db: Database) -> None:
    db.execute(f"UPDATE {db.checkpoints} SET root_hash = ? WHERE sequence = 1", (FORGED.hex(),))


def edit_the_checkpoint_size(db: Database) -> None:
    db.execute(f"UPDATE {db.checkpoints} SET tree_size = ? WHERE sequence = 1", (40,))


def resign_with_another_key(db: Database, *, keep_key_id: bool = False) -> None:
    checkpoint = db.checkpoint(1)
    other = Signer(Ed25519PrivateKey.generate())
    db.execute(
        f"UPDATE {db.checkpoints} SET key_id = ?, public_key = ?, signature = ? WHERE sequence = 1",
        (
            checkpoint.key_id if keep_key_id else other.key_id,
            other.public_key.hex(),
            other.sign(checkpoint.message()).hex(),
        ),
    )


def edit_a_chain_value(db: Database) -> None:
    db.execute(f"UPDATE {db.chain} SET chain_hash = ? WHERE position = ?", (FORGED, 45))


def rewrite_a_vote_and_the_chain_after_it(db: Database) -> None:
    """The abstention edited, and every leaf and chain value from there recomputed."""
    turn_an_abstention_into_a_vote_for(db)
    chain = GENESIS
    for event in db.stored_events():
        leaf = event_leaf_hash(*event)
        chain = chain_next(chain, leaf)
        if event[0] >= 37:
            db.execute(
                f"UPDATE {db.chain} SET leaf_hash = ?, chain_hash = ? WHERE position = ?",
                (leaf, chain, event[0]),
            )


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Database], None]
    kind: str
    position: int | None
    names: tuple[str, ...] = ()
    """Words the one line on stderr also carries (what the checkpoint or log says)."""


CASES = [
    pytest.param(Case(turn_an_abstention_into_a_vote_for, "changed", 37), id="edited-bytes"),
    pytest.param(Case(null_the_stored_bytes_of_a_vote, "changed", 37), id="nulled-bytes"),
    pytest.param(Case(delete_a_declared_interest, "missing", 29), id="deleted-event"),
    pytest.param(Case(forge_a_ninth_vote, "inserted", 57), id="inserted-event"),
    pytest.param(
        Case(swap_the_first_vote_and_the_decision, "reordered", 32, ("position 40",)),
        id="swapped-events",
    ),
    pytest.param(
        Case(truncate_after_position_40, "truncated", None, ("checkpoint 1", "56", "40")),
        id="truncated-tail",
    ),
    pytest.param(
        Case(edit_the_checkpoint_root, "signature", None, ("checkpoint 1",)),
        id="edited-checkpoint-root",
    ),
    pytest.param(
        Case(edit_the_checkpoint_size, "signature", None, ("checkpoint 1",)),
        id="edited-checkpoint-size",
    ),
    pytest.param(
        Case(resign_with_another_key, "key", None, ("checkpoint 1", "unknown key")),
        id="re-signed-with-another-key",
    ),
    pytest.param(Case(edit_a_chain_value, "chain", 45), id="edited-chain-value"),
    pytest.param(
        Case(rewrite_a_vote_and_the_chain_after_it, "root", NORTHMOOR_EVENTS, ("checkpoint 1",)),
        id="rewritten-chain",
    ),
    pytest.param(
        Case(lambda db: resign_with_another_key(db, keep_key_id=True), "key", None),
        id="re-signed-with-another-key-under-the-trusted-key-id",
    ),
    pytest.param(
        Case(forge_a_vote_before_the_first_position, "inserted", 0),
        id="inserted-before-the-first-position",
    ),
]


def assert_caught(ledger: SignedLedger, case: Case) -> None:
    """The report names the kind and position; so does the CLI's one line on stderr."""
    report = audit_report(ledger)
    assert not report.ok, report
    assert report.problem is not None
    assert (report.problem.kind, report.problem.position) == (case.kind, case.position), report

    result = run_cli(ledger, "verify")

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = message_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line == f"inclusion-ledger: {report.summary()}"
    assert f": {case.kind}: " in line
    if case.position is None:
        assert "Tampering found: " in line
    else:
        assert f"Tampering found at position {case.position}: " in line
    for words in case.names:
        assert words in line


# Tampering is caught.


@pytest.mark.parametrize("case", CASES)
def test_tampering_with_the_stored_log_is_caught_naming_the_first_bad_position_and_kind(
    signed: SignedLedger, case: Case
) -> None:
    assert audit_report(signed).ok

    case.tamper(signed.db)

    assert_caught(signed, case)


def test_a_report_counts_the_events_verified_before_the_first_bad_one(
    signed: SignedLedger,
) -> None:
    delete_a_declared_interest(signed.db)

    report = audit_report(signed)

    assert report.problem is not None
    assert report.problem.kind == "missing"
    assert report.events == 28
    assert report.checkpoints == 1
    assert report.root_hash == merkle_root(recomputed_leaves(signed.db)[:28]).hex()


# Untampered ledgers verify.


def test_an_untampered_ledger_verifies_with_exit_0(signed: SignedLedger) -> None:
    result = run_cli(signed, "verify")

    assert result.returncode == 0, result.stderr
    assert message_lines(result.stderr) == []
    root = merkle_root(recomputed_leaves(signed.db)).hex()
    assert result.stdout == (
        f"Verified {NORTHMOOR_EVENTS} events and 1 signed checkpoint(s): "
        f"intact (root {root[:16]}…).\n"
    )
    assert signed.db.checkpoint(1).root_hash == root


def test_verify_on_an_empty_ledger_exits_0_saying_there_is_nothing_to_verify(
    empty: SignedLedger,
) -> None:
    result = run_cli(empty, "verify")

    assert result.returncode == 0, result.stderr
    assert message_lines(result.stderr) == []
    assert result.stdout == "The ledger is empty: nothing to verify, nothing wrong.\n"


def test_a_checkpoint_signed_while_the_ledger_was_empty_stays_valid_as_events_are_written(
    empty: SignedLedger,
) -> None:
    first = sign_checkpoint(empty.url, empty.key_file)
    assert first.tree_size == 0
    assert audit_report(empty).ok

    write_scenario(empty.url, empty.key_file)
    sign_checkpoint(empty.url, empty.key_file)

    report = audit_report(empty)
    assert report.ok, report
    assert (report.events, report.checkpoints) == (NORTHMOOR_EVENTS, 2)
    result = run_cli(empty, "verify")
    assert result.returncode == 0, result.stderr


def test_prove_without_any_checkpoint_exits_2_with_a_clear_message(
    scenario: SignedLedger,
) -> None:
    result = run_cli(scenario, "prove", "1")

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = message_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "No checkpoint yet" in lines[0]
    assert "inclusion-ledger checkpoint" in lines[0]


# Trust: the checkpoints count only when signed by a trusted key.


def keys_public(key_file: Path) -> str:
    """What `inclusion-ledger keys public` prints for this key file (a trusted-keys file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_SIGNING_KEY_FILE"] = str(key_file)
    result = subprocess.run(
        [CLI, "keys", "public"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = message_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def own_key(scenario: SignedLedger, tmp_path: Path) -> SignedLedger:
    """The scenario signed by a key file of its own, which a test may delete."""
    key = write_key_file(tmp_path / "own-signing-key.pem")
    sign_checkpoint(scenario.url, key)
    return replace(scenario, key_file=key)


def test_a_deleted_key_file_and_checkpoints_re_signed_with_a_new_key_fail_naming_that_key(
    own_key: SignedLedger, tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted-keys.txt"
    trusted.write_text(keys_public(own_key.key_file))
    recorded = parse_public_key(trusted.read_text()).hex()
    own_key.key_file.unlink()
    genuine = run_cli(own_key, "verify", "--trusted-keys", str(trusted))
    assert genuine.returncode == 0, genuine.stderr

    resign_with_another_key(own_key.db)
    new_key = own_key.db.checkpoint(1).key_id
    assert new_key != key_id(bytes.fromhex(recorded))

    untrusted = one_line(run_cli(own_key, "verify"), 1)
    assert untrusted.startswith("inclusion-ledger: Not verified: no key is trusted")
    assert "--trust-key" in untrusted
    named = f"Tampering found: key: checkpoint 1 is signed by unknown key {new_key}"
    for result in (
        run_cli(own_key, "verify", "--trusted-keys", str(trusted)),
        run_cli(own_key, "verify", LEDGER_TRUSTED_KEYS_FILE=str(trusted)),
        run_cli(own_key, "verify", "--trust-key", recorded),
    ):
        assert one_line(result, 1) == f"inclusion-ledger: {named}"


def test_a_new_key_file_in_place_of_a_deleted_one_does_not_vouch_for_the_old_checkpoints(
    own_key: SignedLedger,
) -> None:
    old_key = own_key.db.checkpoint(1).key_id
    own_key.key_file.unlink()

    signed = run_cli(own_key, "checkpoint")
    assert signed.returncode == 0, signed.stderr
    assert own_key.key_file.stat().st_mode & 0o777 == 0o600
    new_key = own_key.db.checkpoint(2).key_id
    assert new_key != old_key

    line = one_line(run_cli(own_key, "verify"), 1)
    assert line.endswith(f"key: checkpoint 1 is signed by unknown key {old_key}")


def test_a_replaced_key_file_does_not_vouch_for_re_signed_checkpoints_under_a_trusted_keys_file(
    own_key: SignedLedger, tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted-keys.txt"
    trusted.write_text(keys_public(own_key.key_file))
    assert run_cli(own_key, "verify", LEDGER_TRUSTED_KEYS_FILE=str(trusted)).returncode == 0

    own_key.key_file.unlink()
    write_key_file(own_key.key_file)  # the forger's key, where the ledger's was
    own_key.db.execute(f"DELETE FROM {own_key.db.checkpoints}")
    forged = run_cli(own_key, "checkpoint")
    assert forged.returncode == 0, forged.stderr
    forger = own_key.db.checkpoint(1).key_id
    assert run_cli(own_key, "verify").returncode == 0  # the key file alone vouches for it

    line = one_line(run_cli(own_key, "verify", LEDGER_TRUSTED_KEYS_FILE=str(trusted)), 1)
    assert (
        line
        == f"inclusion-ledger: Tampering found: key: checkpoint 1 is signed by unknown key {forger}"
    )


def test_deleting_every_checkpoint_is_not_verified_and_says_what_to_run(
    signed: SignedLedger,
) -> None:
    signed.db.execute(f"DELETE FROM {signed.db.checkpoints}")

    result = run_cli(signed, "verify")

    line = one_line(result, 1)
    assert line == f"inclusion-ledger: {audit_report(signed).summary()}"
    assert line.startswith(
        f"inclusion-ledger: Not verified: no signed checkpoint covers the {NORTHMOOR_EVENTS} events"
    )
    assert "`inclusion-ledger checkpoint`" in line
    assert "verify --no-checkpoints" in line
    assert "intact" not in result.stdout


def test_the_chain_alone_is_checked_with_no_checkpoints_and_no_key_and_the_summary_says_so(
    scenario: SignedLedger, tmp_path: Path
) -> None:
    keyless = replace(scenario, key_file=tmp_path / "no-such-key.pem")
    root = merkle_root(recomputed_leaves(scenario.db)).hex()

    result = run_cli(keyless, "verify", "--no-checkpoints")

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Verified {NORTHMOOR_EVENTS} events by the chain alone: intact (root {root[:16]}…); "
        "checkpoint signatures and roots were not checked.\n"
    )
    assert not keyless.key_file.exists()
    turn_an_abstention_into_a_vote_for(scenario.db)
    tampered = one_line(run_cli(keyless, "verify", "--no-checkpoints"), 1)
    assert tampered.startswith("inclusion-ledger: Tampering found at position 37: changed: ")


def test_verify_json_says_which_keys_and_checkpoints_were_checked(signed: SignedLedger) -> None:
    own = load_or_create(signed.key_file).key_id

    checked = run_cli(signed, "verify", "--json")
    chain_only = run_cli(signed, "verify", "--json", "--no-checkpoints")

    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] is True
    assert report["trusted_keys"] == [own]
    assert report["checkpoints_checked"] is True
    assert (report["signed_events"], report["unsigned_events"]) == (NORTHMOOR_EVENTS, 0)
    assert chain_only.returncode == 0, chain_only.stderr
    report = json.loads(chain_only.stdout)
    assert report["ok"] is True
    assert report["checkpoints_checked"] is False
    assert report["trusted_keys"] == []
    assert (report["signed_events"], report["unsigned_events"]) == (0, NORTHMOOR_EVENTS)


def test_a_trust_key_that_is_not_a_key_is_refused_with_exit_2(signed: SignedLedger) -> None:
    line = one_line(run_cli(signed, "verify", "--trust-key", "nonsense"), 2)

    assert "--trust-key 'nonsense'" in line


# A ledger that grows: read only, one per backend for the module.

GROWN_EVENTS = 540  # more than two blocks of 256 leaves: stored subtrees are used


@dataclass(frozen=True)
class Grown:
    ledger: SignedLedger
    first: Checkpoint
    second: Checkpoint
    events: int


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def grown(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, key_file: Path
) -> Iterator[Grown]:
    """Northmoor, checkpoint 1, generated events, checkpoint 2, and three events more."""
    schema = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('grown') / 'ledger.db'}"
    else:
        server: str = request.getfixturevalue("postgres_server")
        schema = f"t_{uuid4().hex[:16]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{server}?schema={schema}"
    try:
        write_scenario(url, key_file)
        first = sign_checkpoint(url, key_file)
        clock = ScenarioClock(datetime(2026, 6, 1, tzinfo=UTC))
        opened = open_ledger(url, key_file, clock)
        try:
            generate(opened.app, clock, events=GROWN_EVENTS - NORTHMOOR_EVENTS, seed=11)
            second = opened.auditor().checkpoint(
                opened.signer(), at=datetime(2026, 12, 1, tzinfo=UTC)
            )
            generate(opened.app, clock, events=3, seed=12)
        finally:
            opened.close()
        yield Grown(
            ledger=SignedLedger(url=url, key_file=key_file, db=Database(url)),
            first=first,
            second=second,
            events=len(Database(url).stored_events()),
        )
    finally:
        if schema:
            with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_after_more_events_and_a_new_checkpoint_the_ledger_still_verifies(grown: Grown) -> None:
    assert grown.first.tree_size == NORTHMOOR_EVENTS
    assert grown.second.tree_size >= GROWN_EVENTS
    assert grown.events > grown.second.tree_size

    report = audit_report(grown.ledger)
    result = run_cli(grown.ledger, "verify")

    assert report.ok, report
    assert (report.events, report.checkpoints) == (grown.events, 2)
    assert result.returncode == 0, result.stderr
    assert message_lines(result.stderr) == []
    assert result.stdout.startswith(f"Verified {grown.events:,} events and 2 signed checkpoint(s)")
    later = grown.events - grown.second.tree_size
    assert f"the {later} later events are checked by the chain alone" in result.stdout
    assert (report.signed_events, report.unsigned_events) == (grown.second.tree_size, later)


def assert_proof_holds(proof: InclusionProof, grown: Grown, leaves: Sequence[bytes]) -> None:
    """The proof's leaf is the stored event's, its path leads to the checkpoint's root,
    and that root is the one signed, by the trusted key, over the recomputed leaves."""
    checkpoint = proof.checkpoint
    assert checkpoint in (grown.first, grown.second)
    assert verify_signature(
        bytes.fromhex(checkpoint.public_key),
        checkpoint.message(),
        bytes.fromhex(checkpoint.signature),
    )
    assert checkpoint.key_id == key_id(bytes.fromhex(checkpoint.public_key))
    assert checkpoint.key_id == load_or_create(grown.ledger.key_file).key_id
    assert (proof.tree_size, proof.root_hash) == (checkpoint.tree_size, checkpoint.root_hash)
    assert checkpoint.root_hash == merkle_root(leaves[: checkpoint.tree_size]).hex()
    assert proof.leaf_hash == leaves[proof.leaf_index].hex()
    assert verify_inclusion(
        proof.leaf_index,
        proof.tree_size,
        bytes.fromhex(proof.leaf_hash),
        [bytes.fromhex(p) for p in proof.path],
        bytes.fromhex(proof.root_hash),
    )


def test_prove_prints_a_proof_that_verifies_against_the_signed_checkpoint_root(
    grown: Grown,
) -> None:
    db = grown.ledger.db
    leaves = recomputed_leaves(db)
    positions = [e[0] for e in db.stored_events()]
    last = grown.second.tree_size - 1
    asked = [
        (positions[256], None),
        (positions[last], None),
        (positions[36], "1"),
    ]

    def prove(position: int, checkpoint: str | None) -> subprocess.CompletedProcess[str]:
        extra = ("--checkpoint", checkpoint) if checkpoint else ()
        return run_cli(grown.ledger, "prove", str(position), *extra)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda a: prove(*a), asked))

    for (position, checkpoint), result in zip(asked, results, strict=True):
        assert result.returncode == 0, result.stderr
        proof = msgspec.json.decode(result.stdout, type=InclusionProof)
        assert proof.position == position
        assert proof.leaf_index == positions.index(position)
        expected = grown.first if checkpoint == "1" else grown.second
        assert proof.checkpoint == expected
        assert_proof_holds(proof, grown, leaves)


def test_every_position_proves_against_every_checkpoint_that_covers_it(grown: Grown) -> None:
    db = grown.ledger.db
    leaves = recomputed_leaves(db)
    positions = [e[0] for e in db.stored_events()]
    opened = open_ledger(grown.ledger.url, grown.ledger.key_file)
    try:
        auditor = opened.auditor()
        for checkpoint in (grown.first, grown.second):
            for index in range(checkpoint.tree_size):
                proof = auditor.prove(positions[index], checkpoint.sequence)
                # As the CLI prints it and an auditor reads it back.
                proof = msgspec.json.decode(msgspec.json.encode(proof), type=InclusionProof)
                assert proof.leaf_index == index
                assert_proof_holds(proof, grown, leaves)
    finally:
        opened.close()


def test_prove_of_a_position_after_the_latest_checkpoint_exits_2_with_a_clear_message(
    grown: Grown,
) -> None:
    after = grown.ledger.db.position_of_leaf(grown.second.tree_size)

    result = run_cli(grown.ledger, "prove", str(after))

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = message_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert f"Position {after} came after checkpoint 2" in lines[0]
    assert "make a newer checkpoint" in lines[0]


def test_prove_of_a_position_beyond_the_log_or_an_unknown_checkpoint_exits_2(
    grown: Grown,
) -> None:
    beyond = str(grown.ledger.db.stored_events()[-1][0] + 1000)

    with ThreadPoolExecutor(max_workers=2) as pool:
        no_event, no_checkpoint = pool.map(
            lambda args: run_cli(grown.ledger, *args),
            [("prove", beyond), ("prove", "1", "--checkpoint", "9")],
        )

    for result, words in ((no_event, f"No event at position {beyond}"), (no_checkpoint, "9")):
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        lines = message_lines(result.stderr)
        assert len(lines) == 1, result.stderr
        assert words in lines[0]
    assert "No checkpoint 9" in message_lines(no_checkpoint.stderr)[0]
