"""Commands as JSON at the edges: unknown fields, over-long text and oversized input
are refused in one sentence naming the field and the limit; valid commands decode."""

from __future__ import annotations

import json
import typing
from typing import Any
from uuid import UUID

import pytest

from domain.values import Actor
from services.ledger import commands
from services.ledger.command_json import (
    DEFAULT_MAX_COMMAND_BYTES,
    InvalidCommand,
    command_schema,
    decode_command,
)

ACTOR = {"id": "u-secretariat", "role": "secretariat"}
PARTNERSHIP = "68fc327a-e8df-5c31-8a6d-3272181db69d"
COMMAND_TYPES: tuple[type[commands.Command], ...] = typing.get_args(commands.AnyCommand)


def terms(**fields: Any) -> dict[str, Any]:
    return {
        "type": "AdoptTermsOfReference",
        "actor": ACTOR,
        "partnership_id": PARTNERSHIP,
        "quorum": 5,
        "forum_required": True,
        **fields,
    }


def partnership(**fields: Any) -> dict[str, Any]:
    return {
        "type": "EstablishPartnership",
        "actor": ACTOR,
        "name": "Northmoor SEND and AP Partnership",
        "kind": "local_send_ap_partnership",
        "la_code": "Z99",
        "icb_code": "QZZ",
        **fields,
    }


def decode(
    payload: dict[str, Any], max_bytes: int = DEFAULT_MAX_COMMAND_BYTES
) -> commands.AnyCommand:
    return decode_command(json.dumps(payload).encode(), max_bytes=max_bytes)


def refusal(payload: dict[str, Any] | bytes, max_bytes: int = DEFAULT_MAX_COMMAND_BYTES) -> str:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with pytest.raises(InvalidCommand) as refused:
        decode_command(data, max_bytes=max_bytes)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_valid_command_decodes_to_its_type() -> None:
    command = decode(terms(description="Quorum: 5 voting members including the forum."))

    assert command == commands.AdoptTermsOfReference(
        actor=Actor(id="u-secretariat", role="secretariat"),
        partnership_id=UUID(PARTNERSHIP),
        quorum=5,
        forum_required=True,
        description="Quorum: 5 voting members including the forum.",
    )


def test_a_misspelt_optional_field_is_refused_naming_it_and_the_field_meant() -> None:
    message = refusal(terms(quorom=99))

    assert message == (
        "The command is not valid: AdoptTermsOfReference has no field `quorom` (did you mean "
        "`quorum`?); its fields are actor, partnership_id, quorum, forum_required, description."
    )


@pytest.mark.parametrize("kind", COMMAND_TYPES, ids=lambda t: t.__name__)
def test_every_command_type_refuses_a_field_it_does_not_define(
    kind: type[commands.Command],
) -> None:
    assert kind.__struct_config__.forbid_unknown_fields
    message = refusal({"type": kind.__name__, "colour": "blue", "actor": ACTOR})

    assert f"{kind.__name__} has no field `colour`" in message


def test_an_unknown_field_of_the_actor_is_refused_naming_it() -> None:
    message = refusal(terms(actor={**ACTOR, "rol": "chair"}))

    assert "the actor has no field `rol` (did you mean `role`?); its fields are id, role" in (
        message
    )


@pytest.mark.parametrize(
    ("payload", "field", "limit", "kind"),
    [
        (partnership(name="N" * 201), "`name`", "200", "a name"),
        (partnership(la_code="Z" * 101), "`la_code`", "100", "a reference"),
        (terms(description="d" * 20_001), "`description`", "20,000", "free text"),
        (
            partnership(actor={"id": "u" * 101, "role": "secretariat"}),
            "`actor.id`",
            "100",
            "a reference",
        ),
        (
            {
                "type": "ReviseSection",
                "actor": ACTOR,
                "plan_id": PARTNERSHIP,
                "section": "vision",
                "text": "t" * 100_001,
                "rationale": "r",
            },
            "`text`",
            "100,000",
            "a plan section",
        ),
        (
            {
                "type": "TriageContribution",
                "actor": ACTOR,
                "contribution_id": PARTNERSHIP,
                "themes": ["ok", "t" * 101],
            },
            "`themes[1]`",
            "100",
            "a reference",
        ),
        (
            {
                "type": "PublishPlan",
                "actor": ACTOR,
                "plan_id": PARTNERSHIP,
                "local_offer_url": "https://example.org/" + "x" * 2000,
            },
            "`local_offer_url`",
            "2,000",
            "a web address",
        ),
    ],
    ids=["name", "reference", "free-text", "actor", "section", "list-item", "web-address"],
)
def test_text_longer_than_its_kinds_limit_is_refused_naming_the_field_and_the_limit(
    payload: dict[str, Any], field: str, limit: str, kind: str
) -> None:
    message = refusal(payload)

    assert message == (
        f"The command is not valid: {field} is longer than {limit} characters, the limit for "
        f"{kind}."
    )


def test_text_at_its_kinds_limit_is_taken() -> None:
    command = decode(partnership(name="N" * 200, la_code="Z" * 100))

    assert isinstance(command, commands.EstablishPartnership)
    assert len(command.name) == 200


def test_a_command_over_the_size_limit_is_refused_naming_the_limit() -> None:
    payload = terms(description="d" * 2000)
    size = len(json.dumps(payload).encode())

    assert decode(payload, max_bytes=size) is not None
    assert refusal(payload, max_bytes=size - 1) == (
        f"The command is over the limit of {size - 1:,} bytes (LEDGER_MAX_COMMAND_BYTES)."
    )


def test_the_default_size_limit_is_one_megabyte() -> None:
    assert DEFAULT_MAX_COMMAND_BYTES == 1_000_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The command is not JSON"),
        (b'{"type": "Nonsense"}', "there is no command type 'Nonsense'"),
        (b'{"quorum": 5}', "it has no `type` naming the command"),
        (json.dumps(terms(quorum="five")).encode(), "Expected `int`, got `str` - at `$.quorum`"),
    ],
    ids=["not-json", "unknown-type", "no-type", "wrong-type"],
)
def test_input_that_is_not_a_command_is_refused_saying_why(data: bytes, message: str) -> None:
    assert message in refusal(data)


def test_the_schema_forbids_unknown_fields_and_gives_the_limits() -> None:
    schema = command_schema()
    defs = schema["$defs"]

    names = {kind.__name__ for kind in COMMAND_TYPES}
    assert names <= set(defs)
    for name in [*names, "Actor"]:
        assert defs[name]["additionalProperties"] is False, name
    assert defs["EstablishPartnership"]["properties"]["name"]["maxLength"] == 200
    assert defs["Actor"]["properties"]["id"]["maxLength"] == 100
