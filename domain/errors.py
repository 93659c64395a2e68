"""Domain errors, each named after the rule that was broken.

Edges translate them once: the CLI exits 2 with the message, HTTP answers
422 (or 409 for conflicts), NATS intake dead-letters with the reason.
"""

from __future__ import annotations


class LedgerRuleBroken(Exception):
    """Base class: a command was refused because it would break a rule."""

    rule = "ledger rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(LedgerRuleBroken):
    rule = "unknown id"


class Conflict(LedgerRuleBroken):
    """Someone else changed the same aggregate first; retry on fresh state."""

    rule = "concurrent change"


class DuplicateMember(LedgerRuleBroken):
    rule = "one member id once"


class MemberNotActive(LedgerRuleBroken):
    rule = "a stood-down or unknown member cannot act"


class NoTermsOfReference(LedgerRuleBroken):
    rule = "decisions need terms of reference in force"


class InvalidTermsOfReference(LedgerRuleBroken):
    rule = "terms of reference must be workable"


class TermsUnchanged(LedgerRuleBroken):
    rule = "terms of reference are adopted only when they change"


class QuorumNotMet(LedgerRuleBroken):
    rule = "quorum under the terms of reference in force"


class CoproductionNotEvidenced(LedgerRuleBroken):
    rule = "co-produced only when the forum's participation is evidenced"


class DecisionFinal(LedgerRuleBroken):
    rule = "a taken decision is final"


class DecisionNotTaken(LedgerRuleBroken):
    rule = "only a taken decision can be acted on, reviewed or superseded"


class DecisionBlocked(LedgerRuleBroken):
    rule = "a block from an eligible member stops approval"


class MajorityNotReached(LedgerRuleBroken):
    rule = "approval needs more eligible votes for than against"


class ReasonRequired(LedgerRuleBroken):
    rule = "dissent and decisions need a reason"


class RationaleRequired(LedgerRuleBroken):
    rule = "a rationale is required"


class ContributionAlreadyLinked(LedgerRuleBroken):
    rule = "a contribution is linked to a decision once at a time"


class ContributionNotLinked(LedgerRuleBroken):
    rule = "only a linked contribution can be unlinked or cause an amendment"


class AlreadyVoted(LedgerRuleBroken):
    rule = "one vote per member per decision"


class VoteNotRecorded(LedgerRuleBroken):
    rule = "only a recorded vote can be withdrawn"


class StageTransitionNotAllowed(LedgerRuleBroken):
    rule = "stage transitions follow the plan template"


class PlanFrozen(LedgerRuleBroken):
    rule = "a submitted or published plan version is frozen"


class UnknownSection(LedgerRuleBroken):
    rule = "sections come from the plan template"


class InvalidTemplate(LedgerRuleBroken):
    rule = "a plan template must be a consistent state machine"


class UnknownTemplate(LedgerRuleBroken):
    rule = "plans are drafted from a registered template"


class ConsultationOpen(LedgerRuleBroken):
    rule = "nothing is submitted while consultation is open"


class ContributionsAwaitingTriage(LedgerRuleBroken):
    rule = "nothing is submitted while a contribution on the plan awaits triage"


class QAApprovalMissing(LedgerRuleBroken):
    rule = "a plan is approved only after QA feedback approves it"


class PublicationNotApproved(LedgerRuleBroken):
    rule = "a plan is published only as the version DfE approved"


class ContributionNotTriaged(LedgerRuleBroken):
    rule = "a contribution is triaged before it gets a response"


class ResponseAlreadyIssued(LedgerRuleBroken):
    rule = "a contribution gets one response"


class RoutedToIndividualCase(LedgerRuleBroken):
    rule = "a contribution routed to an individual case is not a plan matter"


class SummaryIdentifiesContributor(LedgerRuleBroken):
    rule = "only de-identified summaries are published"


class MeetingRecordFinal(LedgerRuleBroken):
    rule = "approved minutes are final"


class AttendanceNotRecorded(LedgerRuleBroken):
    rule = "a meeting's attendance is recorded before it is relied on"


class MeetingNotYetHeld(LedgerRuleBroken):
    rule = "attendance, minutes and decisions are recorded only for a meeting already held"


class ActionClosed(LedgerRuleBroken):
    rule = "a completed action takes no more reports"


class InvalidValue(LedgerRuleBroken):
    rule = "values must be well formed"
