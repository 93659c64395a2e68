"""The lines of a bundle's events.jsonl: one stored event as a CloudEvent, both ways.

The exporter writes each line itself with msgspec, in the CloudEvents structured
format (`event_line`); the verifier reads it with the CloudEvents SDK and checks it
against the format (`parse_event_line`). services/audit/bundle_format.py describes
the line's attributes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple
from uuid import UUID

import msgspec
from cloudevents.http import from_json

from domain.merkle import HASH_SIZE
from services.audit.auditor import EventRow
from services.audit.bundle_format import (
    CONTENT_TYPE,
    ENCODER,
    SOURCE_PREFIX,
    WHOLE_LEDGER,
    from_hex,
    rfc3339,
    source_of,
)


class BundledEvent(NamedTuple):
    """One line of events.jsonl, read and checked as a CloudEvent."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    data: bytes
    time: datetime
    partnership_id: UUID | None
    leaf: bytes


class _Stamp(msgspec.Struct):
    timestamp: datetime


_STAMP = msgspec.json.Decoder(_Stamp)
_ATTRIBUTE_NAME = re.compile(r"[a-z0-9]{1,20}")
_REQUIRED = ("specversion", "id", "source", "type", "datacontenttype", "subject", "time")
_EXTENSIONS = ("ledgerposition", "ledgerversion", "ledgerleaf")


class _EventLine(msgspec.Struct, frozen=True):
    """A line of events.jsonl as written: a CloudEvent in structured mode, its attributes
    in the CloudEvents SDK's order, the stored bytes base64-encoded in `data_base64`."""

    specversion: str
    id: str
    source: str
    type: str
    datacontenttype: str
    subject: str
    time: datetime
    data_base64: bytes
    ledgerposition: int
    ledgerversion: int
    ledgerleaf: str


_EVENT_LINE = msgspec.json.Decoder(_EventLine)


def event_line(row: EventRow, leaf: bytes, when: datetime, partnership_id: UUID | None) -> bytes:
    """The events.jsonl line of one stored event, read back before it is used. Written
    with msgspec; the CloudEvents SDK reads it as the same event (`parse_event_line`)."""
    position, aggregate_id, version, topic, state = row
    subject = str(aggregate_id)
    line = ENCODER.encode(
        _EventLine(
            specversion="1.0",
            id=f"{subject}:{version}",
            source=source_of(partnership_id),
            type=topic,
            datacontenttype=CONTENT_TYPE,
            subject=subject,
            time=when.astimezone(UTC),
            data_base64=state,
            ledgerposition=position,
            ledgerversion=version,
            ledgerleaf=leaf.hex(),
        )
    )
    back = _EVENT_LINE.decode(line)
    if (back.ledgerposition, back.subject, back.ledgerversion, back.type, back.data_base64) != (
        position,
        subject,
        version,
        topic,
        state,
    ):
        raise RuntimeError(f"the CloudEvent of position {position} does not read back as written")
    return line


