"""How each event changes the read models: pure logic over documents.

`apply` reads and writes documents only through `DocAccess`, so the same code
builds the live views (batched, in the database), time-travel answers (a few
aggregates' events folded in memory) and test fixtures. `keys_for` names every
document an event touches, from the event alone, so a batch's documents can be
fetched in one query before it is applied.

Events are routed by their exact class through one explicit registry at the end
of this module, never by module or class name: `SHOWN` maps each event class the
views show to the model of the document it belongs to and the function that
applies it, and `UNSHOWN` names each event class the views deliberately leave
out, with the reason. An event of any other class (from a newer release, or one
left out by mistake) changes nothing: the projector counts it as skipped, by
topic, and `projections status` names it. `tests/unit/test_view_registry.py`
fails when a domain event class is in neither.

To add an event type: give its aggregate's function below (`_decision` for a
decision's event, say) a `case` for it, add the class to `SHOWN` with that model
and function, and, if it also updates another aggregate's document, say which in
`_RELATED`. (A creating event, a `LedgerCreated`, makes its own document, so that
is not fetched first.) Or, if no view shows it, add it to `UNSHOWN` with the
reason. Bump `SCHEMA_VERSION` only if documents change shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn, Protocol, TypeVar
from uuid import UUID

import msgspec

from domain import action as ac
from domain import contribution as co
from domain import decision_events as de
from domain import meeting as me
from domain import partnership as pa
from domain import plan as pl
from domain.base import LedgerCreated, LedgerEvent
from domain.values import DecisionStatus, MemberRecord
from projections.documents import (
    ActionDoc,
    AmendmentDoc,
    AnyDoc,
    CitationDoc,
    ConsultationDoc,
    ContributionDoc,
    DecisionDoc,
    DecisionLinkDoc,
    DeferralDoc,
    InterestDoc,
    LinkDoc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
    ProgressDoc,
    QAFeedbackDoc,
    ResponseDoc,
    ReviewDoc,
    RevisionDoc,
    SectionDoc,
    StageChange,
    SupersessionDoc,
    TakenDoc,
    VoteDoc,
)

SCHEMA_VERSION = 3
"""Bump when documents change shape: stored views older than this need a rebuild."""

Key = tuple[str, UUID]


class DocAccess(Protocol):
    """Documents by key. `strict` is False when only some aggregates' events are
    folded (time travel): then a document another event refers to may be absent."""

    strict: bool

    def get(self, model: str, key: UUID) -> AnyDoc | None: ...

    def put(self, doc: AnyDoc) -> None: ...


class MissingDocument(LookupError):
    """An event refers to a document the views never saw: the log is incomplete."""


class View(NamedTuple):
    """How the views take one event class."""

    model: str
    """The model of the document the event belongs to: its aggregate's."""
    apply: Callable[[Any, int, DocAccess], None]


def keys_for(event: LedgerEvent) -> list[Key]:
    """Every document `apply` will read or write for this event."""
    model, own, related = _KEY_RULES.get(type(event), _NO_KEYS)
    keys: list[Key] = [(model, event.originator_id)] if own else []
    if related is not None:
        keys.extend(related(event))
    return keys


