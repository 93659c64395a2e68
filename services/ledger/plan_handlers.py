"""The application service's handlers of plan commands: drafting a plan from a
registered template, revising its sections, consultation, DfE's quality assurance,
approval, publication and supersession."""

from __future__ import annotations

from uuid import UUID

from domain.contribution import Contribution
from domain.decision import Decision
from domain.partnership import Partnership
from domain.plan import InclusionPlan, SectionText
from services.ledger import commands
from services.ledger.application_base import LedgerApplicationBase


class PlanHandlers(LedgerApplicationBase):
    def draft_plan(self, cmd: commands.DraftPlan) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        plan = InclusionPlan.draft(
            plan_id=self.given_or_new_id("plan_id", cmd.plan_id),
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
