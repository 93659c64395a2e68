"""Aggregates are copied out of the cache for every command with a one-level copy:
that is only safe while their state is immutable values or flat containers of them."""

from __future__ import annotations

import copy
from datetime import date, datetime
from enum import Enum
from uuid import UUID

import msgspec
import pytest

from domain.base import LedgerAggregate
from services.demo.cast import IDS
from services.demo.northmoor import write_northmoor
from tests.unit.builders import a_clock, an_app

IMMUTABLE = (str, int, float, bool, bytes, date, datetime, UUID, Enum, type(None))


def is_immutable(value: object) -> bool:
    if isinstance(value, IMMUTABLE):
        return True
    if isinstance(value, tuple):
        return all(is_immutable(v) for v in value)
    if isinstance(value, msgspec.Struct):
        frozen = bool(type(value).__struct_config__.frozen)
        return frozen and all(is_immutable(getattr(value, f)) for f in value.__struct_fields__)
    return False


def northmoor_aggregates() -> list[LedgerAggregate]:
    clock = a_clock()
    app = an_app(clock)
    write_northmoor(app, clock)
    ids = (IDS.partnership, IDS.plan, IDS.decision, IDS.contribution_c118, IDS.meeting, IDS.action)
    return [app.repository.get(i) for i in ids]


@pytest.mark.parametrize("aggregate", northmoor_aggregates(), ids=lambda a: type(a).__name__)
def test_aggregate_state_is_immutable_values_or_flat_containers_of_them(
    aggregate: LedgerAggregate,
) -> None:
    for name, value in vars(aggregate).items():
        if name == "_pending_events":
            continue
        if isinstance(value, dict):
            assert all(is_immutable(k) and is_immutable(v) for k, v in value.items()), name
        elif isinstance(value, list | set):
            assert all(is_immutable(v) for v in value), name
        else:
            assert is_immutable(value), name


@pytest.mark.parametrize("aggregate", northmoor_aggregates(), ids=lambda a: type(a).__name__)
def test_changing_a_copy_leaves_the_original_as_it_was(aggregate: LedgerAggregate) -> None:
    before = {k: copy.copy(v) for k, v in vars(aggregate).items()}
    clone = copy.deepcopy(aggregate)

    for value in vars(clone).values():
        if isinstance(value, dict | list | set):
            value.clear()

    assert vars(aggregate) == before
    assert type(clone) is type(aggregate)