def apply(event: LedgerEvent, position: int, docs: DocAccess) -> bool:
    """Apply one event at its log position; False, changing nothing, when its class is
    neither shown nor deliberately unshown."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return False
    handler(event, position, docs)
    return True


Related = Callable[[Any], list[Key]]

_RELATED: dict[type[LedgerEvent], Related] = {
    pa.InterestDeclared: lambda e: [("decision", e.decision_id)],
    pl.SectionRevised: lambda e: [("decision", d) for d in e.cited_decisions],
    de.ContributionLinked: lambda e: [("contribution", e.contribution_id)],
    de.ContributionUnlinked: lambda e: [("contribution", e.contribution_id)],
    ac.ActionCommitted: lambda e: [("decision", e.decision_id)],
}
"""Documents of other aggregates an event also updates."""

KeyRule = tuple[str, bool, Related | None]
"""(the event's own model, whether its own document is fetched, its related keys)."""

_NO_KEYS: KeyRule = ("", False, None)


def _no_case(e: LedgerEvent, view: str) -> NoReturn:
    raise TypeError(f"{type(e).TOPIC} is in SHOWN but the {view} view has no case for it.")


D = TypeVar("D", bound=AnyDoc)


def _get(docs: DocAccess, kind: type[D], model: str, key: UUID) -> D:
    doc = docs.get(model, key)
    if not isinstance(doc, kind):
        raise MissingDocument(f"No {model} view for {key}: the log is incomplete.")
    return doc


def _related(docs: DocAccess, kind: type[D], model: str, key: UUID) -> D | None:
    """A document another aggregate's event updates; absent only when folding a part."""
    doc = docs.get(model, key)
    if doc is None and not docs.strict:
        return None
    if not isinstance(doc, kind):
        raise MissingDocument(f"No {model} view for {key}: the log is incomplete.")
    return doc


def _save(docs: DocAccess, doc: AnyDoc, position: int) -> None:
    doc.position = position
    docs.put(doc)


def _partnership(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, pa.PartnershipEstablished):
        doc = PartnershipDoc(
            id=e.originator_id,
            partnership_id=e.originator_id,
            name=e.name,
            kind=e.kind,
            la_code=e.la_code,
            icb_code=e.icb_code,
            established_at=e.timestamp,
        )
        _save(docs, doc, position)
        return
    doc = _get(docs, PartnershipDoc, "partnership", e.originator_id)
    match e:
        case pa.MemberAppointed():
            doc.members[e.member_id] = MemberRecord(
                member_id=e.member_id,
                name=e.name,
                role=e.role,
                sector=e.sector,
                organisation=e.organisation,
                voting=e.voting,
            )
        case pa.MemberStoodDown():
            member = doc.members[e.member_id]
            doc.members[e.member_id] = msgspec.structs.replace(member, active=False)
        case pa.TermsOfReferenceAdopted():
            doc.terms = e.terms
        case pa.InterestDeclared():
            decision = _related(docs, DecisionDoc, "decision", e.decision_id)
            if decision is not None:
                declared = InterestDoc(
                    member_id=e.member_id,
                    has_interest=e.has_interest,
                    nature=e.nature,
                    declared_at=e.timestamp,
                    declared_by=e.actor,
                )
                # A member's later declaration replaces their earlier one in place.
                for i, interest in enumerate(decision.interests):
                    if interest.member_id == e.member_id:
                        decision.interests[i] = declared
                        break
                else:
                    decision.interests.append(declared)
                _save(docs, decision, position)
        case _:
            _no_case(e, "partnership")
    _save(docs, doc, position)


def _plan(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, pl.PlanDrafted):
        doc = PlanDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            title=e.title,
            template=e.template,
            period_start=e.period_start,
            period_end=e.period_end,
            stage=e.template.initial_stage,
            drafted_at=e.timestamp,
        )
        drafted = {s.key: s.text for s in e.sections}
        for t in e.template.sections:  # sections in the template's order
            text = drafted.get(t.key, "")
            doc.sections.append(SectionDoc(key=t.key, title=t.title, revision=1, text=text))
            doc.revisions.append(
                RevisionDoc(
                    section=t.key,
                    revision=1,
                    text=text,
                    rationale="Drafted from the template.",
                    cited_decisions=[],
                    cited_contributions=[],
                    revised_at=e.timestamp,
                    revised_by=e.actor.id,
                )
            )
        doc.stages.append(
            StageChange(stage=doc.stage, event=pl.PlanDrafted.TOPIC, at=e.timestamp, by=e.actor.id)
        )
        _save(docs, doc, position)
        return
    doc = _get(docs, PlanDoc, "plan", e.originator_id)
    new_stage: str | None = None
    match e:
        case pl.SectionRevised():
            section_title = e.section
            for section in doc.sections:
                if section.key == e.section:
                    section.revision, section.text = e.revision, e.text
                    section_title = section.title
            doc.revisions.append(
                RevisionDoc(
                    section=e.section,
                    revision=e.revision,
                    text=e.text,
                    rationale=e.rationale,
                    cited_decisions=list(e.cited_decisions),
                    cited_contributions=list(e.cited_contributions),
                    revised_at=e.timestamp,
                    revised_by=e.actor.id,
                )
            )
            for decision_id in e.cited_decisions:
                decision = _related(docs, DecisionDoc, "decision", decision_id)
                if decision is None:
                    continue
                decision.citations.append(
                    CitationDoc(
                        plan_id=doc.id,
                        plan_title=doc.title,
                        section=e.section,
                        section_title=section_title,
                        revision=e.revision,
                        rationale=e.rationale,
                        revised_at=e.timestamp,
                        revised_by=e.actor,
                    )
                )
                _save(docs, decision, position)
            new_stage = e.stage
        case pl.ConsultationOpened():
            doc.consultations.append(
                ConsultationDoc(
                    opens_on=e.opens_on,
                    closes_on=e.closes_on,
                    channels=[c.value for c in e.channels],
                    accessible_formats=list(e.accessible_formats),
                )
            )
            new_stage = e.stage
        case pl.ConsultationClosed():
            if doc.consultations:
                last = doc.consultations[-1]
                last.closed_at, last.responses_received = e.timestamp, e.responses_received
                last.summary = e.summary
            new_stage = e.stage
        case pl.PlanSubmittedForQA():
            doc.submitted_versions[e.version] = e.content_hash
            new_stage = e.stage
        case pl.QAFeedbackReceived():
            doc.qa_feedback.append(
                QAFeedbackDoc(
                    outcome=e.outcome.value,
                    findings=list(e.findings),
                    at=e.timestamp,
                    by=e.actor.id,
                )
            )
            new_stage = e.stage
        case pl.PlanApproved():
            new_stage = e.stage
        case pl.PlanPublished():
            doc.local_offer_url = e.local_offer_url
            new_stage = e.stage
        case pl.PlanSuperseded():
            doc.superseded_by = e.superseded_by
            new_stage = e.stage
        case _:
            _no_case(e, "plan")
    if new_stage is not None and new_stage != doc.stage:
        doc.stage = new_stage
        doc.stages.append(
            StageChange(stage=new_stage, event=type(e).TOPIC, at=e.timestamp, by=e.actor.id)
        )
    _save(docs, doc, position)


