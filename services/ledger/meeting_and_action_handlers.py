"""The application service's handlers of meeting and action commands: scheduling a
meeting, recording who attended and approving its minutes; committing an action
that follows a decision, reporting its progress and completing it."""

from __future__ import annotations

from uuid import UUID

from domain.action import Action
from domain.decision import Decision
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.values import DecisionStatus
from services.ledger import commands
from services.ledger.application_base import LedgerApplicationBase


class MeetingAndActionHandlers(LedgerApplicationBase):
    # Meeting

    def schedule_meeting(self, cmd: commands.ScheduleMeeting) -> UUID:
        partnership = self.load(Partnership, cmd.partnership_id)
        meeting = Meeting.schedule(
            meeting_id=self.given_or_new_id("meeting_id", cmd.meeting_id),
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
            action_id=self.given_or_new_id("action_id", cmd.action_id),
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
