"""Audit bundles on a real SQLite ledger: exported, then checked with nothing but the file.

Every member is tampered with in turn (event data, order, proofs, checkpoints, the
manifest, the key, its signature, the archive's own bytes) and each change is caught
and named; a partial bundle of one partnership over a date range, cut from a generated
ledger of several partnerships, verifies against the whole log's signed checkpoint.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from cloudevents.http import from_json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from adapters.signing import Ed25519SignatureCheck, Signer
from domain.audit import checkpoint_message, event_leaf_hash
from projections.documents import MODELS
from services.audit.auditor import AuditFailed
from services.audit.bundle_export import (
    ExportRefused,
    ExportSummary,
    aggregate_partnerships,
    export_bundle,
    stored_event_time,
)
from services.audit.bundle_format import (
    CHECKPOINTS,
    EVENTS,
    MANIFEST,
    PROOFS,
    PUBLIC_KEY,
    SIGNATURE,
    NotABundle,
    Selection,
    parse_public_key,
)
from services.audit.bundle_verification import BundleReport, verify_bundle
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from tests.benchmarks.generator import GeneratedLedger, generate

START = datetime(2025, 9, 1, tzinfo=UTC)
CREATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NORTHMOOR_EVENTS = 56
WHOLE_LOG = Selection.of(None, None, None)


# Building, reading and rewriting bundles


def export(
    ledger: Ledger,
    selection: Selection = WHOLE_LOG,
    *,
    created_at: datetime = CREATED,
) -> tuple[bytes, ExportSummary]:
    ledger.projector.catch_up()
    out = io.BytesIO()
    summary = export_bundle(
        out,
        ledger.auditor().log,
        ledger.signer(),
        selection=selection,
        ledger="test ledger",
        created_at=created_at,
        event_time=stored_event_time(ledger.app.mapper),
        partnerships=aggregate_partnerships(ledger.read_store),
    )
    return out.getvalue(), summary


def verify(bundle: bytes, trusted_key: bytes | None = None) -> BundleReport:
    return verify_bundle(
        io.BytesIO(bundle),
        Ed25519SignatureCheck(),
        trusted_key=trusted_key,
    )


def members(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(bundle: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The bundle with one member's bytes edited, the archive itself rebuilt intact."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, edit(data) if info.filename == name else data)
    return out.getvalue()


def lines(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in data.splitlines()]


def join_lines(values: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(v).encode() + b"\n" for v in values)


def edit_line(
    position: int, change: Callable[[dict[str, object]], None]
) -> Callable[[bytes], bytes]:
    """Edit the events.jsonl (or proofs.jsonl) line of one log position."""

    def edit(data: bytes) -> bytes:
        values = lines(data)
        found = [v for v in values if position in (v.get("ledgerposition"), v.get("position"))]
        assert found, position
        change(found[0])
        return join_lines(values)

    return edit


def flip_actor_byte(event: dict[str, object]) -> None:
    """Change one byte of the stored data, keeping it valid JSON with its timestamp."""
    data = bytearray(base64.b64decode(str(event["data_base64"])))
    at = bytes(data).index(b'"actor":{"id":"') + len(b'"actor":{"id":"')
    data[at] ^= 0x01
    event["data_base64"] = base64.b64encode(bytes(data)).decode()


def swap_lines(first: int, second: int) -> Callable[[bytes], bytes]:
    """Swap two lines (numbered from 1)."""

    def edit(data: bytes) -> bytes:
        found = data.splitlines(keepends=True)
        found[first - 1], found[second - 1] = found[second - 1], found[first - 1]
        return b"".join(found)

    return edit


def flip_hex(value: str, at: int = 5) -> str:
    return value[:at] + ("0" if value[at] != "0" else "1") + value[at + 1 :]


HEX_DIGITS = b"0123456789abcdef"


def flip_text(data: bytes, marker: bytes, offset: int = 0) -> bytes:
    """Flip one byte found after `marker`: a one-byte edit in place. A hex digit stays a
    hex digit (a flipped low bit turns `a` or `f` into a non-digit), so the edit always
    reads as a different value, not as a malformed one."""
    at = data.index(marker) + len(marker) + offset
    new = data[at] ^ 0x01
    if data[at] in HEX_DIGITS and new not in HEX_DIGITS:
        new = ord("0")
    return data[:at] + bytes([new]) + data[at + 1 :]


# The Northmoor ledger, checkpointed twice with a revision between


@dataclass
class Northmoor:
    ledger: Ledger
    clock: ScenarioClock
    size: int


@pytest.fixture(scope="module")
def northmoor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Northmoor]:
    folder = tmp_path_factory.mktemp("northmoor")
    clock = ScenarioClock(START)
    ledger = bootstrap(Settings(database_url=f"sqlite:///{folder / 'ledger.db'}"), clock=clock)
    write_northmoor(ledger.app, clock)
    auditor, signer = ledger.auditor(), ledger.signer()
    auditor.checkpoint(signer, at=clock() + timedelta(hours=1))
    clock.set(clock() + timedelta(days=2))
    ledger.app.handle(
        msgspec.convert(
            {
                "type": "ReviseSection",
                "actor": {"id": "u-secretariat", "role": "secretariat"},
                "plan_id": str(IDS.plan),
                "section": "workforce",
                "text": "A SEND workforce plan.",
                "rationale": "Published plans change through a new revision.",
            },
            commands.AnyCommand,
        )
    )
    size = ledger.app.recorder.max_notification_id() or 0
    auditor.checkpoint(signer, at=clock() + timedelta(hours=1))
    yield Northmoor(ledger, clock, size)
    ledger.close()


@pytest.fixture(scope="module")
def full(northmoor: Northmoor) -> bytes:
    return export(northmoor.ledger)[0]


@pytest.fixture(scope="module")
def partial(northmoor: Northmoor) -> bytes:
    selection = Selection.of(IDS.partnership, date(2025, 12, 1), date(2026, 1, 31))
    return export(northmoor.ledger, selection)[0]


def test_a_full_bundle_holds_every_event_and_checkpoint_and_verifies(
    northmoor: Northmoor, full: bytes
) -> None:
    report = verify(full)

    assert report.ok, report.problems
    assert report.kind == "full"
    assert report.events == northmoor.size == NORTHMOOR_EVENTS + 1
    assert report.checkpoints == 2
    assert list(members(full)) == [EVENTS, CHECKPOINTS, PUBLIC_KEY, MANIFEST, SIGNATURE]
    held = json.loads(members(full)[CHECKPOINTS])
    assert [c["tree_size"] for c in held["checkpoints"]] == [NORTHMOOR_EVENTS, northmoor.size]
    assert len(held["consistency"]) == 1
    assert held["consistency"][0]["proof"]
    manifest = json.loads(members(full)[MANIFEST])
    assert manifest["format"] == "inclusion-ledger-audit-bundle"
    assert manifest["version"] == 1
    assert manifest["selection"] == {
        "kind": "full",
        "partnership_id": None,
        "from": None,
        "to": None,
    }
    assert manifest["events"] == northmoor.size
    assert manifest["checkpoint"] == held["checkpoints"][-1]
    assert set(manifest["members"]) == {EVENTS, CHECKPOINTS, PUBLIC_KEY}
    assert "Verified the full bundle" in report.summary()
    assert "pin it with --trusted-key" in report.summary()


def test_the_same_export_at_the_same_moment_gives_the_same_bytes(
    northmoor: Northmoor, full: bytes
) -> None:
    assert export(northmoor.ledger)[0] == full
    assert export(northmoor.ledger, created_at=CREATED + timedelta(days=1))[0] != full


def test_every_line_is_a_cloudevent_the_sdk_reads_carrying_the_stored_event(
    northmoor: Northmoor, full: bytes
) -> None:
    app = northmoor.ledger.app
    stored = {n.id: n for n in app.recorder.select_notifications(start=1, limit=1000)}
    event_lines = members(full)[EVENTS].splitlines()
    assert len(event_lines) == northmoor.size

    for line in event_lines:
        event = from_json(line, data_unmarshaller=lambda b: b)
        attributes = event.get_attributes()
        position = attributes["ledgerposition"]
        row = stored[position]
        decoded = app.mapper.to_domain_event(row)
        assert attributes["specversion"] == "1.0"
        assert attributes["id"] == f"{row.originator_id}:{row.originator_version}"
        assert attributes["subject"] == str(row.originator_id)
        assert attributes["type"] == row.topic
        assert attributes["source"] == f"urn:inclusion-ledger:{IDS.partnership}"
        assert attributes["datacontenttype"] == "application/json"
        assert attributes["ledgerversion"] == row.originator_version
        assert datetime.fromisoformat(attributes["time"]) == decoded.timestamp  # type: ignore[attr-defined]
        assert event.get_data() == row.state
        leaf = event_leaf_hash(
            position, UUID(str(row.originator_id)), row.originator_version, row.topic, row.state
        )
        assert attributes["ledgerleaf"] == leaf.hex()
        assert all(name.isalnum() and name.islower() for name in attributes)
        assert b'"data_base64"' in line
        assert b'"data":' not in line
    assert {json.loads(line)["type"] for line in event_lines} >= {"DecisionTaken", "VoteRecorded"}


def test_a_partial_bundle_holds_the_selection_with_proofs_against_the_latest_checkpoint(
    northmoor: Northmoor, full: bytes, partial: bytes
) -> None:
    report = verify(partial)

    assert report.ok, report.problems
    assert report.kind == "partial"
    assert list(members(partial)) == [EVENTS, PROOFS, CHECKPOINTS, PUBLIC_KEY, MANIFEST, SIGNATURE]
    held = json.loads(members(partial)[CHECKPOINTS])
    assert held["checkpoints"] == json.loads(members(full)[CHECKPOINTS])["checkpoints"][-1:]
    assert held["consistency"] == []
    events = lines(members(partial)[EVENTS])
    proofs = lines(members(partial)[PROOFS])
    assert 0 < len(events) < northmoor.size
    assert [p["position"] for p in proofs] == [e["ledgerposition"] for e in events]
    assert all("2025-12-01" <= str(e["time"])[:10] <= "2026-01-31" for e in events)
    everything = lines(members(full)[EVENTS])
    assert events == [e for e in everything if "2025-12-01" <= str(e["time"])[:10] <= "2026-01-31"]
    assert "Verified the partial bundle" in report.summary()


def test_a_trusted_key_pins_the_ledger_key_and_any_other_key_is_unknown(
    northmoor: Northmoor, full: bytes
) -> None:
    ledger_key = northmoor.ledger.signer().public_key
    assert verify(full, trusted_key=ledger_key).ok
    assert "trusted key" in verify(full, trusted_key=ledger_key).summary()

    other = Signer(Ed25519PrivateKey.generate())
    report = verify(full, trusted_key=other.public_key)

    assert not report.ok
    assert report.problems[0].kind == "key"
    assert "unknown key" in report.problems[0].detail
    assert parse_public_key(members(full)[PUBLIC_KEY].decode()) == ledger_key


def test_the_signing_adapter_s_check_reports_as_the_two_functions_do(full: bytes) -> None:
    altered = rewrite(full, MANIFEST, lambda d: flip_text(d, b'"ledger": "', 2))
    other = Signer(Ed25519PrivateKey.generate()).public_key

    for bundle, trusted_key in ((full, None), (altered, None), (full, other)):
        by_port = verify_bundle(
            io.BytesIO(bundle), Ed25519SignatureCheck(), trusted_key=trusted_key
        )
        assert by_port == verify(bundle, trusted_key)
    assert verify_bundle(io.BytesIO(full), Ed25519SignatureCheck()).ok
    assert not verify_bundle(io.BytesIO(altered), Ed25519SignatureCheck()).ok


def test_a_checkpoint_signed_by_another_key_is_reported_as_an_unknown_key(full: bytes) -> None:
    other = Signer(Ed25519PrivateKey.generate())

    def resign(data: bytes) -> bytes:
        held = json.loads(data)
        cp = held["checkpoints"][0]
        message = checkpoint_message(
            cp["tree_size"],
            cp["root_hash"],
            cp["chain_hash"],
            datetime.fromisoformat(cp["signed_at"]),
        )
        cp.update(
            key_id=other.key_id,
            public_key=other.public_key.hex(),
            signature=other.sign(message).hex(),
        )
        return json.dumps(held).encode()

    report = verify(rewrite(full, CHECKPOINTS, resign))

    assert not report.ok
    assert report.problems[0].kind == "key"
    assert f"checkpoint 1 is signed by unknown key {other.key_id}" in report.problems[0].detail


TAMPERING = [
    pytest.param(EVENTS, edit_line(17, flip_actor_byte), "leaf", 17, id="one-byte-of-event-data"),
    pytest.param(
        EVENTS,
        edit_line(30, lambda e: e.update(type="DecisionDeferred")),
        "leaf",
        30,
        id="event-type",
    ),
    pytest.param(
        EVENTS,
        edit_line(9, lambda e: e.update(time="2025-09-02T10:00:00Z")),
        "event",
        9,
        id="event-time",
    ),
    pytest.param(EVENTS, swap_lines(21, 22), "order", 21, id="two-events-swapped"),
    pytest.param(
        EVENTS,
        lambda d: b"".join(d.splitlines(keepends=True)[:-1]),
        "truncated",
        None,
        id="last-event-dropped",
    ),
    pytest.param(
        EVENTS,
        edit_line(12, lambda e: e.update(source="urn:inclusion-ledger:ledger")),
        "member",
        None,
        id="event-source",
    ),
    pytest.param(
        CHECKPOINTS,
        lambda d: flip_text(d, b'"root_hash": "'),
        "signature",
        None,
        id="checkpoint-root",
    ),
    pytest.param(
        CHECKPOINTS,
        lambda d: flip_text(d, b'"proof": [\n        "'),
        "consistency",
        None,
        id="consistency-proof",
    ),
    pytest.param(
        MANIFEST,
        lambda d: flip_text(d, b'"created_at": "', 3),
        "manifest",
        None,
        id="manifest-date",
    ),
    pytest.param(
        MANIFEST, lambda d: flip_text(d, b'"sha256": "', 2), "manifest", None, id="manifest-digest"
    ),
    pytest.param(
        PUBLIC_KEY, lambda d: flip_text(d, b'"public_key": "', 4), "key", None, id="public-key"
    ),
    pytest.param(
        SIGNATURE, lambda d: flip_text(d, b'"signature": "', 7), "manifest", None, id="signature"
    ),
]


@pytest.mark.parametrize(("member", "edit", "kind", "position"), TAMPERING)
def test_changing_any_member_of_a_full_bundle_is_caught_and_named(
    full: bytes, member: str, edit: Callable[[bytes], bytes], kind: str, position: int | None
) -> None:
    tampered = rewrite(full, member, edit)
    assert tampered != full

    report = verify(tampered)

    assert not report.ok
    first = report.problems[0]
    assert (first.kind, first.position) == (kind, position), report.problems
    assert report.summary().startswith("Bundle check failed")
    if position is not None:
        assert f"at position {position}" in report.summary()


PARTIAL_TAMPERING = [
    pytest.param(EVENTS, "leaf", id="event-data"),
    pytest.param(PROOFS, "proof", id="proof-path"),
]


@pytest.mark.parametrize(("member", "kind"), PARTIAL_TAMPERING)
def test_changing_an_event_or_its_proof_in_a_partial_bundle_names_the_position(
    partial: bytes, member: str, kind: str
) -> None:
    position = int(str(lines(members(partial)[EVENTS])[3]["ledgerposition"]))

    def flip_path(line: dict[str, object]) -> None:
        path = line["path"]
        assert isinstance(path, list)
        path[1] = flip_hex(path[1])

    edit = edit_line(position, flip_actor_byte if member == EVENTS else flip_path)
    report = verify(rewrite(partial, member, edit))

    assert not report.ok
    assert (report.problems[0].kind, report.problems[0].position) == (kind, position)


def test_an_event_outside_the_selection_is_caught(partial: bytes, full: bytes) -> None:
    outside = members(full)[EVENTS].splitlines(keepends=True)[0]  # 2025-09-01: before the range

    report = verify(rewrite(partial, EVENTS, lambda d: outside + d))

    assert not report.ok
    assert report.problems[0].kind in ("selection", "proof")
    assert report.problems[0].position == 1


def flip_bit(at: int, bit: int) -> Callable[[bytes], bytes]:
    return lambda d: d[:at] + bytes([d[at] ^ bit]) + d[at + 1 :]


def test_no_one_bit_change_anywhere_in_any_member_goes_unnoticed(
    full: bytes, partial: bytes
) -> None:
    rng = random.Random(7)
    for bundle in (full, partial):
        held = members(bundle)
        for _ in range(80):
            name = rng.choice(sorted(held))
            at, bit = rng.randrange(len(held[name])), 1 << rng.randrange(8)

            report = verify(rewrite(bundle, name, flip_bit(at, bit)))

            assert not report.ok, (name, at, bit)
            assert report.problems[0].detail


def test_random_damage_to_the_archive_is_a_report_or_bad_input_never_a_crash(
    full: bytes,
) -> None:
    rng = random.Random(8)
    for _ in range(150):
        at, bit = rng.randrange(len(full)), 1 << rng.randrange(8)
        with contextlib.suppress(NotABundle):
            verify(flip_bit(at, bit)(full))


def test_a_flipped_byte_in_the_archive_itself_is_caught_as_damage(full: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(full)) as zf:
        info = zf.getinfo(EVENTS)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    damaged = full[:start] + bytes([full[start] ^ 0xFF]) + full[start + 1 :]

    report = verify(damaged)

    assert not report.ok
    assert report.problems[0].kind == "damaged"
    assert EVENTS in report.problems[0].detail


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"%PDF-1.7\n" + bytes(range(256)) * 8, id="foreign-file"),
        pytest.param(
            lambda b: _zip_of({"manifest.json": b'{"manifest_version": 3}', "icon.png": b""}),
            id="foreign-zip",
        ),
    ],
)
def test_a_file_that_is_not_a_bundle_is_refused_as_bad_input(
    full: bytes, make: Callable[[bytes], bytes]
) -> None:
    with pytest.raises(NotABundle, match="not an audit bundle"):
        verify(make(full))


def _zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_a_validly_signed_manifest_of_a_newer_version_is_refused_as_bad_input(
    northmoor: Northmoor, full: bytes
) -> None:
    signer = northmoor.ledger.signer()
    manifest = members(full)[MANIFEST].replace(b'"version": 1', b'"version": 2')
    signature = msgspec.json.format(
        msgspec.json.encode({"key_id": signer.key_id, "signature": signer.sign(manifest).hex()}),
        indent=2,
    )
    newer = rewrite(
        rewrite(full, MANIFEST, lambda _: manifest), SIGNATURE, lambda _: signature + b"\n"
    )

    with pytest.raises(NotABundle, match="version 2"):
        verify(newer)


def test_events_after_the_latest_checkpoint_are_left_out_and_counted(
    tmp_path: Path,
) -> None:
    clock = ScenarioClock(START)
    ledger = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}"), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        with pytest.raises(ExportRefused, match="inclusion-ledger checkpoint"):
            export(ledger)
        ledger.auditor().checkpoint(ledger.signer(), at=clock())
        ledger.app.handle(
            msgspec.convert(
                {
                    "type": "ReviseSection",
                    "actor": {"id": "u-secretariat", "role": "secretariat"},
                    "plan_id": str(IDS.plan),
                    "section": "workforce",
                    "text": "A SEND workforce plan.",
                    "rationale": "Published plans change through a new revision.",
                },
                commands.AnyCommand,
            )
        )

        bundle, summary = export(ledger)

        assert summary.events == NORTHMOOR_EVENTS
        assert summary.later_events == 1
        assert verify(bundle).events == NORTHMOOR_EVENTS
    finally:
        ledger.close()


def test_a_ledger_whose_stored_event_was_altered_is_not_exported(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    clock = ScenarioClock(START)
    ledger = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        ledger.auditor().checkpoint(ledger.signer(), at=clock())
        with sqlite3.connect(path) as conn:
            conn.execute(
                "UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), 'Priya', "
                "'Pryia') AS BLOB) WHERE rowid = 2"
            )

        with pytest.raises(AuditFailed, match="at position 2"):
            export(ledger)
    finally:
        ledger.close()


# A generated ledger of several partnerships


@dataclass
class Generated:
    ledger: Ledger
    result: GeneratedLedger


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    folder = tmp_path_factory.mktemp("generated")
    clock = ScenarioClock(START)
    ledger = bootstrap(Settings(database_url=f"sqlite:///{folder / 'ledger.db'}"), clock=clock)
    result = generate(ledger.app, clock, events=22_500, seed=11)
    assert len(result.partnership_ids) >= 3
    ledger.auditor().checkpoint(ledger.signer(), at=clock() + timedelta(hours=1))
    ledger.projector.catch_up()
    yield Generated(ledger, result)
    ledger.close()


def test_a_partial_bundle_of_one_partnership_and_dates_verifies_against_the_full_log(
    generated: Generated,
) -> None:
    ledger, result = generated.ledger, generated.result
    partnership = result.partnership_ids[1]
    assert result.first_at is not None
    since = (result.first_at + timedelta(days=90)).date()
    until = (result.first_at + timedelta(days=240)).date()
    checkpoint = ledger.auditor().log.checkpoints()[-1]

    bundle, summary = export(ledger, Selection.of(partnership, since, until))
    report = verify(bundle, trusted_key=ledger.signer().public_key)

    assert report.ok, report.problems
    assert report.checkpoint == checkpoint.sequence
    assert report.tree_size == checkpoint.tree_size == result.events
    assert json.loads(members(bundle)[CHECKPOINTS])["checkpoints"] == [
        msgspec.to_builtins(checkpoint)
    ]
    ids = {doc.id for model in MODELS for doc in ledger.read_store.scan(model, partnership)}
    expected = [
        n.id
        for n in _notifications(ledger)
        if UUID(str(n.originator_id)) in ids
        and since <= ledger.app.mapper.to_domain_event(n).timestamp.date() <= until  # type: ignore[attr-defined]
    ]
    held = lines(members(bundle)[EVENTS])
    assert [e["ledgerposition"] for e in held] == expected
    assert 100 < summary.events == len(held) < result.events // 3
    assert {e["source"] for e in held} == {f"urn:inclusion-ledger:{partnership}"}
    assert {UUID(str(e["subject"])) for e in held} <= ids


def test_a_whole_generated_log_exports_and_verifies(generated: Generated) -> None:
    bundle, summary = export(generated.ledger)

    report = verify(bundle)

    assert report.ok, report.problems
    assert report.events == summary.events == generated.result.events
    sources = {e["source"] for e in lines(members(bundle)[EVENTS])}
    assert sources == {f"urn:inclusion-ledger:{p}" for p in generated.result.partnership_ids}


def _notifications(ledger: Ledger) -> Iterator[Any]:
    start = 1
    while page := ledger.app.recorder.select_notifications(start=start, limit=5000):
        yield from page
        start = page[-1].id + 1
