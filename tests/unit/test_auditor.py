"""The Auditor's logic over an in-memory log: checkpoints, reports, keys and proofs.

`MemoryLog` is a small fake of the `AuditLog` port: events and chain links held
in dictionaries by position, written the way the chained recorders write them,
and open to the same edits someone with write access to a database could make.
Signatures are real Ed25519 (`adapters.signing`). The keys the composition root
trusts are tested in tests/integration/test_signing_key.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from uuid import uuid5

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.signing import Ed25519SignatureCheck, Signer, key_id, verify_signature
from domain.audit import GENESIS, Checkpoint, chain_next, event_leaf_hash
from domain.merkle import EMPTY_ROOT, ListNodes, NodeSource, verify_inclusion
from domain.merkle import root as merkle_root
from services.audit.auditor import (
    AuditFailed,
    Auditor,
    EventRow,
    InclusionProof,
    JoinedRow,
    LinkRow,
    Problem,
    VerifyReport,
)
from services.demo.cast import NORTHMOOR

AT = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
DECISION = uuid5(NORTHMOOR, "unit/decision")


class MemoryLog:
    """The `AuditLog` port over dictionaries, for tests."""

    def __init__(self) -> None:
        self.stored: dict[int, EventRow] = {}
        self.chain: dict[int, LinkRow] = {}
        self.saved: list[Checkpoint] = []
        self.built: list[int] = []

    # Writing, as the chained recorders do: event and link together.

    def append(self, state: bytes, *, position: int | None = None) -> int:
        position = position if position is not None else max(self.stored, default=0) + 1
        version = sum(1 for e in self.stored.values() if e[1] == DECISION) + 1
        event: EventRow = (position, DECISION, version, "VoteRecorded", state)
        last = max(self.chain.values(), key=lambda link: link[1], default=None)
        index = last[1] + 1 if last else 0
        leaf = event_leaf_hash(*event)
        self.stored[position] = event
        self.chain[position] = (
            position,
            index,
            leaf,
            chain_next(last[3] if last else GENESIS, leaf),
        )
        return position

    def append_many(self, count: int) -> list[int]:
        return [self.append(f'{{"vote":{n}}}'.encode()) for n in range(count)]

    def leaves(self) -> list[bytes]:
        return [link[2] for link in sorted(self.chain.values(), key=lambda link: link[1])]

    # The port.

    def leaf_count(self) -> int:
        return max((link[1] for link in self.chain.values()), default=-1) + 1

    def link_at_leaf(self, index: int) -> LinkRow | None:
        return next((link for link in self.chain.values() if link[1] == index), None)

    def link_at_position(self, position: int) -> LinkRow | None:
        return self.chain.get(position)

    def links(self, after: int, limit: int) -> list[LinkRow]:
        return [self.chain[p] for p in sorted(self.chain) if p > after][:limit]

    def events(self, after: int, limit: int) -> list[EventRow]:
        return [self.stored[p] for p in sorted(self.stored) if p > after][:limit]

    def joined(self, after: int) -> Generator[JoinedRow, None, None]:
        for position, oid, version, topic, state in self.events(after, len(self.stored)):
            link = self.chain.get(position)
            index, leaf, chain = (link[1], link[2], link[3]) if link else (None, None, None)
            yield (position, oid.bytes, version, topic, state, index, leaf, chain)

    def build_tree(self, size: int) -> None:
        self.built.append(size)

    def rebuild_tree(self, size: int) -> None:
        self.built.append(size)

    def checkpoints(self) -> list[Checkpoint]:
        return list(self.saved)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self.saved.append(checkpoint)

    def tree(self) -> NodeSource:
        return ListNodes(self.leaves())


def a_signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def an_auditor(log: MemoryLog, *trusted: Signer) -> Auditor:
    return Auditor(
        log, Ed25519SignatureCheck(), trusted_keys=frozenset(s.public_key for s in trusted)
    )


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def signer() -> Signer:
    return a_signer()


def resign(checkpoint: Checkpoint, signer: Signer, **changes: object) -> Checkpoint:
    """The checkpoint with some fields changed and signed again, validly, by `signer`."""
    changed = msgspec.structs.replace(checkpoint, **changes)
    return msgspec.structs.replace(
        changed,
        key_id=signer.key_id,
        public_key=signer.public_key.hex(),
        signature=signer.sign(changed.message()).hex(),
    )


# Checkpoints


def test_a_checkpoint_signs_the_size_merkle_root_and_chain_value_of_the_log(
    log: MemoryLog, signer: Signer
) -> None:
    log.append_many(5)

    checkpoint = an_auditor(log).checkpoint(signer, at=AT)

    assert checkpoint.sequence == 1
    assert checkpoint.tree_size == 5
    assert checkpoint.root_hash == merkle_root(log.leaves()).hex()
    assert checkpoint.chain_hash == log.chain[5][3].hex()
    assert checkpoint.signed_at == AT
    assert (checkpoint.key_id, checkpoint.public_key) == (signer.key_id, signer.public_key.hex())
    assert checkpoint.key_id == key_id(signer.public_key)
    assert verify_signature(
        signer.public_key, checkpoint.message(), bytes.fromhex(checkpoint.signature)
    )
    assert log.saved == [checkpoint]
    assert log.built == [5]


def test_checkpoints_are_numbered_in_turn(log: MemoryLog, signer: Signer) -> None:
    auditor = an_auditor(log)
    log.append_many(2)
    first = auditor.checkpoint(signer, at=AT)
    log.append_many(3)

    second = auditor.checkpoint(signer, at=AT)

    assert (first.sequence, first.tree_size) == (1, 2)
    assert (second.sequence, second.tree_size) == (2, 5)


def test_a_checkpoint_of_an_empty_log_signs_the_empty_root_and_the_genesis_chain(
    log: MemoryLog, signer: Signer
) -> None:
    checkpoint = an_auditor(log).checkpoint(signer, at=AT)

    assert checkpoint.tree_size == 0
    assert checkpoint.root_hash == EMPTY_ROOT.hex()
    assert checkpoint.chain_hash == GENESIS.hex()


def test_a_checkpoint_message_binds_size_root_chain_and_time() -> None:
    base = Checkpoint(
        sequence=1,
        tree_size=3,
        root_hash="ab" * 32,
        chain_hash="cd" * 32,
        signed_at=AT,
        key_id="k",
        public_key="00",
        signature="00",
    )
    variants = [
        msgspec.structs.replace(base, tree_size=4),
        msgspec.structs.replace(base, root_hash="ef" * 32),
        msgspec.structs.replace(base, chain_hash="ef" * 32),
        msgspec.structs.replace(base, signed_at=datetime(2026, 5, 2, 9, 1, tzinfo=UTC)),
    ]

    assert len({base.message(), *(v.message() for v in variants)}) == 5
    assert (
        base.message()
        == (
            f"inclusion-ledger checkpoint v1\n3\n{'ab' * 32}\n{'cd' * 32}\n"
            "2026-05-02T09:00:00+00:00\n"
        ).encode()
    )


# Reports and their sentences


def test_an_intact_log_gives_a_report_with_its_size_root_and_checkpoint_count(
    log: MemoryLog, signer: Signer
) -> None:
    auditor = an_auditor(log, signer)
    log.append_many(3)
    auditor.checkpoint(signer, at=AT)
    log.append_many(4)
    auditor.checkpoint(signer, at=AT)
    log.append_many(2)  # after the latest checkpoint: verified, not yet signed

    report = auditor.verify()

    assert report == VerifyReport(
        ok=True,
        events=9,
        checkpoints=2,
        tree_size=9,
        root_hash=merkle_root(log.leaves()).hex(),
        problem=None,
        checkpoints_checked=True,
        trusted_keys=(signer.key_id,),
        signed_events=7,
        unsigned_events=2,
    )
    assert report.summary() == (
        f"Verified 9 events and 2 signed checkpoint(s): intact (root {report.root_hash[:16]}…). "
        "The latest checkpoint covers 7; the 2 later events are checked by the chain alone "
        "until the next `inclusion-ledger checkpoint`."
    )


def test_a_log_the_latest_checkpoint_covers_says_nothing_of_later_events(
    log: MemoryLog, signer: Signer
) -> None:
    auditor = an_auditor(log, signer)
    log.append_many(4)
    auditor.checkpoint(signer, at=AT)

    report = auditor.verify()

    assert report.ok
    assert (report.signed_events, report.unsigned_events) == (4, 0)
    assert report.summary() == (
        f"Verified 4 events and 1 signed checkpoint(s): intact (root {report.root_hash[:16]}…)."
    )


def test_the_summary_of_a_long_log_groups_thousands() -> None:
    report = VerifyReport(
        ok=True,
        events=1_234_567,
        checkpoints=3,
        tree_size=1_234_567,
        root_hash="f" * 64,
        problem=None,
    )

    assert report.summary() == (
        "Verified 1,234,567 events and 3 signed checkpoint(s): intact (root ffffffffffffffff…)."
    )


def test_an_empty_log_reports_nothing_to_verify(log: MemoryLog, signer: Signer) -> None:
    report = an_auditor(log, signer).verify()

    assert report.ok
    assert (report.events, report.checkpoints, report.tree_size) == (0, 0, 0)
    assert report.root_hash == EMPTY_ROOT.hex()
    assert report.summary() == "The ledger is empty: nothing to verify, nothing wrong."


def test_a_problem_summary_names_the_position_the_kind_and_what_is_wrong() -> None:
    at_position = VerifyReport(
        ok=False,
        events=36,
        checkpoints=1,
        tree_size=36,
        root_hash="0" * 64,
        problem=Problem(kind="changed", position=37, detail="the stored event differs"),
    )
    no_position = msgspec.structs.replace(
        at_position,
        problem=Problem(kind="signature", position=None, detail="checkpoint 1 is not signed"),
    )

    assert at_position.summary() == (
        "Tampering found at position 37: changed: the stored event differs"
    )
    assert no_position.summary() == "Tampering found: signature: checkpoint 1 is not signed"


def test_a_problem_at_position_0_is_named_in_the_summary() -> None:
    report = VerifyReport(
        ok=False,
        events=0,
        checkpoints=1,
        tree_size=0,
        root_hash=EMPTY_ROOT.hex(),
        problem=Problem(kind="inserted", position=0, detail="an event the chain never recorded"),
    )

    assert report.summary().startswith("Tampering found at position 0: inserted: ")


def test_a_report_round_trips_through_json_as_verify_prints_it(
    log: MemoryLog, signer: Signer
) -> None:
    log.append_many(3)
    an_auditor(log).checkpoint(signer, at=AT)
    log.stored[2] = (*log.stored[2][:4], b"edited")

    report = an_auditor(log, signer).verify()

    decoded = msgspec.json.decode(msgspec.json.encode(report), type=VerifyReport)
    assert decoded == report
    assert msgspec.to_builtins(report)["problem"] == {
        "kind": "changed",
        "position": 2,
        "detail": "the stored event differs from the one recorded (topic, ids or bytes)",
    }


def test_progress_hears_of_every_event_verified(log: MemoryLog, signer: Signer) -> None:
    log.append_many(7)
    auditor = an_auditor(log, signer)
    auditor.checkpoint(signer, at=AT)
    heard: list[tuple[int, int]] = []

    auditor.verify(progress=lambda done, total: heard.append((done, total)))

    assert heard
    assert heard[-1] == (7, 7)


# Each kind of problem, from the fake log


def verify_after(log: MemoryLog, signer: Signer, edit: object) -> Problem:
    report = an_auditor(log, signer).verify()
    assert not report.ok, edit
    assert report.problem is not None
    return report.problem


@pytest.fixture
def signed_log(log: MemoryLog, signer: Signer) -> MemoryLog:
    """Ten votes, checkpoint 1 over all of them."""
    log.append_many(10)
    an_auditor(log).checkpoint(signer, at=AT)
    return log


def test_an_edited_event_is_changed_at_its_position(signed_log: MemoryLog, signer: Signer) -> None:
    position, oid, version, _, state = signed_log.stored[4]
    signed_log.stored[4] = (position, oid, version, "VoteWithdrawn", state)

    problem = verify_after(signed_log, signer, "topic")

    assert (problem.kind, problem.position) == ("changed", 4)
    assert problem.detail == "the stored event differs from the one recorded (topic, ids or bytes)"


def test_a_deleted_event_is_missing_at_its_position(signed_log: MemoryLog, signer: Signer) -> None:
    del signed_log.stored[6]

    problem = verify_after(signed_log, signer, "delete")

    assert (problem.kind, problem.position) == ("missing", 6)


def test_a_deleted_last_event_is_missing_at_its_position(
    signed_log: MemoryLog, signer: Signer
) -> None:
    del signed_log.stored[10]

    problem = verify_after(signed_log, signer, "delete the last")

    assert (problem.kind, problem.position) == ("missing", 10)


def test_an_event_the_chain_never_recorded_is_inserted(
    signed_log: MemoryLog, signer: Signer
) -> None:
    signed_log.stored[11] = (11, DECISION, 99, "VoteRecorded", b"{}")

    problem = verify_after(signed_log, signer, "insert")

    assert (problem.kind, problem.position) == ("inserted", 11)


def test_two_events_swapped_are_reordered_at_the_first_naming_where_it_was_recorded(
    signed_log: MemoryLog, signer: Signer
) -> None:
    third, eighth = signed_log.stored[3], signed_log.stored[8]
    signed_log.stored[3] = (3, *eighth[1:])
    signed_log.stored[8] = (8, *third[1:])

    problem = verify_after(signed_log, signer, "swap")

    assert (problem.kind, problem.position) == ("reordered", 3)
    assert problem.detail == "the event stored here was recorded at position 8"


def test_a_tail_cut_with_its_chain_is_truncated_against_the_checkpoint(
    signed_log: MemoryLog, signer: Signer
) -> None:
    for position in (8, 9, 10):
        del signed_log.stored[position]
        del signed_log.chain[position]

    problem = verify_after(signed_log, signer, "truncate")

    assert problem == Problem(
        kind="truncated",
        position=None,
        detail="checkpoint 1 signed 10 events but the log holds 7",
    )


def test_an_altered_chain_value_is_chain_at_its_position(
    signed_log: MemoryLog, signer: Signer
) -> None:
    position, index, leaf, _ = signed_log.chain[5]
    signed_log.chain[5] = (position, index, leaf, hashlib.sha256(b"forged").digest())

    problem = verify_after(signed_log, signer, "chain")

    assert (problem.kind, problem.position) == ("chain", 5)


def test_a_rewritten_chain_is_caught_by_the_signed_root(
    signed_log: MemoryLog, signer: Signer
) -> None:
    signed_log.stored[2] = (*signed_log.stored[2][:4], b'{"vote":"forged"}')
    chain = GENESIS
    for position in sorted(signed_log.stored):
        leaf = event_leaf_hash(*signed_log.stored[position])
        chain = chain_next(chain, leaf)
        signed_log.chain[position] = (position, signed_log.chain[position][1], leaf, chain)

    problem = verify_after(signed_log, signer, "rewrite")

    assert (problem.kind, problem.position) == ("root", 10)
    assert "checkpoint 1" in problem.detail


def test_a_checkpoint_whose_chain_value_differs_is_chain_at_its_last_position(
    signed_log: MemoryLog, signer: Signer
) -> None:
    signed_log.saved[0] = resign(signed_log.saved[0], signer, chain_hash=GENESIS.hex())

    problem = verify_after(signed_log, signer, "checkpoint chain")

    assert problem == Problem(
        kind="chain", position=10, detail="the chain value differs from checkpoint 1"
    )


def test_an_edited_checkpoint_fails_its_signature(signed_log: MemoryLog, signer: Signer) -> None:
    signed_log.saved[0] = msgspec.structs.replace(signed_log.saved[0], tree_size=9)

    problem = verify_after(signed_log, signer, "size")

    assert problem == Problem(
        kind="signature",
        position=None,
        detail="checkpoint 1 does not carry a valid signature",
    )


def test_a_bad_signature_is_reported_before_anything_in_the_log(
    signed_log: MemoryLog, signer: Signer
) -> None:
    del signed_log.stored[2]
    signed_log.saved[0] = msgspec.structs.replace(signed_log.saved[0], signature="00" * 64)

    problem = verify_after(signed_log, signer, "both")

    assert problem.kind == "signature"


def test_an_earlier_checkpoint_is_checked_at_its_own_size(
    signed_log: MemoryLog, signer: Signer
) -> None:
    signed_log.append_many(5)
    an_auditor(signed_log).checkpoint(signer, at=AT)
    signed_log.saved[0] = resign(signed_log.saved[0], signer, root_hash=EMPTY_ROOT.hex())

    problem = verify_after(signed_log, signer, "first root")

    assert (problem.kind, problem.position) == ("root", 10)
    assert "checkpoint 1" in problem.detail


def test_positions_with_gaps_as_postgresql_leaves_them_verify_and_prove(
    log: MemoryLog, signer: Signer
) -> None:
    for position in (1, 2, 5, 6, 9, 40):
        log.append(f'{{"at":{position}}}'.encode(), position=position)
    auditor = an_auditor(log, signer)
    checkpoint = auditor.checkpoint(signer, at=AT)

    report = auditor.verify()
    proof = auditor.prove(9)

    assert report.ok, report
    assert report.events == 6
    assert (proof.leaf_index, proof.tree_size) == (4, 6)
    assert verify_inclusion(
        4,
        6,
        bytes.fromhex(proof.leaf_hash),
        [bytes.fromhex(p) for p in proof.path],
        bytes.fromhex(checkpoint.root_hash),
    )


# Trusted keys


def test_with_no_trusted_key_no_checkpoint_is_vouched_for_and_the_log_is_not_verified(
    signed_log: MemoryLog, signer: Signer
) -> None:
    genuine = an_auditor(signed_log).verify()
    signed_log.saved[0] = resign(signed_log.saved[0], a_signer())
    forged = an_auditor(signed_log).verify()

    for report in (genuine, forged):
        assert not report.ok
        assert report.problem is not None
        assert (report.problem.kind, report.problem.position) == ("untrusted", None)
        assert report.trusted_keys == ()
        assert report.checkpoints == 1
    summary = forged.summary()
    assert summary.startswith("Not verified: no key is trusted to have signed the checkpoints;")
    for way in ("--trust-key", "--trusted-keys", "LEDGER_TRUSTED_KEYS_FILE", "--no-checkpoints"):
        assert way in summary
    assert "Tampering" not in summary


def test_an_empty_log_with_no_trusted_key_is_not_verified_either(log: MemoryLog) -> None:
    report = an_auditor(log).verify()

    assert not report.ok
    assert report.problem is not None
    assert report.problem.kind == "untrusted"


def test_a_checkpoint_signed_by_a_trusted_key_verifies(
    signed_log: MemoryLog, signer: Signer
) -> None:
    other = a_signer()

    assert an_auditor(signed_log, other, signer).verify().ok


def test_a_checkpoint_signed_by_an_unknown_key_is_key_naming_that_key(
    signed_log: MemoryLog, signer: Signer
) -> None:
    stranger = a_signer()
    signed_log.saved[0] = resign(signed_log.saved[0], stranger)

    problem = verify_after(signed_log, signer, "stranger")

    assert problem == Problem(
        kind="key",
        position=None,
        detail=f"checkpoint 1 is signed by unknown key {stranger.key_id}",
    )


def test_a_checkpoint_claiming_a_trusted_key_id_over_another_public_key_is_refused(
    signed_log: MemoryLog, signer: Signer
) -> None:
    stranger = a_signer()
    forged = resign(signed_log.saved[0], stranger)
    signed_log.saved[0] = msgspec.structs.replace(forged, key_id=signer.key_id)

    problem = verify_after(signed_log, signer, "borrowed key id")

    assert problem.kind == "key"
    assert problem.position is None


def test_a_checkpoint_carrying_a_key_or_signature_that_is_not_hex_is_a_signature_problem(
    signed_log: MemoryLog, signer: Signer
) -> None:
    for field in ("public_key", "signature"):
        original = signed_log.saved[0]
        signed_log.saved[0] = msgspec.structs.replace(original, **{field: "not hex"})

        problem = verify_after(signed_log, signer, field)

        assert problem == Problem(
            kind="signature",
            position=None,
            detail="checkpoint 1 carries a key or signature that is not hex",
        )
        signed_log.saved[0] = original


# Events no checkpoint covers


def test_events_that_no_checkpoint_covers_are_not_verified_naming_what_to_run(
    log: MemoryLog, signer: Signer
) -> None:
    log.append_many(3)

    report = an_auditor(log, signer).verify()

    assert not report.ok
    assert report.problem is not None
    assert (report.problem.kind, report.problem.position) == ("unsigned", None)
    assert (report.events, report.signed_events, report.unsigned_events) == (3, 0, 3)
    assert report.summary() == (
        "Not verified: no signed checkpoint covers the 3 events (if one was made before, it has "
        "been removed); run `inclusion-ledger checkpoint` to sign the log as it stands, or "
        "`inclusion-ledger verify --no-checkpoints` to check the chain alone."
    )


def test_deleting_every_checkpoint_does_not_read_as_intact(
    signed_log: MemoryLog, signer: Signer
) -> None:
    assert an_auditor(signed_log, signer).verify().ok
    signed_log.saved.clear()

    problem = verify_after(signed_log, signer, "no checkpoints")

    assert problem.kind == "unsigned"
    assert "the 10 events" in problem.detail


def test_a_checkpoint_of_the_empty_log_covers_none_of_the_events_written_after_it(
    log: MemoryLog, signer: Signer
) -> None:
    auditor = an_auditor(log, signer)
    auditor.checkpoint(signer, at=AT)
    log.append_many(2)

    problem = verify_after(log, signer, "empty checkpoint")

    assert problem.kind == "unsigned"
    assert "the 2 events" in problem.detail


def test_tampering_is_reported_before_events_no_checkpoint_covers(
    log: MemoryLog, signer: Signer
) -> None:
    log.append_many(3)
    log.stored[2] = (*log.stored[2][:4], b"edited")

    problem = verify_after(log, signer, "edited, unsigned")

    assert (problem.kind, problem.position) == ("changed", 2)


# The chain alone


def test_the_chain_alone_is_checked_without_any_trusted_key_and_the_summary_says_so(
    signed_log: MemoryLog,
) -> None:
    signed_log.append_many(2)

    report = an_auditor(signed_log).verify(checkpoints=False)

    assert report.ok, report
    assert report.checkpoints_checked is False
    assert report.trusted_keys == ()
    assert (report.events, report.checkpoints) == (12, 1)
    assert (report.signed_events, report.unsigned_events) == (0, 12)
    assert report.root_hash == merkle_root(signed_log.leaves()).hex()
    assert report.summary() == (
        f"Verified 12 events by the chain alone: intact (root {report.root_hash[:16]}…); "
        "checkpoint signatures and roots were not checked."
    )
    assert msgspec.to_builtins(report)["checkpoints_checked"] is False


def change_event_4(log: MemoryLog) -> None:
    log.stored[4] = (*log.stored[4][:4], b"edited")


def delete_event_4(log: MemoryLog) -> None:
    del log.stored[4]


def insert_an_unchained_event(log: MemoryLog) -> None:
    del log.chain[log.append(b"unchained")]


def alter_chain_value_3(log: MemoryLog) -> None:
    log.chain[3] = (*log.chain[3][:3], hashlib.sha256(b"forged").digest())


@pytest.mark.parametrize(
    ("edit", "kind", "position"),
    [
        (change_event_4, "changed", 4),
        (delete_event_4, "missing", 4),
        (insert_an_unchained_event, "inserted", 7),
        (alter_chain_value_3, "chain", 3),
    ],
)
def test_the_chain_alone_still_catches_changed_missing_inserted_events_and_chain_edits(
    log: MemoryLog, edit: Callable[[MemoryLog], None], kind: str, position: int
) -> None:
    log.append_many(6)
    edit(log)

    problem = an_auditor(log).verify(checkpoints=False).problem

    assert problem is not None
    assert (problem.kind, problem.position) == (kind, position)


def test_the_chain_alone_does_not_read_the_checkpoints_signatures_or_roots(
    signed_log: MemoryLog, signer: Signer
) -> None:
    signed_log.saved[0] = msgspec.structs.replace(
        signed_log.saved[0], root_hash=EMPTY_ROOT.hex(), signature="00"
    )

    assert an_auditor(signed_log, signer).verify(checkpoints=False).ok
    assert verify_after(signed_log, signer, "edited checkpoint").kind == "signature"


# Proofs


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31])
def test_every_leaf_proves_into_the_signed_root(size: int, signer: Signer) -> None:
    log = MemoryLog()
    positions = log.append_many(size)
    auditor = an_auditor(log)
    checkpoint = auditor.checkpoint(signer, at=AT)

    for index, position in enumerate(positions):
        proof = auditor.prove(position)
        proof = msgspec.json.decode(msgspec.json.encode(proof), type=InclusionProof)

        assert (proof.position, proof.leaf_index, proof.tree_size) == (position, index, size)
        assert proof.checkpoint == checkpoint
        assert proof.root_hash == checkpoint.root_hash
        assert proof.leaf_hash == event_leaf_hash(*log.stored[position]).hex()
        assert verify_inclusion(
            index,
            size,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.path],
            bytes.fromhex(proof.root_hash),
        )


def test_a_proof_against_an_earlier_checkpoint_uses_that_checkpoints_root(
    log: MemoryLog, signer: Signer
) -> None:
    auditor = an_auditor(log)
    log.append_many(5)
    first = auditor.checkpoint(signer, at=AT)
    log.append_many(6)
    second = auditor.checkpoint(signer, at=AT)

    old = auditor.prove(3, checkpoint_sequence=1)
    new = auditor.prove(3)

    assert (old.checkpoint, new.checkpoint) == (first, second)
    for proof in (old, new):
        assert verify_inclusion(
            proof.leaf_index,
            proof.tree_size,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.path],
            bytes.fromhex(proof.checkpoint.root_hash),
        )
    assert len(old.path) < len(new.path)
    assert log.built[-2:] == [5, 11]


def test_a_proof_does_not_verify_for_another_leaf_or_root(log: MemoryLog, signer: Signer) -> None:
    log.append_many(6)
    auditor = an_auditor(log)
    auditor.checkpoint(signer, at=AT)
    proof = auditor.prove(2)
    path = [bytes.fromhex(p) for p in proof.path]
    leaf, root = bytes.fromhex(proof.leaf_hash), bytes.fromhex(proof.root_hash)

    assert verify_inclusion(1, 6, leaf, path, root)
    assert not verify_inclusion(1, 6, log.leaves()[2], path, root)
    assert not verify_inclusion(2, 6, leaf, path, root)
    assert not verify_inclusion(1, 6, leaf, path, EMPTY_ROOT)


def test_prove_without_a_checkpoint_says_to_make_one(log: MemoryLog) -> None:
    log.append_many(2)

    with pytest.raises((AuditFailed, LookupError), match="No checkpoint yet"):
        an_auditor(log).prove(1)


def test_prove_refuses_a_position_after_the_checkpoint_an_unknown_position_or_checkpoint(
    log: MemoryLog, signer: Signer
) -> None:
    auditor = an_auditor(log)
    log.append_many(3)
    auditor.checkpoint(signer, at=AT)
    log.append_many(1)

    with pytest.raises(LookupError, match=r"^Position 4 came after checkpoint 1 \(3 events\)"):
        auditor.prove(4)
    with pytest.raises(LookupError, match=r"^No event at position 99\.$"):
        auditor.prove(99)
    with pytest.raises(LookupError, match=r"^No checkpoint 2\.$"):
        auditor.prove(1, checkpoint_sequence=2)
