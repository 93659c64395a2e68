"""Who and what the Northmoor scenario is about: stable ids, the board's members and
officers, and the clock the scenario sets before each step."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from domain.values import Actor, Sector

NORTHMOOR = uuid5(NAMESPACE_URL, "urn:inclusion-ledger:demo:northmoor")


def demo_id(reference: str) -> UUID:
    """Stable ids, so the demo's D-24-07 has the same id in every fresh ledger."""
    return uuid5(NORTHMOOR, reference)


class ScenarioClock:
    """A clock the scenario sets before each step, so stored times tell its story."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


class NorthmoorIds(msgspec.Struct, frozen=True):
    partnership: UUID
    plan: UUID
    decision: UUID
    contribution_c118: UUID
    contribution_c112: UUID
    meeting: UUID
    action: UUID


IDS = NorthmoorIds(
    partnership=demo_id("partnership"),
    plan=demo_id("plan/LIP-2026-2029"),
    decision=demo_id("decision/D-24-07"),
    contribution_c118=demo_id("contribution/C-118"),
    contribution_c112=demo_id("contribution/C-112"),
    meeting=demo_id("meeting/2026-01-14"),
    action=demo_id("action/A-31"),
)

SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
ENGAGEMENT = Actor(id="u-engagement-officer", role="engagement_officer")
DFE = Actor(id="u-dfe-reviewer", role="dfe_reviewer")
CHAIR = Actor(id="m-la-director", role="chair")

MEMBERS = (
    (
        "m-la-director",
        "Priya Shah",
        "Director of Children's Services",
        Sector.LOCAL_AUTHORITY,
        "Northmoor Council",
    ),
    ("m-icb-lead", "Dr Tom Okafor", "ICB SEND lead", Sector.HEALTH, "Northmoor and Dale ICB"),
    (
        "m-forum-cochair",
        "Helen Marsh",
        "Parent carer forum co-chair",
        Sector.PARENT_CARER_FORUM,
        "Northmoor Parent Carer Forum",
    ),
    ("m-early-years", "Sam Reid", "Early years lead", Sector.EARLY_YEARS, "Northmoor Council"),
    (
        "m-primary-head",
        "Grace Lin",
        "Primary head teacher",
        Sector.SCHOOLS,
        "Moorside Primary School",
    ),
    (
        "m-special-head",
        "Owen Price",
        "Special school head",
        Sector.SPECIALIST_PROVISION,
        "Heathfield Special School",
    ),
    (
        "m-fe-principal",
        "Aisha Begum",
        "FE principal",
        Sector.FURTHER_EDUCATION,
        "Northmoor College",
    ),
    (
        "m-ap-head",
        "Mark Doyle",
        "AP head",
        Sector.ALTERNATIVE_PROVISION,
        "Northmoor Pupil Referral Unit",
    ),
    (
        "m-social-care",
        "Jo Evans",
        "Head of children's social care",
        Sector.SOCIAL_CARE,
        "Northmoor Council",
    ),
    (
        "m-young-people",
        "Kai Morgan",
        "Young people's representative",
        Sector.YOUNG_PEOPLE,
        "Northmoor Youth Voice",
    ),
)

PRESENT = (
    "m-la-director",
    "m-icb-lead",
    "m-forum-cochair",
    "m-early-years",
    "m-primary-head",
    "m-special-head",
    "m-fe-principal",
    "m-young-people",
)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)
