"""Contribution: input from a family, young person, practitioner or organisation,
triaged and answered with a dated, reasoned response."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import LedgerAggregate, LedgerCreated, LedgerEvent, require_text
from domain.deidentification import identifying_detail
from domain.errors import (
    ContributionNotTriaged,
    InvalidValue,
    RationaleRequired,
    ResponseAlreadyIssued,
    RoutedToIndividualCase,
    SummaryIdentifiesContributor,
)
from domain.values import Actor, Channel, ContributorKind, Depth, PersonalData, ResponseOutcome


class ContributionSubmitted(LedgerCreated):
    """`contributor` and `text` are personal data of the subject `subject_ref`."""

    TOPIC = "ContributionSubmitted"

    partnership_id: UUID
    plan_id: UUID | None
    reference: str
    subject_ref: str
    contributor_kind: ContributorKind
    contributor: PersonalData
    channel: Channel
    depth: Depth
    themes: tuple[str, ...]
    sections: tuple[str, ...]
    text: PersonalData

    def apply(self, aggregate: Contribution) -> None:
        aggregate.partnership_id = self.partnership_id
        aggregate.plan_id = self.plan_id
        aggregate.reference = self.reference
        aggregate.subject_ref = self.subject_ref
        aggregate.contributor_kind = self.contributor_kind
        aggregate.contributor = self.contributor
        aggregate.text = self.text
        aggregate.submitted_at = self.timestamp


class ContributionTriaged(LedgerEvent):
    TOPIC = "ContributionTriaged"

    themes: tuple[str, ...]
    sections: tuple[str, ...]
    note: str

    def apply(self, aggregate: Contribution) -> None:
        aggregate.triaged = True


class ContributionRoutedToIndividualCase(LedgerEvent):
    TOPIC = "ContributionRoutedToIndividualCase"

    reason: str

    def apply(self, aggregate: Contribution) -> None:
        aggregate.triaged = True
        aggregate.routed_to_case = True


class ResponseIssued(LedgerEvent):
    TOPIC = "ResponseIssued"

    outcome: ResponseOutcome
    rationale: str
    actions: tuple[str, ...]

    def apply(self, aggregate: Contribution) -> None:
        aggregate.response = self.outcome


class DeidentifiedSummaryRecorded(LedgerEvent):
    TOPIC = "DeidentifiedSummaryRecorded"

    summary: str

    def apply(self, aggregate: Contribution) -> None:
        aggregate.summary = self.summary


class ContributorNotified(LedgerEvent):
    TOPIC = "ContributorNotified"

    channel: str

    def apply(self, aggregate: Contribution) -> None:
        aggregate.notified = True


class Contribution(LedgerAggregate):
    TOPIC = "Contribution"
    Event = LedgerEvent
    Created = ContributionSubmitted

    def __init__(self) -> None:
        self.partnership_id: UUID | None = None
        self.plan_id: UUID | None = None
        self.reference = ""
        self.subject_ref = ""
        self.contributor_kind = ContributorKind.PARENT_CARER
        self.contributor = PersonalData(subject="", value="")
        self.text = PersonalData(subject="", value="")
        self.submitted_at: datetime | None = None
        self.triaged = False
        self.routed_to_case = False
        self.response: ResponseOutcome | None = None
        self.summary = ""
        self.notified = False

    @classmethod
    def submit(
        cls,
        *,
        contribution_id: UUID,
        partnership_id: UUID,
        plan_id: UUID | None,
        reference: str,
        subject_ref: str,
        contributor_kind: ContributorKind,
        contributor_name: str,
        channel: Channel,
        depth: Depth,
        themes: tuple[str, ...],
        sections: tuple[str, ...],
        text: str,
        actor: Actor,
        at: datetime,
    ) -> Contribution:
        subject = require_text(subject_ref, InvalidValue, "A contribution needs a subject ref.")
        return cls._create(
            ContributionSubmitted,
            id=contribution_id,
            partnership_id=partnership_id,
            plan_id=plan_id,
            reference=require_text(reference, InvalidValue, "A contribution needs a reference."),
            subject_ref=subject,
            contributor_kind=contributor_kind,
            contributor=PersonalData(subject=subject, value=contributor_name.strip()),
            channel=channel,
            depth=depth,
            themes=themes,
            sections=sections,
            text=PersonalData(
                subject=subject,
                value=require_text(text, InvalidValue, "A contribution needs its text."),
            ),
            actor=actor,
            timestamp=at,
        )

    def triage(
        self,
        *,
        themes: tuple[str, ...],
        sections: tuple[str, ...],
        note: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        if self.triaged:
            raise InvalidValue(f"{self.reference} has already been triaged.")
        self.trigger_event(
            ContributionTriaged,
            themes=themes,
            sections=sections,
            note=note.strip(),
            actor=actor,
            timestamp=at,
        )

    def route_to_individual_case(self, *, reason: str, actor: Actor, at: datetime) -> None:
        if self.response is not None:
            raise ResponseAlreadyIssued(f"{self.reference} already has a response.")
        self.trigger_event(
            ContributionRoutedToIndividualCase,
            reason=require_text(reason, RationaleRequired, "Routing needs a reason."),
            actor=actor,
            timestamp=at,
        )

    def issue_response(
        self,
        *,
        outcome: ResponseOutcome,
        rationale: str,
        actions: tuple[str, ...],
        actor: Actor,
        at: datetime,
    ) -> None:
        if self.routed_to_case:
            raise RoutedToIndividualCase(
                f"{self.reference} was routed to an individual case and gets no plan response."
            )
        if not self.triaged:
            raise ContributionNotTriaged(f"{self.reference} must be triaged before a response.")
        if self.response is not None:
            raise ResponseAlreadyIssued(f"{self.reference} already has a response.")
        if outcome is not ResponseOutcome.ADOPTED:
            rationale = require_text(
                rationale,
                RationaleRequired,
                f"A response of {outcome.value} to {self.reference} needs a rationale.",
            )
        self.trigger_event(
            ResponseIssued,
            outcome=outcome,
            rationale=rationale.strip(),
            actions=actions,
            actor=actor,
            timestamp=at,
        )

    def record_deidentified_summary(self, *, summary: str, actor: Actor, at: datetime) -> None:
        text = require_text(summary, InvalidValue, "A summary cannot be blank.")
        found = identifying_detail(
            text,
            contributor_name=self.contributor.value,
            organisation=self.contributor_kind is ContributorKind.ORGANISATION,
            contribution_text=self.text.value,
        )
        if found:
            raise SummaryIdentifiesContributor(
                f"The summary of {self.reference} {found}, so it could identify someone; only "
                "a de-identified summary is published."
            )
        self.trigger_event(DeidentifiedSummaryRecorded, summary=text, actor=actor, timestamp=at)

    def notify_contributor(self, *, channel: str, actor: Actor, at: datetime) -> None:
        if self.response is None and not self.routed_to_case:
            raise ContributionNotTriaged(f"{self.reference} has no response to notify yet.")
        self.trigger_event(
            ContributorNotified,
            channel=require_text(channel, InvalidValue, "Notification needs a channel."),
            actor=actor,
            timestamp=at,
        )