def _contribution(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, co.ContributionSubmitted):
        doc = ContributionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            plan_id=e.plan_id,
            reference=e.reference,
            contributor_kind=e.contributor_kind.value,
            channel=e.channel.value,
            depth=e.depth.value,
            themes=list(e.themes),
            sections=list(e.sections),
            submitted_at=e.timestamp,
        )
        _save(docs, doc, position)
        return
    doc = _get(docs, ContributionDoc, "contribution", e.originator_id)
    match e:
        case co.ContributionTriaged():
            doc.triaged_at = e.timestamp
            doc.themes = list(e.themes) or doc.themes
            doc.sections = list(e.sections) or doc.sections
        case co.ContributionRoutedToIndividualCase():
            doc.triaged_at = doc.triaged_at or e.timestamp
            doc.routed_to_case = True
        case co.ResponseIssued():
            doc.response = ResponseDoc(
                outcome=e.outcome.value,
                rationale=e.rationale,
                actions=list(e.actions),
                at=e.timestamp,
                by=e.actor.id,
            )
        case co.DeidentifiedSummaryRecorded():
            doc.summary = e.summary
        case co.ContributorNotified():
            doc.notified_at = e.timestamp
        case _:
            _no_case(e, "contribution")
    _save(docs, doc, position)


def _decision(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, de.DecisionProposed):
        doc = DecisionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            reference=e.reference,
            title=e.title,
            category=e.category.value,
            status=DecisionStatus.PROPOSED.value,
            text=e.text,
            original_text=e.text,
            options=list(e.options),
            evidence=list(e.evidence),
            proposer_id=e.proposer_id,
            proposed_at=e.timestamp,
            proposed_by=e.actor,
        )
        _save(docs, doc, position)
        return
    doc = _get(docs, DecisionDoc, "decision", e.originator_id)
    match e:
        case de.ContributionLinked():
            doc.links.append(
                LinkDoc(
                    contribution_id=e.contribution_id,
                    influence=e.influence.value,
                    note=e.note,
                    linked_at=e.timestamp,
                    linked_by=e.actor,
                )
            )
            _mark_link(docs, e.contribution_id, doc.id, e.influence.value, True, position)
        case de.ContributionUnlinked():
            for link in doc.links:
                if link.contribution_id == e.contribution_id and link.unlinked_at is None:
                    link.unlinked_at, link.unlinked_by = e.timestamp, e.actor
                    link.unlink_reason = e.reason
                    _mark_link(docs, e.contribution_id, doc.id, link.influence, False, position)
        case de.DecisionAmended():
            doc.text = e.text
            doc.amendments.append(
                AmendmentDoc(
                    text=e.text,
                    rationale=e.rationale,
                    caused_by=list(e.caused_by),
                    amended_at=e.timestamp,
                    amended_by=e.actor,
                )
            )
        case de.VoteRecorded():
            doc.votes.append(
                VoteDoc(
                    member_id=e.member_id,
                    stance=e.stance.value,
                    reason=e.reason,
                    recorded_at=e.timestamp,
                    recorded_by=e.actor,
                )
            )
        case de.VoteWithdrawn():  # a withdrawn vote stays in the account, marked withdrawn
            for vote in doc.votes:
                if vote.member_id == e.member_id and vote.withdrawn_at is None:
                    vote.withdrawn_at, vote.withdrawn_by = e.timestamp, e.actor
                    vote.withdrawal_reason = e.reason
        case de.DecisionTaken():
            doc.status = DecisionStatus.TAKEN.value
            doc.taken = TakenDoc(
                outcome=e.outcome.value,
                rationale=e.rationale,
                taken_at=e.taken_at,
                recorded_at=e.timestamp,
                taken_by=e.actor,
                meeting_id=e.meeting_id,
                members_present=list(e.members_present),
                terms_version=e.terms_version,
                quorum_required=e.quorum_required,
                quorum_met=e.quorum_met,
                forum_present=e.forum_present,
                tally=e.tally,
                excluded_votes=list(e.excluded_votes),
                absent_votes=list(e.absent_votes),
                dissent=list(e.dissent),
                coproduced=e.coproduced,
            )
        case de.DecisionDeferred():
            doc.status = DecisionStatus.DEFERRED.value
            doc.deferrals.append(
                DeferralDoc(reason=e.reason, until=e.until, at=e.timestamp, by=e.actor)
            )
        case de.ReviewScheduled():
            doc.reviews.append(
                ReviewDoc(review_on=e.review_on, reason=e.reason, at=e.timestamp, by=e.actor)
            )
        case de.DecisionSuperseded():
            doc.status = DecisionStatus.SUPERSEDED.value
            doc.supersession = SupersessionDoc(
                superseded_by=e.superseded_by, rationale=e.rationale, at=e.timestamp, by=e.actor
            )
        case _:
            _no_case(e, "decision")
    _save(docs, doc, position)


