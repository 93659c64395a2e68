"""Commands as JSON: the one decoder for every edge that takes them (the CLI's `command` today).

It refuses, in one sentence naming the field: a command over the size limit
(`LEDGER_MAX_COMMAND_BYTES`), a field the command does not define (a misspelt
optional field would otherwise store its default without a word), a text longer
than its kind's limit (`commands.TEXT_LIMITS`), and anything msgspec cannot
read as the command's type.
"""

from __future__ import annotations

import difflib
import enum
import re
import typing
from typing import Any

import msgspec
import msgspec.inspect

from services.ledger.commands import TEXT_LIMITS, AnyCommand, Command, Name, Reference
from services.ledger.plan_templates import REGISTERED, PlanTemplates

DEFAULT_MAX_COMMAND_BYTES = 1_000_000


class InvalidCommand(ValueError):
    """The input is not a command the ledger can take; nothing was stored."""


class _StrictActor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The actor as a command gives it. `domain.values.Actor` also reads stored
    events, where tolerating fields a newer release adds is the point."""

    id: Reference
    role: Name


class _ActorOfCommand(msgspec.Struct, frozen=True):
    actor: _StrictActor | None = None


_DECODER: msgspec.json.Decoder[AnyCommand] = msgspec.json.Decoder(AnyCommand)
_ACTOR_DECODER = msgspec.json.Decoder(_ActorOfCommand)
_TYPES: dict[str, type[Command]] = {
    str(t.__struct_config__.tag): t for t in typing.get_args(AnyCommand)
}


class _Tagged(msgspec.Struct):
    type: str = ""


_TAG_DECODER = msgspec.json.Decoder(_Tagged)
_KIND_OF_LIMIT = {limit: kind for kind, limit in TEXT_LIMITS.items()}
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<field>[^`]*)`(?: - at `(?P<at>[^`]*)`)?")
_TOO_LONG = re.compile(r"Expected `str` of length <= (?P<limit>\d+) - at `(?P<at>[^`]*)`")
_TOO_LONG_KEY = re.compile(
    r"Expected `str` of length <= (?P<limit>\d+) - at `key` in `(?P<at>[^`]*)`"
)
_NO_SUCH_TYPE = re.compile(r"Invalid value (?P<tag>.*) - at `\$\.type`")


def decode_command(data: bytes, *, max_bytes: int) -> AnyCommand:
    """The command in `data` (JSON), or `InvalidCommand` saying what is wrong with it."""
    if len(data) > max_bytes:
        raise InvalidCommand(
            f"The command is over the limit of {max_bytes:,} bytes (LEDGER_MAX_COMMAND_BYTES)."
        )
    try:
        command = _DECODER.decode(data)
        _ACTOR_DECODER.decode(data)
    except msgspec.ValidationError as e:
        raise InvalidCommand(f"The command is not valid: {_readable(str(e), data)}") from None
    except msgspec.DecodeError as e:
        raise InvalidCommand(f"The command is not JSON: {e}.") from None
    return command


def command_schema(templates: PlanTemplates = REGISTERED) -> dict[str, Any]:
    """The JSON Schema of every command type (what `command --schema` prints). Every
    enumeration lists its values in the order the domain declares them, each id the
    ledger assigns when it is omitted says so, and a plan template is one of those
    registered, each with its sections."""
    schema = msgspec.json.schema(AnyCommand)
    defs = schema.get("$defs", {})
    actor = defs.get("Actor")
    if isinstance(actor, dict):
        actor["additionalProperties"] = False
        actor["properties"]["id"]["maxLength"] = TEXT_LIMITS["a reference"]
        actor["properties"]["role"]["maxLength"] = TEXT_LIMITS["a name"]
    for enumeration in _enumerations(msgspec.inspect.type_info(AnyCommand)):
        defs[enumeration.__name__]["enum"] = [member.value for member in enumeration]
    template = defs.get("TemplateRef")
    if isinstance(template, dict):
        template["enum"] = [{"name": t.name, "version": t.version} for t in templates]
        registered = "; ".join(
            f"{t.name} v{t.version}, with sections {', '.join(s.key for s in t.sections)}"
            for t in templates
        )
        template["description"] = f"A registered plan template, by name and version: {registered}."
    return schema


def _enumerations(info: msgspec.inspect.Type) -> list[type[enum.Enum]]:
    """The enumeration types `info` holds, however deep, each once."""
    found: dict[type[enum.Enum], None] = {}
    seen: set[type] = set()

    def walk(t: msgspec.inspect.Type) -> None:
        match t:
            case msgspec.inspect.EnumType():
                found[t.cls] = None
            case msgspec.inspect.StructType() if t.cls not in seen:
                seen.add(t.cls)
                for f in t.fields:
                    walk(f.type)
            case msgspec.inspect.UnionType():
                for member in t.types:
                    walk(member)
            case msgspec.inspect.Metadata():
                walk(t.type)
            case msgspec.inspect.CollectionType():
                walk(t.item_type)
            case msgspec.inspect.DictType():
                walk(t.key_type)
                walk(t.value_type)
            case msgspec.inspect.TupleType():
                for item in t.item_types:
                    walk(item)

    walk(info)
    return list(found)


def _readable(message: str, data: bytes) -> str:
    if found := _UNKNOWN.fullmatch(message):
        return _unknown_field(found["field"], found["at"] or "$", data)
    if found := _NO_SUCH_TYPE.fullmatch(message):
        return f"there is no command type {found['tag']} (`command --schema` lists them)."
    if message == "Object missing required field `type`":
        return "it has no `type` naming the command (`command --schema` lists them)."
    if found := _TOO_LONG_KEY.fullmatch(message):
        return f"a key in {_field(found['at'])} is {_too_long(int(found['limit']))}."
    if found := _TOO_LONG.fullmatch(message):
        return f"{_field(found['at'])} is {_too_long(int(found['limit']))}."
    return f"{message}."


def _unknown_field(field: str, at: str, data: bytes) -> str:
    if at == "$.actor":
        owner, known = "the actor", _fields_of(_StrictActor)
    else:
        tag = _TAG_DECODER.decode(data).type
        found = _TYPES.get(tag)
        if found is None:
            return f"{_field(at)} has no field `{field}`."
        kind: type[msgspec.Struct] = found
        owner = tag
        for step in at.removeprefix("$").split(".")[1:]:
            nested = _struct_field_type(kind, step)
            if nested is None:
                return f"{_field(at)} of {tag} has no field `{field}`."
            kind, owner = nested, f"{_field(at)} of {tag}"
        known = _fields_of(kind)
    close = difflib.get_close_matches(field, known, n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return f"{owner} has no field `{field}`{hint}; its fields are {', '.join(known)}."


def _fields_of(kind: type[msgspec.Struct]) -> list[str]:
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType)
    return [f.encode_name for f in info.fields]


def _struct_field_type(kind: type[msgspec.Struct], name: str) -> type[msgspec.Struct] | None:
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType)
    for f in info.fields:
        if f.encode_name == name:
            inner = f.type
            if isinstance(inner, msgspec.inspect.UnionType):
                inner = next(
                    (t for t in inner.types if isinstance(t, msgspec.inspect.StructType)), inner
                )
            return inner.cls if isinstance(inner, msgspec.inspect.StructType) else None
    return None


def _field(at: str) -> str:
    path = at.removeprefix("$.").replace("[...]", "")
    return f"`{path}`"


def _too_long(limit: int) -> str:
    kind = _KIND_OF_LIMIT.get(limit)
    named = f", the limit for {kind}" if kind else ""
    return f"longer than {limit:,} characters{named}"
