"""The application service's handlers of contribution commands: a contribution
submitted (and received by the plan it concerns), triaged or routed to an
individual case, answered, summarised without identifying anyone, and its
contributor told."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import LedgerAggregate
from domain.contribution import Contribution
from domain.partnership import Partnership
from domain.plan import InclusionPlan
from domain.values import Actor
from services.ledger import commands
from services.ledger.application_base import LedgerApplicationBase


class ContributionHandlers(LedgerApplicationBase):
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
            contribution_id=self.given_or_new_id("contribution_id", cmd.contribution_id),
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
