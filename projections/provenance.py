"""The account of one decision: who shaped it, step by step, from documents alone.

`decision_provenance` is the one place this account is built. `decision show` (text
and JSON) and the evidence packs render what it returns, and time travel builds it
from documents folded to an earlier time or position, through the same function.

Every step carries who took it (`by`: a member by the name and role the partnership
holds for them, anyone else by id and the role they acted in), when it was recorded
(`at`) and why (`why`: the note, reason or rationale the domain records for it, empty
where it records none).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from domain.values import Actor
from domain.votes import Tally
from projections.documents import (
    ActionDoc,
    ContributionDoc,
    DecisionDoc,
    LinkDoc,
    MeetingDoc,
    PartnershipDoc,
    TakenDoc,
    VoteDoc,
)


class PersonRef(msgspec.Struct, frozen=True, kw_only=True):
    """A member as the partnership knows them, or anyone else by id alone.
    `acting_as` is the role they gave when they took a step (empty when the
    person is what a step is about, such as a member present)."""

    id: str
    name: str
    role: str = ""
    sector: str = ""
    organisation: str = ""
    member: bool = False
    acting_as: str = ""


class DocRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    reference: str


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """Who did one thing to the decision, when it was recorded, and why."""

    by: PersonRef
    at: datetime
    why: str = ""


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    proposer: PersonRef
    text: str
    options: list[str]
    evidence: list[str]
    recorded: Step


class ContributionRef(msgspec.Struct, frozen=True, kw_only=True):
    """A contribution as the read models hold it: no personal data, only its
    de-identified summary and the response it got."""

    id: UUID
    reference: str
    contributor_kind: str
    channel: str
    depth: str
    summary: str
    response: str | None
    response_rationale: str
    responded_on: date | None


class LinkEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`linked.why` is the note given; `unlinked.why` the reason it was unlinked."""

    contribution: ContributionRef
    influence: str
    linked: Step
    unlinked: Step | None


class AmendmentEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`amended.why` is the amendment's rationale."""

    text: str
    caused_by: list[DocRef]
    amended: Step


class InterestEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A member's declaration (their latest); `declared.why` is the interest's nature."""

    member: PersonRef
    has_interest: bool
    declared: Step


class NotCounted(StrEnum):
    WITHDRAWN = "withdrawn"
    DECLARED_INTEREST = "declared_interest"
    ABSENT = "absent"


class VoteEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`recorded.why` is the member's reason; `withdrawn.why` their reason for
    withdrawing it. A withdrawn vote is not counted. Before the decision is taken, a
    vote of a member with a declared interest is shown as not counted; once taken,
    what the decision recorded as excluded or absent."""

    member: PersonRef
    stance: str
    recorded: Step
    withdrawn: Step | None
    counted: bool
    not_counted: NotCounted | None


class DissentEntry(msgspec.Struct, frozen=True, kw_only=True):
    member: PersonRef
    stance: str
    reason: str


class MeetingRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    held_at: datetime | None
    present: list[PersonRef]
    apologies: list[PersonRef]
    minutes_approved: bool


class TakenEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`taken_at` is when the meeting that took it was held; `recorded` says who
    recorded the decision and when, and its rationale (`recorded.why`)."""

    outcome: str
    taken_at: datetime
    recorded: Step
    meeting: MeetingRef
    terms_version: int
    quorum_required: int
    quorum_met: bool
    forum_present: bool
    coproduced: bool
    tally: Tally
    excluded_votes: list[PersonRef]
    absent_votes: list[PersonRef]
    dissent: list[DissentEntry]


class DeferralEntry(msgspec.Struct, frozen=True, kw_only=True):
    until: date | None
    deferred: Step


class ReviewEntry(msgspec.Struct, frozen=True, kw_only=True):
    review_on: date
    scheduled: Step


class SupersessionEntry(msgspec.Struct, frozen=True, kw_only=True):
    superseded_by: DocRef
    superseded: Step


class PlanCitation(msgspec.Struct, frozen=True, kw_only=True):
    """A plan revision citing the decision; `revised.why` is the revision's rationale."""

    plan: DocRef
    section: str
    section_title: str
    revision: int
    revised: Step