class EventLineError(ValueError):
    """A line of events.jsonl is not a CloudEvent of this format."""

    def __init__(self, detail: str, position: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.position = position


def parse_event_line(line: bytes) -> BundledEvent:
    """Read one events.jsonl line with the CloudEvents SDK and check it against the format.

    Raises EventLineError naming what is wrong (and the position, once known).
    """
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError) as e:
        raise EventLineError(f"not JSON ({e})") from None
    if not isinstance(raw, dict):
        raise EventLineError("not a JSON object")
    position = raw.get("ledgerposition")
    at = position if isinstance(position, int) and not isinstance(position, bool) else None

    def bad(detail: str) -> EventLineError:
        return EventLineError(detail, at)

    missing = [name for name in (*_REQUIRED, *_EXTENSIONS, "data_base64") if name not in raw]
    if missing:
        raise bad(f"lacks {', '.join(missing)}")
    if "data" in raw:
        raise bad("carries `data`; the stored bytes belong in `data_base64`")
    try:
        event = from_json(line, data_unmarshaller=_raw_bytes)
    except Exception as e:  # the SDK's own errors, or anything odd input makes it raise
        raise bad(f"not a valid CloudEvent ({type(e).__name__}: {e})") from None
    attributes = event.get_attributes()
    if "extensions" in raw or any(name not in attributes for name in (*_REQUIRED, *_EXTENSIONS)):
        raise bad("the CloudEvents SDK does not read back its attributes")
    for name in raw:
        if name != "data_base64" and not _ATTRIBUTE_NAME.fullmatch(name):
            raise bad(f"attribute name {name!r} is not lower-case letters and digits")
    if attributes["specversion"] != "1.0":
        raise bad(f"specversion is {attributes['specversion']!r}, not '1.0'")
    if attributes["datacontenttype"] != CONTENT_TYPE:
        raise bad(f"datacontenttype is not {CONTENT_TYPE}")
    if at is None or at < 1:
        raise bad("ledgerposition is not a positive whole number")
    version = attributes["ledgerversion"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad("ledgerversion is not a positive whole number")
    topic, subject = attributes["type"], attributes["subject"]
    if not isinstance(topic, str) or not topic:
        raise bad("type is empty")
    try:
        aggregate_id = UUID(str(subject))
    except ValueError:
        raise bad(f"subject {subject!r} is not an aggregate id") from None
    if str(aggregate_id) != subject:
        raise bad(f"subject {subject!r} is not an aggregate id in canonical form")
    if attributes["id"] != f"{aggregate_id}:{version}":
        raise bad(f"id {attributes['id']!r} is not <subject>:<ledgerversion>")
    partnership_id = _partnership_of_source(attributes["source"], bad)
    leaf = _hex_hash(attributes["ledgerleaf"], "ledgerleaf", bad)
    encoded = raw["data_base64"]
    try:
        if not isinstance(encoded, str):
            raise ValueError("not a string")
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise bad("data_base64 is not valid base64") from None
    if data != event.get_data():
        raise bad("data_base64 reads differently from what the CloudEvents SDK reads")
    when = _time(attributes["time"], bad)
    try:
        stamp = _STAMP.decode(data).timestamp
    except (ValueError, RecursionError):
        raise bad("its data is not a stored event with a timestamp") from None
    if stamp != when:
        raise bad(f"time {attributes['time']} is not the event's own time {rfc3339(stamp)}")
    return BundledEvent(at, aggregate_id, version, topic, data, when, partnership_id, leaf)


def _raw_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def _partnership_of_source(source: object, bad: Callable[[str], EventLineError]) -> UUID | None:
    if not isinstance(source, str) or not source.startswith(SOURCE_PREFIX):
        raise bad(f"source {source!r} is not {SOURCE_PREFIX}<partnership id or 'ledger'>")
    name = source.removeprefix(SOURCE_PREFIX)
    if name == WHOLE_LEDGER:
        return None
    try:
        partnership_id = UUID(name)
    except ValueError:
        raise bad(f"source {source!r} does not name a partnership") from None
    if str(partnership_id) != name:
        raise bad(f"source {source!r} does not name a partnership in canonical form")
    return partnership_id


def _hex_hash(value: object, what: str, bad: Callable[[str], EventLineError]) -> bytes:
    try:
        digest = from_hex(value)
    except ValueError:
        raise bad(f"{what} is not lower-case hex") from None
    if len(digest) != HASH_SIZE:
        raise bad(f"{what} is not {HASH_SIZE} bytes")
    return digest


def _time(value: object, bad: Callable[[str], EventLineError]) -> datetime:
    try:
        if not isinstance(value, str) or "T" not in value.upper():
            raise ValueError(value)
        when = datetime.fromisoformat(value)
    except ValueError:
        raise bad(f"time {value!r} is not an RFC 3339 date and time") from None
    if when.tzinfo is None:
        raise bad(f"time {value!r} has no offset from UTC")
    return when
