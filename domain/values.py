"""Value objects shared by the aggregates.

They are frozen msgspec structs and string enums, so the same types serve as
stored event fields, the wire contract and CLI/HTTP output.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Sector(StrEnum):
    EARLY_YEARS = "early_years"
    SCHOOLS = "schools"
    FURTHER_EDUCATION = "further_education"
    ALTERNATIVE_PROVISION = "alternative_provision"
    SPECIALIST_PROVISION = "specialist_provision"
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    PARENT_CARER_FORUM = "parent_carer_forum"
    YOUNG_PEOPLE = "young_people"
    LOCAL_AUTHORITY = "local_authority"
    OTHER = "other"


class Depth(StrEnum):
    """Depth of engagement, deepest first."""

    COPRODUCTION = "coproduction"
    PARTICIPATION = "participation"
    CONSULTATION = "consultation"
    INFORMATION = "information"


class Channel(StrEnum):
    SURVEY = "survey"
    LISTENING_EVENT = "listening_event"
    EMAIL = "email"
    MEETING = "meeting"
    FORUM = "forum"


class ContributorKind(StrEnum):
    PARENT_CARER = "parent_carer"
    YOUNG_PERSON = "young_person"
    PRACTITIONER = "practitioner"
    ORGANISATION = "organisation"


class ResponseOutcome(StrEnum):
    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    NOT_ADOPTED = "not_adopted"
    OUT_OF_SCOPE = "out_of_scope"


class Influence(StrEnum):
    INFORMED = "informed"
    AMENDED = "amended"
    OPPOSED = "opposed"


class Stance(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    BLOCK = "block"


class DecisionCategory(StrEnum):
    HEALTH_COMMISSIONING = "health_commissioning"
    SPECIALIST_PLACES = "specialist_places"
    AP_PLACES = "ap_places"
    ORDINARILY_AVAILABLE_PROVISION = "ordinarily_available_provision"
    WORKFORCE = "workforce"
    EHCP_TIMELINESS = "ehcp_timeliness"
    HIGH_NEEDS_BUDGET = "high_needs_budget"
    OTHER = "other"


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    DEFERRED = "deferred"
    TAKEN = "taken"
    SUPERSEDED = "superseded"


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class QAOutcome(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class Actor(msgspec.Struct, frozen=True):
    """Who did it: a member id or user id, and the role they acted in."""

    id: str
    role: str


class PersonalData(msgspec.Struct, frozen=True):
    """Data about an identifiable person, held for one data subject.

    Stored as plain text for now; kept apart, with its subject, so that it can
    later be encrypted with the subject's own key without changing the shape of
    the event that carries it.
    """

    subject: str
    value: str


class TermsOfReference(msgspec.Struct, frozen=True):
    """The rules a partnership decides under, from the day they are adopted."""

    version: int
    quorum: int
    forum_required: bool
    description: str = ""


class MemberRecord(msgspec.Struct, frozen=True):
    """A member as the partnership knows them: enough to check who may act."""

    member_id: str
    name: str
    role: str
    sector: Sector
    organisation: str
    voting: bool
    active: bool = True
