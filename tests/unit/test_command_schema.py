"""The write interface describes itself: `command --schema` names every command type,
lists the values every enumeration allows, says which ids the ledger assigns when a
command leaves them out, and names the plan templates registered."""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

import pytest

from services.ledger import commands
from services.ledger.command_json import command_schema
from services.ledger.commands import ASSIGNED_WHEN_OMITTED
from services.ledger.plan_templates import REGISTERED

COMMAND_TYPES: tuple[type[commands.Command], ...] = typing.get_args(commands.AnyCommand)
SCHEMA = command_schema()
DEFS: dict[str, Any] = SCHEMA["$defs"]

ASSIGNED_IDS = {
    ("EstablishPartnership", "partnership_id"),
    ("DraftPlan", "plan_id"),
    ("SubmitContribution", "contribution_id"),
    ("ProposeDecision", "decision_id"),
    ("ScheduleMeeting", "meeting_id"),
    ("CommitAction", "action_id"),
}
"""The ids the service assigns when a command omits them (its handlers' `given_or_new_id`)."""


def resolved(node: dict[str, Any]) -> dict[str, Any]:
    """The schema a property's `$ref` points at, through `anyOf` (optional) and `items`."""
    if "$ref" in node:
        return resolved(DEFS[node["$ref"].removeprefix("#/$defs/")])
    if "items" in node:
        return resolved(node["items"])
    if "anyOf" in node:
        (inner,) = [n for n in node["anyOf"] if n != {"type": "null"}]
        return resolved(inner)
    return node


def enumeration_of(annotation: object) -> type[enum.Enum] | None:
    """The enumeration a field's type holds: itself, optional, or a tuple of them."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    if typing.get_origin(annotation) in (tuple, typing.Union, types.UnionType):
        found = {e for a in typing.get_args(annotation) if (e := enumeration_of(a))}
        return found.pop() if found else None
    return None


def enumeration_fields() -> list[tuple[str, str, type[enum.Enum]]]:
    return [
        (kind.__name__, field, found)
        for kind in COMMAND_TYPES
        for field, annotation in typing.get_type_hints(kind).items()
        if (found := enumeration_of(annotation)) is not None
    ]


def test_the_schema_names_every_command_type() -> None:
    names = {kind.__name__ for kind in COMMAND_TYPES}

    assert {ref["$ref"].removeprefix("#/$defs/") for ref in SCHEMA["anyOf"]} == names
    assert set(SCHEMA["discriminator"]["mapping"]) == names
    for name in names:
        assert DEFS[name]["properties"]["type"] == {"enum": [name]}


def test_the_enumerations_found_include_every_kind_a_newcomer_meets() -> None:
    fields = {field for _, field, _ in enumeration_fields()}

    assert fields >= {
        "sector",
        "stance",
        "channel",
        "channels",
        "depth",
        "influence",
        "category",
        "contributor_kind",
        "outcome",
    }


@pytest.mark.parametrize(
    ("command", "field", "enumeration"),
    enumeration_fields(),
    ids=[f"{c}.{f}" for c, f, _ in enumeration_fields()],
)
def test_every_enumeration_field_lists_its_values_in_the_order_the_domain_declares_them(
    command: str, field: str, enumeration: type[enum.Enum]
) -> None:
    schema = resolved(DEFS[command]["properties"][field])

    assert schema["enum"] == [member.value for member in enumeration]


def test_each_id_the_ledger_assigns_when_omitted_says_so_and_no_other_does() -> None:
    described = {
        (name, field)
        for name, definition in DEFS.items()
        if name in {kind.__name__ for kind in COMMAND_TYPES}
        for field, schema in definition["properties"].items()
        if ASSIGNED_WHEN_OMITTED in schema.get("description", "")
    }

    assert described == ASSIGNED_IDS
    for name, field in ASSIGNED_IDS:
        assert field not in DEFS[name]["required"]


def test_the_partnership_kind_is_open_and_says_so_with_the_usual_kinds() -> None:
    kind = DEFS["EstablishPartnership"]["properties"]["kind"]

    assert "not a fixed list" in kind["description"]
    assert "local_send_ap_partnership" in kind["examples"]
    assert "enum" not in kind


def test_a_plan_template_is_one_of_those_registered_and_names_their_sections() -> None:
    template = DEFS["TemplateRef"]

    assert template["enum"] == [{"name": t.name, "version": t.version} for t in REGISTERED]
    for registered in REGISTERED:
        assert f"{registered.name} v{registered.version}" in template["description"]
        for section in registered.sections:
            assert section.key in template["description"]
