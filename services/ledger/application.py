"""The ledger's application service: one method per command, each loading the
aggregates it needs, asking the domain to decide, and saving in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, assert_never, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper

from domain.action import Action
from domain.base import LedgerAggregate
from domain.contribution import Contribution
from domain.decision import Decision
from domain.errors import Conflict, LedgerRuleBroken, NotFound
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.plan import InclusionPlan, SectionText
from domain.values import Actor, DecisionStatus
from services.ledger import commands
from services.ledger.plan_templates import REGISTERED, PlanTemplates

Clock = Callable[[], datetime]
IdFactory = Callable[[], UUID]
MapperFactory = Callable[[], Mapper[UUID]]

A = TypeVar("A", bound=LedgerAggregate)

_KIND_NAMES: dict[type[LedgerAggregate], str] = {
    Partnership: "partnership",
    InclusionPlan: "plan",
    Contribution: "contribution",
    Decision: "decision",
    Meeting: "meeting",
    Action: "action",
}


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's `project_aggregate`, without its per-event protocol check
    (a costly `isinstance` against a runtime Protocol on every replayed event)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _InOrder:
    """A batch's events handed to `save()` as one object, so they are stored in the
    order the commands made them, across aggregates."""

    id = UUID(int=0)

    def __init__(self, events: list[DomainEventProtocol[UUID]]) -> None:
        self._events = events

    def collect_events(self) -> list[DomainEventProtocol[UUID]]:
        return self._events


def _ids_of(item: LedgerAggregate | _InOrder) -> set[UUID]:
    if isinstance(item, _InOrder):
        return {e.originator_id for e in item.collect_events()}
    return {item.id}


class _Batch:
    """The aggregates and pending events of one `handle_all` call."""

    def __init__(self) -> None:
        self.aggregates: dict[UUID, object] = {}
        self.events: list[DomainEventProtocol[UUID]] = []


def utc_now() -> datetime:
    return datetime.now(UTC)


class LedgerApplication(Application[UUID]):
    name = "InclusionLedger"
    # Commands load the same few aggregates (a partnership, a meeting) again and
    # again: keep them, and fast-forward from the store on each load so a cached
    # copy is never stale.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        mapper_factory: MapperFactory,
        clock: Clock = utc_now,
        new_id: IdFactory = uuid4,
        templates: PlanTemplates = REGISTERED,
    ) -> None:
        self._mapper_factory = mapper_factory
        self.clock = clock
        self.new_id = new_id
        self.templates = templates
        self._batch: _Batch | None = None
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        return self._mapper_factory()

    # Loading and saving, with the store's errors turned into the domain's.

    def load(self, kind: type[A], aggregate_id: UUID) -> A:
        aggregate: object
        if self._batch is not None and aggregate_id in self._batch.aggregates:
            aggregate = self._batch.aggregates[aggregate_id]
        else:
            try:
                aggregate = self.repository.get(aggregate_id, projector_func=_project)
            except AggregateNotFoundError:
                raise NotFound(f"No {_KIND_NAMES[kind]} with id {aggregate_id}.") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{aggregate_id} is not a {_KIND_NAMES[kind]}.")
        if self._batch is not None:
            self._batch.aggregates[aggregate_id] = aggregate
        return aggregate

    def save_all(self, *aggregates: LedgerAggregate) -> None:
        """Save now, or, inside `handle_all`, keep the events for the batch's one save."""
        if self._batch is not None:
            for aggregate in aggregates:
                self._batch.aggregates[aggregate.id] = aggregate
                self._batch.events.extend(aggregate.collect_events())
            return
        self._store(aggregates)

    def _store(self, items: Sequence[LedgerAggregate | _InOrder]) -> None:
        try:
            self.save(*cast(Sequence[LedgerAggregate], items))
        except IntegrityError:
            ids = sorted({str(i) for item in items for i in _ids_of(item)})
            raise Conflict(
                f"{', '.join(ids)} changed while this command ran; nothing was saved, try again."
            ) from None

    # The single entry for every command: the CLI's today, and any later edge's.

    def handle(self, command: commands.AnyCommand) -> UUID:
        """Execute one command; return the id of the aggregate it created or changed."""
        match command:
            case commands.EstablishPartnership():
                return self.establish_partnership(command)
            case commands.AppointMember():
                return self.appoint_member(command)
            case commands.StandDownMember():
                return self.stand_down_member(command)
            case commands.AdoptTermsOfReference():
                return self.adopt_terms_of_reference(command)
            case commands.DeclareInterest():
                return self.declare_interest(command)
            case commands.DraftPlan():
                return self.draft_plan(command)
            case commands.ReviseSection():
                return self.revise_section(command)
            case commands.OpenConsultation():
                return self.open_consultation(command)
            case commands.CloseConsultation():
                return self.close_consultation(command)
            case commands.SubmitPlanForQA():
                return self.submit_plan_for_qa(command)
            case commands.RecordQAFeedback():
                return self.record_qa_feedback(command)
            case commands.ApprovePlan():
                return self.approve_plan(command)
            case commands.PublishPlan():
                return self.publish_plan(command)
            case commands.SupersedePlan():
                return self.supersede_plan(command)
            case commands.SubmitContribution():
                return self.submit_contribution(command)
            case commands.TriageContribution():
                return self.triage_contribution(command)
            case commands.RouteContributionToIndividualCase():
                return self.route_contribution_to_individual_case(command)
            case commands.IssueResponse():
                return self.issue_response(command)
            case commands.RecordDeidentifiedSummary():
                return self.record_deidentified_summary(command)
            case commands.NotifyContributor():
                return self.notify_contributor(command)
            case commands.ProposeDecision():
                return self.propose_decision(command)
            case commands.LinkContribution():
                return self.link_contribution(command)
            case commands.UnlinkContribution():
                return self.unlink_contribution(command)
            case commands.AmendDecision():
                return self.amend_decision(command)
            case commands.RecordVote():
                return self.record_vote(command)
            case commands.WithdrawVote():
                return self.withdraw_vote(command)
            case commands.TakeDecision():
                return self.take_decision(command)
            case commands.DeferDecision():
                return self.defer_decision(command)
            case commands.ScheduleReview():
                return self.schedule_review(command)
            case commands.SupersedeDecision():
                return self.supersede_decision(command)
            case commands.ScheduleMeeting():
                return self.schedule_meeting(command)
            case commands.RecordAttendance():
                return self.record_attendance(command)
            case commands.ApproveMinutes():
                return self.approve_minutes(command)
            case commands.CommitAction():
                return self.commit_action(command)
            case commands.ReportProgress():
                return self.report_progress(command)
            case commands.CompleteAction():
                return self.complete_action(command)
            case _:
                assert_never(command)

    def handle_all(self, commands: Sequence[commands.AnyCommand]) -> list[UUID]:
        """Execute commands as one unit of work: each aggregate is loaded once and
        every event is stored in one transaction, in command order. If any command
        is refused, nothing is stored and the error says which command it was."""
        if self._batch is not None:
            raise RuntimeError("handle_all cannot be nested")
        self._batch = _Batch()
        try:
            results = []
            for number, command in enumerate(commands, start=1):
                try:
                    results.append(self.handle(command))
                except LedgerRuleBroken as e:
                    raise type(e)(
                        f"Command {number} of {len(commands)} ({type(command).__name__}) was "
                        f"refused, so none was stored: {e.message}"
                    ) from e
            if self._batch.events:
                self._store([_InOrder(self._batch.events)])
            return results
        finally:
            self._batch = None

    # Partnership

    def establish_partnership(self, cmd: commands.EstablishPartnership) -> UUID:
        partnership = Partnership.establish(
            partnership_id=cmd.partnership_id or self.new_id(),
            name=cmd.name,
            kind=cmd.kind,
            la_code=cmd.la_code,
            icb_code=cmd.icb_code,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def appoint_member(self, cmd: commands.AppointMember) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.appoint_member(
            member_id=cmd.member_id,
            name=cmd.name,
            role=cmd.role,
            sector=cmd.sector,
            organisation=cmd.organisation,
            voting=cmd.voting,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def stand_down_member(self, cmd: commands.StandDownMember) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.stand_down_member(
            member_id=cmd.member_id, reason=cmd.reason, actor=cmd.actor, at=self.clock()
        )
        self.save_all(partnership)
        return partnership.id

    def adopt_terms_of_reference(self, cmd: commands.AdoptTermsOfReference) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        partnership.adopt_terms_of_reference(
            quorum=cmd.quorum,
            forum_required=cmd.forum_required,
            description=cmd.description,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    def declare_interest(self, cmd: commands.DeclareInterest) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        decision = self.load(Decision, cmd.decision_id)
        self._same_partnership(partnership, decision.partnership_id, decision.reference)
        partnership.declare_interest(
            member_id=cmd.member_id,
            decision_id=decision.id,
            has_interest=cmd.has_interest,
            nature=cmd.nature,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(partnership)
        return partnership.id

    # Plan

    def draft_plan(self, cmd: commands.DraftPlan) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        plan = InclusionPlan.draft(
            plan_id=cmd.plan_id or self.new_id(),
            partnership_id=partnership.id,
            title=cmd.title,
            template=self.templates.resolve(cmd.template),
            period_start=cmd.period_start,
            period_end=cmd.period_end,
            sections=tuple(SectionText(key=k, text=v) for k, v in cmd.sections.items()),
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(plan)
        return plan.id

    def revise_section(self, cmd: commands.ReviseSection) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        for decision_id in cmd.cited_decisions:
            self.load(Decision, decision_id)
        for contribution_id in cmd.cited_contributions:
            self.load(Contribution, contribution_id)
        plan.revise_section(
            section=cmd.section,
            text=cmd.text,
            rationale=cmd.rationale,
            cited_decisions=cmd.cited_decisions,
            cited_contributions=cmd.cited_contributions,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(plan)
        return plan.id

    def open_consultation(self, cmd: commands.OpenConsultation) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.open_consultation(
            opens_on=cmd.opens_on,
            closes_on=cmd.closes_on,
            channels=cmd.channels,
            accessible_formats=cmd.accessible_formats,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(plan)
        return plan.id

    def close_consultation(self, cmd: commands.CloseConsultation) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.close_consultation(
            responses_received=cmd.responses_received,
            summary=cmd.summary,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(plan)
        return plan.id

    def submit_plan_for_qa(self, cmd: commands.SubmitPlanForQA) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.submit_for_qa(actor=cmd.actor, at=self.clock())
        self.save_all(plan)
        return plan.id

    def record_qa_feedback(self, cmd: commands.RecordQAFeedback) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.receive_qa_feedback(
            outcome=cmd.outcome, findings=cmd.findings, actor=cmd.actor, at=self.clock()
        )
        self.save_all(plan)
        return plan.id

    def approve_plan(self, cmd: commands.ApprovePlan) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.approve(actor=cmd.actor, at=self.clock())
        self.save_all(plan)
        return plan.id

    def publish_plan(self, cmd: commands.PublishPlan) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        plan.publish(local_offer_url=cmd.local_offer_url, actor=cmd.actor, at=self.clock())
        self.save_all(plan)
        return plan.id

    def supersede_plan(self, cmd: commands.SupersedePlan) -> UUID:
        plan = self.load(InclusionPlan, cmd.plan_id)
        if cmd.superseded_by is not None:
            self.load(InclusionPlan, cmd.superseded_by)
        plan.supersede(
            superseded_by=cmd.superseded_by, reason=cmd.reason, actor=cmd.actor, at=self.clock()
        )
        self.save_all(plan)
        return plan.id

    # Contribution

    def submit_contribution(self, cmd: commands.SubmitContribution) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        at = self.clock()
        changed: list[LedgerAggregate] = []
        if cmd.plan_id is not None:
            plan = self.load(InclusionPlan, cmd.plan_id)
            self._same_partnership(partnership, plan.partnership_id, plan.title)
            for key in cmd.sections:
                plan.plan_template.section(key)
            changed.append(plan)
        contribution = Contribution.submit(
            contribution_id=cmd.contribution_id or self.new_id(),
            partnership_id=partnership.id,
            plan_id=cmd.plan_id,
            reference=cmd.reference,
            subject_ref=cmd.subject_ref,
            contributor_kind=cmd.contributor_kind,
            contributor_name=cmd.contributor_name,
            channel=cmd.channel,
            depth=cmd.depth,
            themes=cmd.themes,
            sections=cmd.sections,
            text=cmd.text,
            actor=cmd.actor,
            at=at,
        )
        for plan_aggregate in changed:
            assert isinstance(plan_aggregate, InclusionPlan)
            plan_aggregate.receive_contribution(
                contribution_id=contribution.id, actor=cmd.actor, at=at
            )
        self.save_all(contribution, *changed)
        return contribution.id

    def triage_contribution(self, cmd: commands.TriageContribution) -> UUID:
        contribution = self.load(Contribution, cmd.contribution_id)
        at = self.clock()
        contribution.triage(
            themes=cmd.themes,
            sections=cmd.sections,
            note=cmd.note,
            actor=cmd.actor,
            at=at,
        )
        self.save_all(contribution, *self._note_triage_on_plan(contribution, cmd.actor, at))
        return contribution.id

    def _note_triage_on_plan(
        self, contribution: Contribution, actor: Actor, at: datetime
    ) -> list[LedgerAggregate]:
        """The plan a contribution concerns keeps count of what still awaits triage."""
        if contribution.plan_id is None:
            return []
        plan = self.load(InclusionPlan, contribution.plan_id)
        plan.note_triage(contribution_id=contribution.id, actor=actor, at=at)
        return [plan]

    def route_contribution_to_individual_case(
        self, cmd: commands.RouteContributionToIndividualCase
    ) -> UUID:
        contribution = self.load(Contribution, cmd.contribution_id)
        at = self.clock()
        contribution.route_to_individual_case(reason=cmd.reason, actor=cmd.actor, at=at)
        self.save_all(contribution, *self._note_triage_on_plan(contribution, cmd.actor, at))
        return contribution.id

    def issue_response(self, cmd: commands.IssueResponse) -> UUID:
        contribution = self.load(Contribution, cmd.contribution_id)
        contribution.issue_response(
            outcome=cmd.outcome,
            rationale=cmd.rationale,
            actions=cmd.actions,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(contribution)
        return contribution.id

    def record_deidentified_summary(self, cmd: commands.RecordDeidentifiedSummary) -> UUID:
        contribution = self.load(Contribution, cmd.contribution_id)
        contribution.record_deidentified_summary(
            summary=cmd.summary, actor=cmd.actor, at=self.clock()
        )
        self.save_all(contribution)
        return contribution.id

    def notify_contributor(self, cmd: commands.NotifyContributor) -> UUID:
        contribution = self.load(Contribution, cmd.contribution_id)
        contribution.notify_contributor(channel=cmd.channel, actor=cmd.actor, at=self.clock())
        self.save_all(contribution)
        return contribution.id

    # Decision

    def propose_decision(self, cmd: commands.ProposeDecision) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        decision = Decision.propose(
            decision_id=cmd.decision_id or self.new_id(),
            partnership_id=partnership.id,
            reference=cmd.reference,
            title=cmd.title,
            category=cmd.category,
            text=cmd.text,
            options=cmd.options,
            evidence=cmd.evidence,
            proposer=partnership.active_member(cmd.proposer_id),
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def link_contribution(self, cmd: commands.LinkContribution) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        contribution = self.load(Contribution, cmd.contribution_id)
        if contribution.partnership_id != decision.partnership_id:
            raise NotFound(f"Contribution {contribution.reference} belongs to another partnership.")
        decision.link_contribution(
            contribution_id=contribution.id,
            influence=cmd.influence,
            note=cmd.note,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def unlink_contribution(self, cmd: commands.UnlinkContribution) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.unlink_contribution(
            contribution_id=cmd.contribution_id,
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def amend_decision(self, cmd: commands.AmendDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.amend(
            text=cmd.text,
            caused_by=cmd.caused_by,
            rationale=cmd.rationale,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def record_vote(self, cmd: commands.RecordVote) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        decision.record_vote(
            voter=partnership.active_member(cmd.member_id),
            stance=cmd.stance,
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def withdraw_vote(self, cmd: commands.WithdrawVote) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        decision.withdraw_vote(
            voter=partnership.active_member(cmd.member_id),
            reason=cmd.reason,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    def take_decision(self, cmd: commands.TakeDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        partnership = self._partnership_of(decision)
        meeting = self.load(Meeting, cmd.meeting_id)
        self._same_partnership(partnership, meeting.partnership_id, meeting.title)
        now = self.clock()
        decision.take(
            outcome=cmd.outcome,
            rationale=cmd.rationale,
            meeting_id=meeting.id,
            held_at=meeting.require_held(now, f"take {decision.reference} at"),
            present=meeting.attendance(),
            roster=partnership.roster(),
            terms=partnership.terms_in_force(),
            interested=partnership.interested_members(decision.id),
            coproduced=cmd.coproduced,
            actor=cmd.actor,
            at=now,
        )
        self.save_all(decision)
        return decision.id

    def defer_decision(self, cmd: commands.DeferDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.defer(reason=cmd.reason, until=cmd.until, actor=cmd.actor, at=self.clock())
        self.save_all(decision)
        return decision.id

    def schedule_review(self, cmd: commands.ScheduleReview) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        decision.schedule_review(
            review_on=cmd.review_on, reason=cmd.reason, actor=cmd.actor, at=self.clock()
        )
        self.save_all(decision)
        return decision.id

    def supersede_decision(self, cmd: commands.SupersedeDecision) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        successor = self.load(Decision, cmd.superseded_by)
        if successor.partnership_id != decision.partnership_id:
            raise NotFound(f"{successor.reference} belongs to another partnership.")
        decision.supersede(
            superseded_by=successor.id,
            rationale=cmd.rationale,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(decision)
        return decision.id

    # Meeting

    def schedule_meeting(self, cmd: commands.ScheduleMeeting) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        meeting = Meeting.schedule(
            meeting_id=cmd.meeting_id or self.new_id(),
            partnership_id=partnership.id,
            title=cmd.title,
            held_at=cmd.held_at,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(meeting)
        return meeting.id

    def record_attendance(self, cmd: commands.RecordAttendance) -> UUID:
        meeting = self.load(Meeting, cmd.meeting_id)
        assert meeting.partnership_id is not None
        partnership = self.load(Partnership, meeting.partnership_id)
        meeting.record_attendance(
            present=cmd.present,
            apologies=cmd.apologies,
            roster=partnership.roster(),
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(meeting)
        return meeting.id

    def approve_minutes(self, cmd: commands.ApproveMinutes) -> UUID:
        meeting = self.load(Meeting, cmd.meeting_id)
        meeting.approve_minutes(summary=cmd.summary, actor=cmd.actor, at=self.clock())
        self.save_all(meeting)
        return meeting.id

    # Action

    def commit_action(self, cmd: commands.CommitAction) -> UUID:
        decision = self.load(Decision, cmd.decision_id)
        assert decision.partnership_id is not None
        action = Action.commit(
            action_id=cmd.action_id or self.new_id(),
            partnership_id=decision.partnership_id,
            decision_id=decision.id,
            decision_taken=decision.status is DecisionStatus.TAKEN,
            reference=cmd.reference,
            title=cmd.title,
            owner=cmd.owner,
            due_on=cmd.due_on,
            measure=cmd.measure,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(action)
        return action.id

    def report_progress(self, cmd: commands.ReportProgress) -> UUID:
        action = self.load(Action, cmd.action_id)
        action.report_progress(
            note=cmd.note,
            percent_complete=cmd.percent_complete,
            actor=cmd.actor,
            at=self.clock(),
        )
        self.save_all(action)
        return action.id

    def complete_action(self, cmd: commands.CompleteAction) -> UUID:
        action = self.load(Action, cmd.action_id)
        action.complete(note=cmd.note, actor=cmd.actor, at=self.clock())
        self.save_all(action)
        return action.id

    # Helpers

    def _partnership_of(self, decision: Decision) -> Partnership:
        assert decision.partnership_id is not None
        return self.load(Partnership, decision.partnership_id)

    @staticmethod
    def _same_partnership(partnership: Partnership, other: UUID | None, what: str) -> None:
        if other != partnership.id:
            raise NotFound(f"{what} does not belong to {partnership.name}.")

    def aggregate_events(self, aggregate_id: UUID) -> list[Any]:
        return list(self.events.get(aggregate_id))
