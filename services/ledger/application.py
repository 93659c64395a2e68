"""The ledger's application service: one method per command, each loading the
aggregates it needs, asking the domain to decide, and saving in one transaction.

`LedgerApplication` is the one entry for every command: `handle` dispatches it to
its handler, `execute` also says what it did (`services/ledger/outcome.py`), and
`execute_all` / `handle_all` run a batch as one unit of work. The handlers are
grouped by aggregate, each group in a module of its own (`partnership_handlers`,
`plan_handlers`, `contribution_handlers`, `decision_handlers`,
`meeting_and_action_handlers`); loading, saving and batches are in
`application_base`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, assert_never
from uuid import UUID

from domain.errors import LedgerRuleBroken
from services.ledger import commands
from services.ledger.application_base import Clock, CommandNote, utc_now
from services.ledger.contribution_handlers import ContributionHandlers
from services.ledger.decision_handlers import DecisionHandlers
from services.ledger.meeting_and_action_handlers import MeetingAndActionHandlers
from services.ledger.outcome import CommandOutcome, outcome_of
from services.ledger.partnership_handlers import PartnershipHandlers
from services.ledger.plan_handlers import PlanHandlers

__all__ = ["Clock", "CommandOutcome", "LedgerApplication", "utc_now"]


class LedgerApplication(
    PartnershipHandlers,
    PlanHandlers,
    ContributionHandlers,
    DecisionHandlers,
    MeetingAndActionHandlers,
):
    name = "InclusionLedger"
    # Commands load the same few aggregates (a partnership, a meeting) again and
    # again: keep them, and fast-forward from the store on each load so a cached
    # copy is never stale.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "5000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

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

    def execute(self, command: commands.AnyCommand) -> CommandOutcome:
        """Execute one command, as `handle` does, and say what it did: the aggregate
        it created or changed, the ids the ledger assigned because the command left
        them out, and the events stored with their log positions."""
        if self._batch is not None:
            raise RuntimeError("execute cannot run inside a batch: give execute_all the command")
        note = self._note_next_command()
        try:
            aggregate_id = self.handle(command)
        finally:
            self._note = None
        return outcome_of(command, aggregate_id, note.assigned_ids, note.recordings)

    def execute_all(self, commands: Sequence[commands.AnyCommand]) -> list[CommandOutcome]:
        """Execute commands as one unit of work: each aggregate is loaded once and
        every event is stored in one transaction, in command order. If any command
        is refused, nothing is stored and the error says which command it was.
        Return one outcome per command, in command order."""
        done = self._run_batch(commands, noted=True)
        return [
            outcome_of(command, aggregate_id, note.assigned_ids, note.recordings)
            for command, (aggregate_id, note) in zip(commands, done, strict=True)
            if note is not None
        ]

    def handle_all(self, commands: Sequence[commands.AnyCommand]) -> list[UUID]:
        """Execute commands as one unit of work (`execute_all`); return the id of the
        aggregate each created or changed, noting nothing more (the batched write path)."""
        return [aggregate_id for aggregate_id, _ in self._run_batch(commands, noted=False)]

    def _run_batch(
        self, commands: Sequence[commands.AnyCommand], *, noted: bool
    ) -> list[tuple[UUID, CommandNote | None]]:
        """Each command's aggregate id and, when `noted`, a note of what it did."""
        self._start_batch()
        try:
            done: list[tuple[UUID, CommandNote | None]] = []
            for number, command in enumerate(commands, start=1):
                note = self._note_next_command() if noted else None
                try:
                    done.append((self.handle(command), note))
                except LedgerRuleBroken as e:
                    raise type(e)(
                        f"Command {number} of {len(commands)} ({type(command).__name__}) was "
                        f"refused, so none was stored: {e.message}"
                    ) from e
            self._store_batch([note for _, note in done if note is not None])
            return done
        finally:
            self._end_batch()