def _mark_link(
    docs: DocAccess,
    contribution_id: UUID,
    decision_id: UUID,
    influence: str,
    linked: bool,
    position: int,
) -> None:
    contribution = _related(docs, ContributionDoc, "contribution", contribution_id)
    if contribution is None:
        return
    contribution.decisions = [d for d in contribution.decisions if d.decision_id != decision_id]
    contribution.decisions.append(
        DecisionLinkDoc(decision_id=decision_id, influence=influence, linked=linked)
    )
    _save(docs, contribution, position)


def _meeting(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, me.MeetingScheduled):
        doc = MeetingDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            title=e.title,
            held_at=e.held_at,
        )
        _save(docs, doc, position)
        return
    doc = _get(docs, MeetingDoc, "meeting", e.originator_id)
    match e:
        case me.AttendanceRecorded():
            doc.present, doc.apologies = list(e.present), list(e.apologies)
            doc.attendance_recorded = True
        case me.MinutesApproved():
            doc.minutes_approved = True
        case _:
            _no_case(e, "meeting")
    _save(docs, doc, position)


def _action(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, ac.ActionCommitted):
        doc = ActionDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            decision_id=e.decision_id,
            reference=e.reference,
            title=e.title,
            owner=e.owner,
            due_on=e.due_on,
            measure=e.measure,
            committed_at=e.timestamp,
            committed_by=e.actor,
        )
        decision = _related(docs, DecisionDoc, "decision", e.decision_id)
        if decision is not None:
            decision.action_ids.append(doc.id)
            _save(docs, decision, position)
        _save(docs, doc, position)
        return
    doc = _get(docs, ActionDoc, "action", e.originator_id)
    match e:
        case ac.ProgressReported():
            doc.percent_complete = e.percent_complete
            doc.progress.append(
                ProgressDoc(
                    note=e.note,
                    percent_complete=e.percent_complete,
                    at=e.timestamp,
                    by=e.actor.id,
                )
            )
        case ac.ActionCompleted():
            doc.percent_complete = 100
            doc.completed_at = e.timestamp
            doc.progress.append(
                ProgressDoc(note=e.note, percent_complete=100, at=e.timestamp, by=e.actor.id)
            )
        case _:
            _no_case(e, "action")
    _save(docs, doc, position)