class ActionCommitment(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    reference: str
    title: str
    owner: str
    due_on: date
    measure: str
    percent_complete: int
    completed_at: datetime | None
    committed: Step


class DecisionProvenance(msgspec.Struct, frozen=True, kw_only=True):
    """Who shaped one decision, from its proposal to the actions that followed."""

    id: UUID
    partnership_id: UUID
    reference: str
    title: str
    category: str
    status: str
    text: str
    proposal: Proposal
    contributions: list[LinkEntry]
    amendments: list[AmendmentEntry]
    interests: list[InterestEntry]
    votes: list[VoteEntry]
    taken: TakenEntry | None
    deferrals: list[DeferralEntry]
    reviews: list[ReviewEntry]
    superseded: SupersessionEntry | None
    plan_revisions: list[PlanCitation]
    actions: list[ActionCommitment]


def decision_provenance(
    decision: DecisionDoc,
    *,
    partnership: PartnershipDoc | None,
    contributions: Mapping[UUID, ContributionDoc],
    meeting: MeetingDoc | None,
    actions: Mapping[UUID, ActionDoc],
    decisions: Mapping[UUID, DecisionDoc],
) -> DecisionProvenance:
    """The account of `decision` from its document and those it refers to: its
    partnership (for names), linked contributions, the meeting that took it, its
    actions and any decision superseding it. A document that is not given is named
    by id."""
    names = Names(partnership)
    taken = decision.taken
    interested = {i.member_id for i in decision.interests if i.has_interest}
    excluded = set(taken.excluded_votes) if taken else interested
    absent = set(taken.absent_votes) if taken else set()

    def vote_entry(vote: VoteDoc) -> VoteEntry:
        withdrawn = None
        if vote.withdrawn_at is not None and vote.withdrawn_by is not None:
            withdrawn = names.step(vote.withdrawn_by, vote.withdrawn_at, vote.withdrawal_reason)
        reason = None
        if withdrawn is not None:
            reason = NotCounted.WITHDRAWN
        elif vote.member_id in excluded:
            reason = NotCounted.DECLARED_INTEREST
        elif vote.member_id in absent:
            reason = NotCounted.ABSENT
        return VoteEntry(
            member=names.member(vote.member_id),
            stance=vote.stance,
            recorded=names.step(vote.recorded_by, vote.recorded_at, vote.reason),
            withdrawn=withdrawn,
            counted=reason is None,
            not_counted=reason,
        )

    references = {cid: c.reference for cid, c in contributions.items() if c is not None}
    successor = decision.supersession
    return DecisionProvenance(
        id=decision.id,
        partnership_id=decision.partnership_id,
        reference=decision.reference,
        title=decision.title,
        category=decision.category,
        status=decision.status,
        text=decision.text,
        proposal=Proposal(
            proposer=names.member(decision.proposer_id),
            text=decision.original_text,
            options=list(decision.options),
            evidence=list(decision.evidence),
            recorded=names.step(decision.proposed_by, decision.proposed_at),
        ),
        contributions=[
            _link(link, contributions.get(link.contribution_id), names) for link in decision.links
        ],
        amendments=[
            AmendmentEntry(
                text=a.text,
                caused_by=[DocRef(id=c, reference=references.get(c, str(c))) for c in a.caused_by],
                amended=names.step(a.amended_by, a.amended_at, a.rationale),
            )
            for a in decision.amendments
        ],
        interests=[
            InterestEntry(
                member=names.member(i.member_id),
                has_interest=i.has_interest,
                declared=names.step(i.declared_by, i.declared_at, i.nature),
            )
            for i in decision.interests
        ],
        votes=[vote_entry(v) for v in decision.votes],
        taken=_taken(taken, meeting, names) if taken else None,
        deferrals=[
            DeferralEntry(until=d.until, deferred=names.step(d.by, d.at, d.reason))
            for d in decision.deferrals
        ],
        reviews=[
            ReviewEntry(review_on=r.review_on, scheduled=names.step(r.by, r.at, r.reason))
            for r in decision.reviews
        ],
        superseded=(
            SupersessionEntry(
                superseded_by=_decision_ref(successor.superseded_by, decisions),
                superseded=names.step(successor.by, successor.at, successor.rationale),
            )
            if successor
            else None
        ),
        plan_revisions=[
            PlanCitation(
                plan=DocRef(id=c.plan_id, reference=c.plan_title),
                section=c.section,
                section_title=c.section_title,
                revision=c.revision,
                revised=names.step(c.revised_by, c.revised_at, c.rationale),
            )
            for c in decision.citations
        ],
        actions=[_action(a, names) for a in (actions.get(i) for i in decision.action_ids) if a],
    )


class Names:
    """How the partnership names the people in an account."""

    def __init__(self, partnership: PartnershipDoc | None) -> None:
        self.members = partnership.members if partnership else {}

    def member(self, member_id: str, acting_as: str = "") -> PersonRef:
        m = self.members.get(member_id)
        if m is None:
            return PersonRef(id=member_id, name=member_id, role=acting_as)
        return PersonRef(
            id=m.member_id,
            name=m.name,
            role=m.role,
            sector=m.sector.value,
            organisation=m.organisation,
            member=True,
            acting_as=acting_as,
        )

    def actor(self, actor: Actor) -> PersonRef:
        return self.member(actor.id, acting_as=actor.role)

    def step(self, actor: Actor, at: datetime, why: str = "") -> Step:
        return Step(by=self.actor(actor), at=at, why=why)


def _link(link: LinkDoc, found: ContributionDoc | None, names: Names) -> LinkEntry:
    response = found.response if found else None
    unlinked = None
    if link.unlinked_at is not None and link.unlinked_by is not None:
        unlinked = names.step(link.unlinked_by, link.unlinked_at, link.unlink_reason)
    return LinkEntry(
        contribution=ContributionRef(
            id=link.contribution_id,
            reference=found.reference if found else str(link.contribution_id),
            contributor_kind=found.contributor_kind if found else "",
            channel=found.channel if found else "",
            depth=found.depth if found else "",
            summary=found.summary if found else "",
            response=response.outcome if response else None,
            response_rationale=response.rationale if response else "",
            responded_on=response.at.date() if response else None,
        ),
        influence=link.influence,
        linked=names.step(link.linked_by, link.linked_at, link.note),
        unlinked=unlinked,
    )


def _taken(taken: TakenDoc, meeting: MeetingDoc | None, names: Names) -> TakenEntry:
    return TakenEntry(
        outcome=taken.outcome,
        taken_at=taken.taken_at,
        recorded=names.step(taken.taken_by, taken.recorded_at, taken.rationale),
        meeting=MeetingRef(
            id=taken.meeting_id,
            title=meeting.title if meeting else str(taken.meeting_id),
            held_at=meeting.held_at if meeting else None,
            present=[names.member(m) for m in taken.members_present],
            apologies=[names.member(m) for m in meeting.apologies] if meeting else [],
            minutes_approved=meeting.minutes_approved if meeting else False,
        ),
        terms_version=taken.terms_version,
        quorum_required=taken.quorum_required,
        quorum_met=taken.quorum_met,
        forum_present=taken.forum_present,
        coproduced=taken.coproduced,
        tally=taken.tally,
        excluded_votes=[names.member(m) for m in taken.excluded_votes],
        absent_votes=[names.member(m) for m in taken.absent_votes],
        dissent=[
            DissentEntry(member=names.member(d.member_id), stance=d.stance.value, reason=d.reason)
            for d in taken.dissent
        ],
    )


def _decision_ref(decision_id: UUID, decisions: Mapping[UUID, DecisionDoc]) -> DocRef:
    found = decisions.get(decision_id)
    return DocRef(id=decision_id, reference=found.reference if found else str(decision_id))


def _action(action: ActionDoc, names: Names) -> ActionCommitment:
    return ActionCommitment(
        id=action.id,
        reference=action.reference,
        title=action.title,
        owner=action.owner,
        due_on=action.due_on,
        measure=action.measure,
        percent_complete=action.percent_complete,
        completed_at=action.completed_at,
        committed=names.step(action.committed_by, action.committed_at),
    )
