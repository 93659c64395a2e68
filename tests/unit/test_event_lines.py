"""Lines of a bundle's events.jsonl, written with msgspec, read by the CloudEvents SDK.

The exporter writes each line itself, in the CloudEvents structured format; the
verifier reads it with the CloudEvents SDK (`parse_event_line`). Hypothesis checks
that whatever a stored event holds (any topic text, any bytes around its timestamp,
any position and version) the SDK reads back the same event, partnership, time and
leaf, and that the line is exactly one line of compact JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit import event_leaf_hash
from services.audit.bundle_event_lines import event_line, parse_event_line

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(1, 2**63 - 1),
    aggregate_id=st.uuids(),
    version=st.integers(1, 2**63 - 1),
    topic=st.text(min_size=1, max_size=40),
    when=MOMENTS,
    other=st.text(max_size=40),
    partnership_id=st.none() | st.uuids(),
)
def test_the_sdk_reads_every_line_back_as_the_stored_event(
    position: int,
    aggregate_id: UUID,
    version: int,
    topic: str,
    when: datetime,
    other: str,
    partnership_id: UUID | None,
) -> None:
    state = msgspec.json.encode({"timestamp": when, "other": other})
    leaf = event_leaf_hash(position, aggregate_id, version, topic, state)

    line = event_line((position, aggregate_id, version, topic, state), leaf, when, partnership_id)
    event = parse_event_line(line)

    assert (event.position, event.aggregate_id, event.version, event.topic, event.data) == (
        position,
        aggregate_id,
        version,
        topic,
        state,
    )
    assert (event.partnership_id, event.time, event.leaf) == (partnership_id, when, leaf)
    assert b"\n" not in line
    assert list(json.loads(line))[:8] == [
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "subject",
        "time",
        "data_base64",
    ]