def _unshown(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    """A deliberately unshown event changes no document."""


# The registry: every event class the views take, by class.

SHOWN: dict[type[LedgerEvent], View] = {
    pa.PartnershipEstablished: View("partnership", _partnership),
    pa.MemberAppointed: View("partnership", _partnership),
    pa.MemberStoodDown: View("partnership", _partnership),
    pa.TermsOfReferenceAdopted: View("partnership", _partnership),
    pa.InterestDeclared: View("partnership", _partnership),
    pl.PlanDrafted: View("plan", _plan),
    pl.SectionRevised: View("plan", _plan),
    pl.ConsultationOpened: View("plan", _plan),
    pl.ConsultationClosed: View("plan", _plan),
    pl.PlanSubmittedForQA: View("plan", _plan),
    pl.QAFeedbackReceived: View("plan", _plan),
    pl.PlanApproved: View("plan", _plan),
    pl.PlanPublished: View("plan", _plan),
    pl.PlanSuperseded: View("plan", _plan),
    co.ContributionSubmitted: View("contribution", _contribution),
    co.ContributionTriaged: View("contribution", _contribution),
    co.ContributionRoutedToIndividualCase: View("contribution", _contribution),
    co.ResponseIssued: View("contribution", _contribution),
    co.DeidentifiedSummaryRecorded: View("contribution", _contribution),
    co.ContributorNotified: View("contribution", _contribution),
    de.DecisionProposed: View("decision", _decision),
    de.ContributionLinked: View("decision", _decision),
    de.ContributionUnlinked: View("decision", _decision),
    de.DecisionAmended: View("decision", _decision),
    de.VoteRecorded: View("decision", _decision),
    de.VoteWithdrawn: View("decision", _decision),
    de.DecisionTaken: View("decision", _decision),
    de.DecisionDeferred: View("decision", _decision),
    de.ReviewScheduled: View("decision", _decision),
    de.DecisionSuperseded: View("decision", _decision),
    me.MeetingScheduled: View("meeting", _meeting),
    me.AttendanceRecorded: View("meeting", _meeting),
    me.MinutesApproved: View("meeting", _meeting),
    ac.ActionCommitted: View("action", _action),
    ac.ProgressReported: View("action", _action),
    ac.ActionCompleted: View("action", _action),
}
"""Each event class the views show: the model it belongs to and the function applying it."""

UNSHOWN: dict[type[LedgerEvent], str] = {
    pl.ContributionReceived: "The plan's own bookkeeping for its triage rule (a contribution "
    "awaits triage): the contribution view shows the contribution itself, and the plan "
    "document, often large, is left untouched.",
    pl.PlanContributionTriaged: "The plan's own bookkeeping for its triage rule (a "
    "contribution no longer awaits triage): the contribution view shows the triage itself.",
}
"""Each event class no view shows, on purpose, and why."""

UNSHOWN_TOPICS = frozenset(cls.TOPIC for cls in UNSHOWN)
"""Stored topics of events no view shows: a projector need not even decode them."""

_HANDLERS: dict[type[LedgerEvent], Callable[[Any, int, DocAccess], None]] = {
    **{cls: view.apply for cls, view in SHOWN.items()},
    **dict.fromkeys(UNSHOWN, _unshown),
}
_KEY_RULES: dict[type[LedgerEvent], KeyRule] = {
    # A creating event makes its document: there is nothing to fetch for it.
    cls: (view.model, not issubclass(cls, LedgerCreated), _RELATED.get(cls))
    for cls, view in SHOWN.items()
}
