"""Synthetic ledger generator: many partnerships' co-production stories, written through the
ledger's own commands (so every rule is kept), for the large-ledger runs of PERFORMANCE.md.

Run:

    .venv/bin/python -m tests.benchmarks.generator [--events N] [--seed S] [--db URL]
                                                   [--batch-events B]

Prints one JSON summary on stdout (counts per aggregate kind and event type, seconds,
events/s); progress goes to stderr. Without ``--db`` the ledger is written to a new
SQLite file that is kept, and its path is printed.

The story. About one partnership per ``EVENTS_PER_PARTNERSHIP`` events, established a
few days apart, each with 8-14 members across sectors (always a parent carer forum
co-chair) and terms of reference. Each drafts an interim plan from the template, consults
briefly, has it quality assured and publishes it; then drafts its three-year plan, runs an
eight-week consultation (a survey, listening events, easy-read and translated formats),
revises sections citing decisions and contributions, goes through DfE QA (usually with
changes requested first), publishes it on the local offer and supersedes the interim plan;
published plans are refreshed each year and replaced by the next plan near the end of
their period. Contributions arrive all the time and are logged by the engagement team
twice a week (survey responses are imported the same way while a consultation is open;
listening events are logged on the day); they are triaged and mostly answered, some
routed to an individual case and some left unanswered. A board
meets every four weeks: decisions proposed in between have contributions linked (some
unlinked later), some are amended because of them, interests are declared, members vote
(some against or abstaining with reasons; a partnership's first block was a vote against,
withdrawn with a reason and recast) and the decision is taken, or deferred when the
meeting is not quorate for it. Taken decisions get actions with progress reports, reviews,
plan revisions, responses to the contributions that shaped them, and sometimes a later
decision supersedes them. Members stand down and are replaced; terms are revised.

Everything is decided by a ``random.Random`` per partnership seeded from ``seed``, and ids
are uuid5 names under a namespace derived from ``seed``, so the same seed and size give
the same commands, the same events and the same stored bytes. Time comes from the scenario
clock: the story is simulated one working day at a time and the day's commands are
written with ``handle_all`` at 16:00 that day (a day larger than ``batch_events`` is split
into several batches, one second apart), so stored times only ever move forward.

Speed. Most of the time goes into the ledger's aggregate cache, which deep-copies an
aggregate on every load: a plan carries the id of every contribution it has received, so
each day's first contribution to it copies them all, and a QA submission loads every one.
For a generation run (whose batches are never refused, and whose process ends with it)
the copy can be switched off with eventsourcing's own setting,
``DEEPCOPY_FROM_AGGREGATE_CACHE=n``, which roughly doubles the rate on SQLite and leaves
the stored log byte for byte the same.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as time_of_day
from functools import partial
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

import domain
from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from domain import action as action_events
from domain import contribution as contribution_events
from domain import decision_events
from domain import meeting as meeting_events
from domain import partnership as partnership_events
from domain import plan as plan_events
from domain.values import (
    Actor,
    Channel,
    ContributorKind,
    DecisionCategory,
    DecisionOutcome,
    Depth,
    Influence,
    QAOutcome,
    ResponseOutcome,
    Sector,
    Stance,
)
from services.demo.cast import ScenarioClock
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1

DEFAULT_EVENTS = 100_000
DEFAULT_SEED = 1
DEFAULT_BATCH_EVENTS = 5000
MAX_EVENTS = 1_000_000
EVENTS_PER_PARTNERSHIP = 7500
STORY_START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)

WRITE_AT = time_of_day(16, 0)  # the day's records are written at the end of the working day
MEETING_AT = time_of_day(14, 0)
STAGGER_DAYS = 60  # partnerships are established over the first two months
MEETING_EVERY_DAYS = 28
DECISIONS_PER_MEETING = 5.0
TRICKLE_PER_DAY = 1.5  # emails, forum posts and the like, per working day
INTERIM_SURVEY_PER_DAY = 3.0  # survey responses while a consultation is open
MAIN_SURVEY_PER_DAY = 8.0
EDITABLE = ("draft", "revision")
OPEN = ("proposed", "deferred")
SECTION_TITLES = {s.key: s.title for s in LOCAL_INCLUSION_PLAN_V1.sections}

Step = Callable[[], None]


# The result


class GeneratedLedger(msgspec.Struct, frozen=True, kw_only=True):
    """What was written: counts read back from the stored batches, the ids, the seed."""

    seed: int
    requested_events: int
    events: int
    batches: int
    first_at: datetime | None
    last_at: datetime | None
    aggregates: dict[str, int]
    event_types: dict[str, int]
    partnership_ids: tuple[UUID, ...]
    plan_ids: tuple[UUID, ...]
    decision_ids: tuple[UUID, ...]


# The events each command stores: one each, and a ContributionReceived on the plan when a
# contribution concerns one.

_EVENT_OF: dict[type[commands.Command], str] = {
    commands.EstablishPartnership: partnership_events.PartnershipEstablished.TOPIC,
    commands.AppointMember: partnership_events.MemberAppointed.TOPIC,
    commands.StandDownMember: partnership_events.MemberStoodDown.TOPIC,
    commands.AdoptTermsOfReference: partnership_events.TermsOfReferenceAdopted.TOPIC,
    commands.DeclareInterest: partnership_events.InterestDeclared.TOPIC,
    commands.DraftPlan: plan_events.PlanDrafted.TOPIC,
    commands.ReviseSection: plan_events.SectionRevised.TOPIC,
    commands.OpenConsultation: plan_events.ConsultationOpened.TOPIC,
    commands.CloseConsultation: plan_events.ConsultationClosed.TOPIC,
    commands.SubmitPlanForQA: plan_events.PlanSubmittedForQA.TOPIC,
    commands.RecordQAFeedback: plan_events.QAFeedbackReceived.TOPIC,
    commands.ApprovePlan: plan_events.PlanApproved.TOPIC,
    commands.PublishPlan: plan_events.PlanPublished.TOPIC,
    commands.SupersedePlan: plan_events.PlanSuperseded.TOPIC,
    commands.SubmitContribution: contribution_events.ContributionSubmitted.TOPIC,
    commands.TriageContribution: contribution_events.ContributionTriaged.TOPIC,
    commands.RouteContributionToIndividualCase: (
        contribution_events.ContributionRoutedToIndividualCase.TOPIC
    ),
    commands.IssueResponse: contribution_events.ResponseIssued.TOPIC,
    commands.RecordDeidentifiedSummary: contribution_events.DeidentifiedSummaryRecorded.TOPIC,
    commands.NotifyContributor: contribution_events.ContributorNotified.TOPIC,
    commands.ProposeDecision: decision_events.DecisionProposed.TOPIC,
    commands.LinkContribution: decision_events.ContributionLinked.TOPIC,
    commands.UnlinkContribution: decision_events.ContributionUnlinked.TOPIC,
    commands.AmendDecision: decision_events.DecisionAmended.TOPIC,
    commands.RecordVote: decision_events.VoteRecorded.TOPIC,
    commands.WithdrawVote: decision_events.VoteWithdrawn.TOPIC,
    commands.TakeDecision: decision_events.DecisionTaken.TOPIC,
    commands.DeferDecision: decision_events.DecisionDeferred.TOPIC,
    commands.ScheduleReview: decision_events.ReviewScheduled.TOPIC,
    commands.SupersedeDecision: decision_events.DecisionSuperseded.TOPIC,
    commands.ScheduleMeeting: meeting_events.MeetingScheduled.TOPIC,
    commands.RecordAttendance: meeting_events.AttendanceRecorded.TOPIC,
    commands.ApproveMinutes: meeting_events.MinutesApproved.TOPIC,
    commands.CommitAction: action_events.ActionCommitted.TOPIC,
    commands.ReportProgress: action_events.ProgressReported.TOPIC,
    commands.CompleteAction: action_events.ActionCompleted.TOPIC,
}
_RECEIVED = plan_events.ContributionReceived.TOPIC
_TRIAGED_ON_PLAN = plan_events.PlanContributionTriaged.TOPIC

# The event that creates each kind of aggregate.
KIND_OF_CREATION: dict[str, str] = {
    partnership_events.PartnershipEstablished.TOPIC: "partnership",
    plan_events.PlanDrafted.TOPIC: "plan",
    contribution_events.ContributionSubmitted.TOPIC: "contribution",
    decision_events.DecisionProposed.TOPIC: "decision",
    meeting_events.MeetingScheduled.TOPIC: "meeting",
    action_events.ActionCommitted.TOPIC: "action",
}


def events_of(command: commands.AnyCommand, on_plan: Container[UUID]) -> int:
    """How many events the command stores. A contribution on a plan adds an event to
    the plan when it arrives and another when it is triaged or routed; `on_plan`
    holds the ids of contributions made on a plan."""
    match command:
        case commands.SubmitContribution(plan_id=UUID()):
            return 2
        case commands.TriageContribution() | commands.RouteContributionToIndividualCase():
            return 2 if command.contribution_id in on_plan else 1
        case _:
            return 1


# Content: places, people and what they talk about


PLACE_STARTS = (
    "North", "South", "East", "West", "Ash", "Bram", "Cal", "Dun", "Elm", "Fern", "Glen",
    "Hart", "Kings", "Lang", "Mar", "Oak", "Red", "Stan", "Thorn", "Wood", "Brook", "Hol",
    "Mill", "Ros",
)  # fmt: skip
PLACE_ENDS = (
    "moor", "dale", "ford", "bury", "field", "ton", "ley", "wick", "borough", "mouth",
    "combe", "stead", "worth", "ham", "by",
)  # fmt: skip
FIRST_NAMES = (
    "Priya", "Tom", "Helen", "Sam", "Grace", "Owen", "Aisha", "Mark", "Jo", "Kai", "Rebecca",
    "Daniel", "Fatima", "Liam", "Chloe", "Imran", "Sophie", "Marcus", "Hannah", "Yusuf",
    "Emma", "Ravi", "Olivia", "Kwame", "Megan", "Tariq", "Lucy", "Ben", "Zara", "Callum",
    "Nadia", "Ethan", "Amira", "Jack", "Ellie", "Hamza", "Ruth", "Dylan", "Maya", "Connor",
)  # fmt: skip
LAST_NAMES = (
    "Shah", "Okafor", "Marsh", "Reid", "Lin", "Price", "Begum", "Doyle", "Evans", "Morgan",
    "Hall", "Khan", "Patel", "Smith", "Jones", "Taylor", "Brown", "Wilson", "Ahmed", "Clarke",
    "Walker", "Wright", "Green", "Hussain", "Lewis", "Mensah", "Kaur", "Robinson", "Hughes",
    "Edwards", "Nowak", "Ali", "Turner", "Bennett", "Collins", "Murphy", "Singh", "Ward",
)  # fmt: skip
SCHOOL_NAMES = (
    "Moorside", "Heathfield", "Riverside", "Oakwood", "St Anne's", "Hillcrest", "Meadow",
    "Brookfield", "Park View", "Greenacre",
)  # fmt: skip
ORGANISATION_KINDS = (
    "Autism Support", "Young Carers", "Down Syndrome Group", "Family Voice", "ADHD Network",
    "Disabled Children's Trust", "Deaf Children's Society", "Early Years Alliance",
)  # fmt: skip
FORMATS = (
    "easy read", "Polish", "Urdu", "BSL video", "large print", "audio", "Romanian", "Somali",
    "Bengali", "symbol-supported",
)  # fmt: skip


@dataclass(frozen=True)
class Proposal:
    title: str
    text: str
    amendment: str  # the clause an amendment adds
    amendment_reason: str
    options: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class Topic:
    """Something families and practitioners raise, and what the board can decide about it."""

    key: str
    weight: int
    themes: tuple[str, ...]
    section: str
    category: DecisionCategory
    interest_key: str  # the member most likely to declare an interest
    concerns: tuple[str, ...]
    asks: tuple[str, ...]
    summaries: tuple[str, ...]
    proposals: tuple[Proposal, ...]
    plan_text: str
    partly: str
    actions: tuple[tuple[str, str], ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="salt",
        weight=14,
        themes=("speech and language", "waiting times"),
        section="health_commissioning",
        category=DecisionCategory.HEALTH_COMMISSIONING,
        interest_key="icb-lead",
        concerns=(
            "We have waited {months} months for a speech and language therapy assessment.",
            "Speech and language support stops when children move to secondary school.",
            "Therapy advice arrives as a report but nobody in school has time to follow it.",
        ),
        asks=(
            "Please cover post-16 settings too.",
            "Please train school staff to carry out the therapy programmes.",
            "",
        ),
        summaries=(
            "reported long waits for speech and language therapy.",
            "asked for speech and language support to continue through secondary school.",
            "said therapy advice is not being carried out in school.",
        ),
        proposals=(
            Proposal(
                "Early-language SaLT assistants",
                "Commission {n} full-time speech and language therapy assistants in an "
                "early-language model across early years settings and schools.",
                "extended to further education colleges",
                "families asked that support continue post-16",
                ("{n} FTE assistants", "training offer only", "no change"),
                "median wait of {months} months for a SaLT assessment",
            ),
            Proposal(
                "SaLT training for school staff",
                "Fund speech and language therapy training for a named lead in every "
                "primary school.",
                "with termly therapist supervision",
                "parents said advice was not being followed without support",
                ("a lead in every school", "clusters of schools", "no change"),
                "survey of SENCOs on therapy programmes",
            ),
        ),
        plan_text="Children and young people get speech and language support early, in the "
        "setting they attend.",
        partly="Included for early years and schools now; post-16 settings from next year.",
        actions=(
            ("Recruit SaLT assistants", "assistants in post; median wait under 18 weeks"),
            ("Train school SaLT leads", "a trained lead in 90% of primary schools"),
        ),
    ),
    Topic(
        key="autism",
        weight=12,
        themes=("autism assessment", "waiting times"),
        section="health_commissioning",
        category=DecisionCategory.HEALTH_COMMISSIONING,
        interest_key="icb-lead",
        concerns=(
            "We have waited {months} months for an autism assessment.",
            "School will not put support in place until there is a diagnosis.",
            "After the diagnosis we were given a leaflet and nothing else.",
        ),
        asks=(
            "Please provide support while families wait.",
            "Please offer post-diagnosis help.",
            "",
        ),
        summaries=(
            "reported long waits for an autism assessment.",
            "said support depends on a diagnosis rather than need.",
            "asked for help for families after an autism diagnosis.",
        ),
        proposals=(
            Proposal(
                "Needs-led support while waiting for assessment",
                "Introduce a needs-led support offer for children waiting for an autism "
                "assessment, available without a diagnosis.",
                "with a named key worker for each family",
                "families asked for one person to contact while they wait",
                ("needs-led offer", "extra assessment capacity only", "no change"),
                "{months}-month median wait for an autism assessment",
            ),
            Proposal(
                "Autism assessment capacity",
                "Commission additional autism assessment capacity to clear the backlog "
                "within two years.",
                "with post-diagnosis workshops for families",
                "parents said a diagnosis was followed by no help",
                ("independent sector capacity", "in-house recruitment", "no change"),
                "assessment backlog reported by the ICB",
            ),
        ),
        plan_text="Children are supported according to need, whether or not they have a diagnosis.",
        partly="The support offer starts now; extra assessment capacity follows next year.",
        actions=(
            ("Launch the needs-led support offer", "offer live; families reached each term"),
            ("Commission assessment capacity", "backlog halved within 12 months"),
        ),
    ),
    Topic(
        key="mental_health",
        weight=10,
        themes=("mental health", "school attendance"),
        section="health_commissioning",
        category=DecisionCategory.HEALTH_COMMISSIONING,
        interest_key="icb-lead",
        concerns=(
            "My child has not been able to attend school for {months} months because of anxiety.",
            "Mental health support in school is a six-week course and then nothing.",
            "We were told the threshold for CAMHS was not met.",
        ),
        asks=("Please put mental health workers in every school.", "", ""),
        summaries=(
            "described a child unable to attend school because of anxiety.",
            "said mental health support in school ends too soon.",
            "reported being turned away by children's mental health services.",
        ),
        proposals=(
            Proposal(
                "Mental health support teams in schools",
                "Extend mental health support teams to every secondary school and one in "
                "three primary schools.",
                "including a pathway for children not attending school",
                "families of children out of school asked to be included",
                ("all secondary schools", "targeted schools only", "no change"),
                "attendance data for children with SEMH needs",
            ),
        ),
        plan_text="Children's mental health needs are met in school, before they reach crisis.",
        partly="Secondary schools are covered now; primary schools follow as teams grow.",
        actions=(("Extend mental health support teams", "teams in every secondary school"),),
    ),
    Topic(
        key="specialist_places",
        weight=10,
        themes=("specialist places", "travel to school"),
        section="specialist_and_ap_places",
        category=DecisionCategory.SPECIALIST_PLACES,
        interest_key="special-head",
        concerns=(
            "There was no local special school place, so my son travels {months}0 minutes "
            "each way.",
            "We were told the special school is full for the next two years.",
            "My daughter's needs could be met in a resourced base in a mainstream school.",
        ),
        asks=("Please open more places close to home.", "", ""),
        summaries=(
            "reported long journeys to a special school place.",
            "said local special schools are full.",
            "asked for resourced provision in mainstream schools.",
        ),
        proposals=(
            Proposal(
                "New resourced provision",
                "Open {n} resourced bases in mainstream schools for children with autism "
                "and communication needs.",
                "spread so that every child has one within 30 minutes",
                "families described long journeys",
                ("{n} bases", "a new special school", "no change"),
                "sufficiency review of specialist places",
            ),
            Proposal(
                "Special school expansion",
                "Expand two special schools by {n}0 places for children with complex needs.",
                "with places reserved for post-16 learners",
                "parents of older pupils asked for continuity",
                ("expand two schools", "one new school", "no change"),
                "waiting list for special school places",
            ),
        ),
        plan_text="Children who need a specialist place get one close to home.",
        partly="The new bases open over two years, starting in the areas with most need.",
        actions=(
            ("Open resourced bases", "bases open and full by the end of the year"),
            ("Expand special school places", "places available from September"),
        ),
    ),
    Topic(
        key="ap",
        weight=8,
        themes=("alternative provision", "exclusions"),
        section="specialist_and_ap_places",
        category=DecisionCategory.AP_PLACES,
        interest_key="ap-head",
        concerns=(
            "My son was excluded and waited {months} weeks for an alternative provision place.",
            "The pupil referral unit is full, so children are on part-time timetables.",
            "There is no way back to mainstream school once a child is in AP.",
        ),
        asks=("Please fund outreach into mainstream schools.", "", ""),
        summaries=(
            "reported a long wait for an alternative provision place after exclusion.",
            "said children are left on part-time timetables.",
            "asked for routes back to mainstream school from AP.",
        ),
        proposals=(
            Proposal(
                "AP outreach and reintegration",
                "Fund an AP outreach team to support pupils at risk of exclusion and their "
                "return to mainstream school.",
                "with a six-week reintegration plan for every pupil",
                "families asked for a route back to mainstream",
                ("outreach team", "more AP places", "no change"),
                "suspension and exclusion data",
            ),
        ),
        plan_text="Pupils at risk of exclusion are supported in their school, and AP is a "
        "route back.",
        partly="Outreach starts in secondary schools this year; primary outreach is planned.",
        actions=(("Set up the AP outreach team", "exclusions down by a quarter"),),
    ),
    Topic(
        key="oap",
        weight=10,
        themes=("ordinarily available provision", "mainstream inclusion"),
        section="ordinarily_available",
        category=DecisionCategory.ORDINARILY_AVAILABLE_PROVISION,
        interest_key="school-head",
        concerns=(
            "What my child gets depends entirely on which school she attends.",
            "Teachers do not know what adjustments they are expected to make.",
            "We were told to apply for an EHCP to get basic support.",
        ),
        asks=("Please publish what every school should provide.", "", ""),
        summaries=(
            "said support varies from school to school.",
            "asked for clear expectations of mainstream schools.",
            "said an EHCP was needed for basic support.",
        ),
        proposals=(
            Proposal(
                "Ordinarily available provision guide",
                "Adopt a shared ordinarily available provision guide for every setting, with "
                "termly support from the inclusion team.",
                "with a version written for families",
                "parents asked to know what to expect",
                ("shared guide and support", "guide only", "no change"),
                "audit of provision in mainstream schools",
            ),
        ),
        plan_text="Every setting knows, and delivers, what is ordinarily available.",
        partly="The guide is adopted; the family version follows after co-production.",
        actions=(("Publish the provision guide", "guide in use in every setting"),),
    ),
    Topic(
        key="early_years",
        weight=6,
        themes=("early years", "early identification"),
        section="ordinarily_available",
        category=DecisionCategory.ORDINARILY_AVAILABLE_PROVISION,
        interest_key="early-years",
        concerns=(
            "Our nursery could not get extra funding until our son was nearly five.",
            "Needs were spotted at the two-year check but nothing happened.",
            "Childminders get no SEND training.",
        ),
        asks=("Please fund support in nurseries sooner.", "", ""),
        summaries=(
            "said early years funding came too late.",
            "reported that needs spotted early were not acted on.",
            "asked for SEND training for childminders.",
        ),
        proposals=(
            Proposal(
                "Early years inclusion fund",
                "Create an early years inclusion fund that nurseries can draw on without a "
                "diagnosis.",
                "including childminders",
                "families using childminders asked to be included",
                ("inclusion fund", "more specialist teachers", "no change"),
                "early years SEND funding claims",
            ),
        ),
        plan_text="Needs are identified and met early, in every early years setting.",
        partly="The fund opens to nurseries now and to childminders from next year.",
        actions=(("Open the early years inclusion fund", "fund open; claims paid in 4 weeks"),),
    ),
    Topic(
        key="workforce",
        weight=7,
        themes=("workforce training", "teaching assistants"),
        section="workforce",
        category=DecisionCategory.WORKFORCE,
        interest_key="school-head",
        concerns=(
            "Teaching assistants support children with complex needs with no training.",
            "Our SENCO has no time to do the job.",
            "Staff turnover means my child has had {months} different support workers.",
        ),
        asks=("Please fund SEND training for support staff.", "", ""),
        summaries=(
            "said support staff lack SEND training.",
            "said SENCOs do not have enough time.",
            "reported frequent changes of support staff.",
        ),
        proposals=(
            Proposal(
                "SEND training programme",
                "Fund a SEND training programme for teaching assistants across all schools "
                "and colleges.",
                "co-delivered with parent carers",
                "the forum asked that families help deliver the training",
                ("full programme", "online modules only", "no change"),
                "workforce survey of schools",
            ),
        ),
        plan_text="Staff in every setting have the SEND training their roles need.",
        partly="Training starts for teaching assistants; co-delivery is being planned.",
        actions=(("Deliver the SEND training programme", "80% of TAs trained in a year"),),
    ),
    Topic(
        key="ehcp",
        weight=12,
        themes=("EHCP timeliness", "annual reviews"),
        section="vision",
        category=DecisionCategory.EHCP_TIMELINESS,
        interest_key="head-of-send",
        concerns=(
            "Our EHC needs assessment took {months} months instead of 20 weeks.",
            "The annual review was held but the plan was never updated.",
            "Nobody answers the SEND team's phone.",
        ),
        asks=("Please give every family a named caseworker.", "", ""),
        summaries=(
            "reported an EHC needs assessment well past 20 weeks.",
            "said plans are not updated after annual reviews.",
            "said the SEND team is hard to contact.",
        ),
        proposals=(
            Proposal(
                "EHCP timeliness recovery plan",
                "Adopt a recovery plan to issue {n}0% of EHC plans within 20 weeks, with "
                "additional caseworkers.",
                "with a named caseworker for every family",
                "families asked for one point of contact",
                ("recovery plan", "temporary agency staff", "no change"),
                "EHCP timeliness returns",
            ),
        ),
        plan_text="Families get a timely, well-written EHC plan that is kept up to date.",
        partly="Extra caseworkers start now; named caseworkers follow as the team grows.",
        actions=(("Recruit additional caseworkers", "EHC plans issued within 20 weeks"),),
    ),
    Topic(
        key="budget",
        weight=4,
        themes=("high needs funding",),
        section="vision",
        category=DecisionCategory.HIGH_NEEDS_BUDGET,
        interest_key="head-of-send",
        concerns=(
            "Cuts to top-up funding mean my child's support was reduced.",
            "Families are not told how high needs money is spent.",
            "",
        ),
        asks=("Please publish how the high needs budget is spent.", "", ""),
        summaries=(
            "said cuts to top-up funding reduced support.",
            "asked for openness about high needs spending.",
            "asked for openness about high needs spending.",
        ),
        proposals=(
            Proposal(
                "High needs budget priorities",
                "Set the high needs budget priorities for the year, moving funding towards "
                "early support in mainstream settings.",
                "with a published summary for families",
                "parents asked how the money is spent",
                ("shift to early support", "protect current allocations", "no change"),
                "high needs budget forecast",
            ),
        ),
        plan_text="High needs funding follows the plan's priorities, openly reported.",
        partly="Priorities are set; the published summary follows the year-end accounts.",
        actions=(("Publish the high needs budget summary", "summary published each year"),),
    ),
    Topic(
        key="post16",
        weight=8,
        themes=("post-16", "preparing for adulthood", "employment"),
        section="preparing_for_adulthood",
        category=DecisionCategory.OTHER,
        interest_key="fe-principal",
        concerns=(
            "My son is 17 and at college; support stops at 16.",
            "There are no supported internships near us.",
            "Planning for adulthood started far too late.",
        ),
        asks=("Please start transition planning in Year 9.", "", ""),
        summaries=(
            "said support stops at 16.",
            "asked for supported internships locally.",
            "said planning for adulthood starts too late.",
        ),
        proposals=(
            Proposal(
                "Supported internships",
                "Fund {n}0 supported internship places with local employers each year.",
                "with travel training for every intern",
                "young people said getting to work was the barrier",
                ("{n}0 places", "fewer places with job coaches", "no change"),
                "destinations data for young people with EHC plans",
            ),
        ),
        plan_text="Young people are prepared for adulthood, work and independent living.",
        partly="Internships start this year; travel training follows.",
        actions=(("Set up supported internships", "places filled; 60% into paid work"),),
    ),
    Topic(
        key="short_breaks",
        weight=5,
        themes=("short breaks", "social care"),
        section="preparing_for_adulthood",
        category=DecisionCategory.OTHER,
        interest_key="social-care",
        concerns=(
            "We have had no short break for {months} months.",
            "Holiday clubs will not take children with personal care needs.",
            "",
        ),
        asks=("Please make holiday clubs inclusive.", "", ""),
        summaries=(
            "reported no short breaks for many months.",
            "said holiday clubs exclude children with personal care needs.",
            "said holiday clubs exclude children with personal care needs.",
        ),
        proposals=(
            Proposal(
                "Short breaks offer",
                "Recommission the short breaks offer with {n}0 additional places and "
                "inclusive holiday clubs.",
                "with personal care available at every club",
                "parents said their children were turned away",
                ("recommission", "direct payments only", "no change"),
                "short breaks statement review",
            ),
        ),
        plan_text="Families have short breaks, and clubs welcome every child.",
        partly="More places open now; personal care at every club is being funded.",
        actions=(("Recommission short breaks", "places available in every school holiday"),),
    ),
)

TOPIC_WEIGHTS = tuple(t.weight for t in TOPICS)

OPENINGS: dict[ContributorKind, tuple[str, ...]] = {
    ContributorKind.PARENT_CARER: (
        "My son is {age} and autistic.",
        "Our daughter is {age} and has Down syndrome.",
        "I am the parent of a {age}-year-old with speech, language and communication needs.",
        "My child has an EHC plan and is in Year {year}.",
        "We are foster carers for a {age}-year-old with complex needs.",
        "",
    ),
    ContributorKind.YOUNG_PERSON: (
        "I am {age} and at college.",
        "I'm in Year {year}.",
        "I am a young carer and I have ADHD.",
        "I'm {age} and I use a communication aid.",
    ),
    ContributorKind.PRACTITIONER: (
        "I am a SENCO in a primary school.",
        "I work as a teaching assistant in a secondary school.",
        "I am a health visitor.",
        "I lead a nursery.",
        "I am an educational psychologist.",
    ),
    ContributorKind.ORGANISATION: (
        "Our charity supports families of disabled children.",
        "Our members run early years settings.",
        "We represent local autism support groups.",
        "Our young carers service hears this every week.",
    ),
}
WHO: dict[ContributorKind, str] = {
    ContributorKind.PARENT_CARER: "A parent carer",
    ContributorKind.YOUNG_PERSON: "A young person",
    ContributorKind.PRACTITIONER: "A practitioner",
    ContributorKind.ORGANISATION: "A local organisation",
}
CHANNEL_KINDS: dict[Channel, tuple[int, int, int, int]] = {
    # parent carer, young person, practitioner, organisation
    Channel.SURVEY: (60, 15, 20, 5),
    Channel.LISTENING_EVENT: (65, 20, 10, 5),
    Channel.EMAIL: (50, 5, 25, 20),
    Channel.FORUM: (85, 10, 0, 5),
    Channel.MEETING: (20, 10, 40, 30),
}
KINDS = (
    ContributorKind.PARENT_CARER,
    ContributorKind.YOUNG_PERSON,
    ContributorKind.PRACTITIONER,
    ContributorKind.ORGANISATION,
)
CHANNEL_DEPTHS: dict[Channel, tuple[int, int, int, int]] = {
    # coproduction, participation, consultation, information
    Channel.SURVEY: (0, 5, 75, 20),
    Channel.LISTENING_EVENT: (10, 60, 30, 0),
    Channel.EMAIL: (0, 10, 55, 35),
    Channel.FORUM: (40, 55, 5, 0),
    Channel.MEETING: (25, 55, 20, 0),
}
DEPTHS = (Depth.COPRODUCTION, Depth.PARTICIPATION, Depth.CONSULTATION, Depth.INFORMATION)
TRICKLE_CHANNELS = (Channel.EMAIL, Channel.FORUM, Channel.MEETING, Channel.LISTENING_EVENT)
TRICKLE_WEIGHTS = (35, 30, 20, 15)


@dataclass(frozen=True)
class Role:
    key: str
    role: str
    sector: Sector
    organisation: str  # formatted with place, school and icb
    voting: bool = True


CORE_ROLES = (
    Role(
        "la-director", "Director of Children's Services", Sector.LOCAL_AUTHORITY, "{place} Council"
    ),
    Role("icb-lead", "ICB SEND lead", Sector.HEALTH, "{icb} ICB"),
    Role(
        "forum-cochair",
        "Parent carer forum co-chair",
        Sector.PARENT_CARER_FORUM,
        "{place} Parent Carer Forum",
    ),
    Role("early-years", "Early years lead", Sector.EARLY_YEARS, "{place} Council"),
    Role("school-head", "Primary head teacher", Sector.SCHOOLS, "{school} Primary School"),
    Role(
        "special-head",
        "Special school head",
        Sector.SPECIALIST_PROVISION,
        "{school} Special School",
    ),
    Role("fe-principal", "FE principal", Sector.FURTHER_EDUCATION, "{place} College"),
    Role("ap-head", "AP head", Sector.ALTERNATIVE_PROVISION, "{place} Pupil Referral Unit"),
)
OPTIONAL_ROLES = (
    Role("social-care", "Head of children's social care", Sector.SOCIAL_CARE, "{place} Council"),
    Role(
        "young-people", "Young people's representative", Sector.YOUNG_PEOPLE, "{place} Youth Voice"
    ),
    Role(
        "forum-rep",
        "Parent carer forum representative",
        Sector.PARENT_CARER_FORUM,
        "{place} Parent Carer Forum",
    ),
    Role("secondary-head", "Secondary head teacher", Sector.SCHOOLS, "{school} High School"),
    Role("head-of-send", "Head of SEND", Sector.LOCAL_AUTHORITY, "{place} Council"),
    Role("dco", "Designated clinical officer", Sector.HEALTH, "{icb} ICB"),
    Role("iass", "SENDIASS manager", Sector.OTHER, "{place} SENDIASS", voting=False),
    Role("vcs", "Voluntary sector representative", Sector.OTHER, "{place} Disability Alliance"),
)
CHAIR_KEY = "la-director"

KIND_NAMES = {
    "local_send_ap_partnership": ("{place} SEND and AP Partnership", "Local Inclusion Plan"),
    "workforce_steering_group": (
        "{place} Joint SEND Workforce Steering Group",
        "SEND Workforce Plan",
    ),
    "pathfinder": ("{place} Speech and Language Pathfinder", "Pathfinder Delivery Plan"),
}
KINDS_OF_PARTNERSHIP = ("local_send_ap_partnership", "workforce_steering_group", "pathfinder")
KIND_WEIGHTS = (80, 10, 10)

VISIONS = (
    "Every child and young person in {place} has their needs met early, close to home, in "
    "settings that know them.",
    "Children and young people with SEND in {place} thrive in their local schools and "
    "communities, with families as equal partners.",
    "In {place}, support follows need, not diagnosis, and families shape every decision.",
)
QA_FINDINGS = (
    ("health_commissioning", "Say how therapy capacity and waiting times will be measured.",
     "Success: median waits under 18 weeks, reported each quarter to the board."),
    ("specialist_and_ap_places", "Set out the specialist and AP places needed by phase.",
     "The places needed are set out by phase for each year, from the sufficiency review."),
    ("ordinarily_available", "Show how settings will be supported to deliver the guide.",
     "Every setting gets termly support from the inclusion team against the shared guide."),
    ("workforce", "Link the workforce actions to the needs identified.",
     "Each workforce action names the need it meets and the training offer that meets it."),
    ("vision", "Show how families shaped the priorities.",
     "The priorities follow what families told us; each names the contributions behind it."),
    ("preparing_for_adulthood", "Cover transitions at 16 and 19.",
     "Transition planning starts in Year 9 and continues to 25 where needed."),
)  # fmt: skip
FOR_REASONS = (
    "", "", "", "Meets the need families described.", "Good value and well evidenced.",
    "Parents asked for exactly this.", "Supports earlier help.",
)  # fmt: skip
AGAINST_REASONS = (
    "The cost is not covered in the high needs budget.",
    "The evidence from other areas is weak.",
    "It takes capacity from another priority.",
    "Settings in my sector were not consulted enough.",
)
ABSTAIN_REASONS = (
    "", "Supports it, but wants the workforce plan first.", "Needs the costed options first.",
    "Views in my sector are divided.",
)  # fmt: skip
BLOCK_REASONS = (
    "Families were not involved in shaping this; it cannot go ahead as drafted.",
    "This would reduce support before an alternative is in place.",
)
STAND_DOWN_REASONS = (
    "Moved to a new post outside the area.",
    "Retired.",
    "Stepped down at the end of their term.",
    "Stepped down for personal reasons.",
)
NOT_ADOPTED = (
    "The partnership considered this, but the funding is committed elsewhere this year; it "
    "will be looked at again at the annual refresh.",
    "The evidence did not support this change for the whole area; the team will follow up "
    "where it applies.",
)
OUT_OF_SCOPE = (
    "This concerns a service outside the plan's remit; we have passed it to the team responsible.",
    "This is a national matter; we have shared it with the DfE regional team.",
)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def workday(day: int) -> int:
    """The day itself, or the Monday after a weekend (days are date ordinals)."""
    weekday = (day + 6) % 7
    return day + (7 - weekday if weekday >= 5 else 0)


def workday_before(day: int) -> int:
    """The day itself, or the Friday before a weekend."""
    weekday = (day + 6) % 7
    return day - (weekday - 4 if weekday >= 5 else 0)


def first_april_on_or_after(day: date) -> date:
    april = date(day.year, 4, 1)
    return april if april >= day else date(day.year + 1, 4, 1)


# The story's state, as the generator knows it (it mirrors what the aggregates enforce)


@dataclass(slots=True, eq=False)
class _Member:
    member_id: str
    key: str
    role: str
    sector: Sector
    organisation: str
    voting: bool
    active: bool = True

    @property
    def forum(self) -> bool:
        return self.sector is Sector.PARENT_CARER_FORUM


@dataclass(slots=True, eq=False)
class _Plan:
    id: UUID
    title: str
    kind: str  # "interim" or "main"
    period_start: date
    period_end: date
    predecessor: _Plan | None
    stage: str = "draft"
    successor: _Plan | None = None
    pending: list[_Decision] = field(default_factory=list)
    untriaged: dict[UUID, _Contribution] = field(default_factory=dict)
    recent: list[_Contribution] = field(default_factory=list)
    listening_days: tuple[int, ...] = ()
    survey_rate: float = 0.0
    imported_to: int = 0  # survey responses are logged up to this day
    window_count: int = 0
    qa_round: int = 0
    refreshes: int = 0
    published_once: bool = False


@dataclass(slots=True, eq=False)
class _Contribution:
    id: UUID
    reference: str
    topic: Topic
    kind: ContributorKind
    plan: _Plan | None
    triaged: bool = False
    routed: bool = False
    responded: bool = False
    claimed: bool = False
    unanswered: bool = False

    @property
    def available(self) -> bool:
        return self.triaged and not (
            self.routed or self.responded or self.claimed or self.unanswered
        )


@dataclass(slots=True, eq=False)
class _Decision:
    id: UUID
    reference: str
    topic: Topic
    proposal: Proposal
    text: str
    amend_planned: bool
    unlink_planned: bool
    supersedes: _Decision | None
    status: str = "proposed"
    links: dict[UUID, tuple[_Contribution, Influence]] = field(default_factory=dict)
    interested: list[str] = field(default_factory=list)
    cited: tuple[_Contribution, ...] = ()
    replacement: _Decision | None = None
    taken_day: int = 0


@dataclass(slots=True, eq=False)
class _Meeting:
    id: UUID
    day: int


@dataclass(slots=True, eq=False)
class _Action:
    id: UUID
    reference: str


@dataclass(slots=True, eq=False)
class _Partnership:
    index: int
    id: UUID
    place: str
    slug: str
    kind: str
    name: str
    plan_noun: str
    la_code: str
    icb_code: str
    icb_name: str
    school: str
    rng: random.Random
    scale: float
    secretariat: Actor
    engagement: Actor
    dfe: Actor
    intake_weekdays: tuple[int, int]
    last_intake: int = 0
    consulting: _Plan | None = None
    members: dict[str, _Member] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    quorum: int = 0
    forum_required: bool = False
    plans: list[_Plan] = field(default_factory=list)
    pool: dict[DecisionCategory, list[_Contribution]] = field(default_factory=dict)
    next_agenda: list[_Decision] = field(default_factory=list)
    next_meeting_day: int = 0
    previous_meeting: _Meeting | None = None
    approved: dict[DecisionCategory, list[_Decision]] = field(default_factory=dict)
    contributors: list[tuple[str, ContributorKind, str]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    chances: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> int:
        n = self.counters.get(what, 0) + 1
        self.counters[what] = n
        return n

    def chance(self, feature: str, probability: float, *, force_after: int) -> bool:
        """True with the probability; also the first time after `force_after` chances if
        the feature has not happened yet, so every partnership shows it at least once."""
        n = self.chances[feature] = self.chances.get(feature, 0) + 1
        if self.rng.random() < probability or (feature not in self.seen and n >= force_after):
            self.seen.add(feature)
            return True
        return False

    def active(self) -> list[_Member]:
        return [m for m in self.members.values() if m.active]

    def holder(self, key: str) -> _Member | None:
        for m in reversed(self.members.values()):
            if m.key == key and m.active:
                return m
        return None

    @property
    def chair(self) -> Actor:
        chair = self.holder(CHAIR_KEY)
        assert chair is not None, "the chair's seat is never left empty"
        return Actor(id=chair.member_id, role="chair")

    @property
    def working_plan(self) -> _Plan | None:
        return self.plans[-1] if self.plans else None


# The simulation: steps scheduled by day; each emits the commands for its own day


class _Story:
    """The partnerships' stories as steps in a queue ordered by working day.

    A step runs on its day, emits that day's commands (in order) and schedules later
    steps. Steps read and update the state above when they run, never before, so each
    command is decided on the state the ledger will have when it is handled.
    """

    def __init__(self, *, seed: int, events: int, first_day: int, tz: tzinfo) -> None:
        self.namespace = uuid5(NAMESPACE_URL, f"urn:inclusion-ledger:synthetic:{seed}")
        self.tz = tz
        self.today = first_day
        self.heap: list[tuple[int, int, Step]] = []
        self.on_plan: set[UUID] = set()
        self.seq = 0
        self.out: list[commands.AnyCommand] = []
        rng = random.Random(f"inclusion-ledger:{seed}")
        count = max(1, events // EVENTS_PER_PARTNERSHIP)
        scale = max(0.1, events / count / EVENTS_PER_PARTNERSHIP)
        places = [start + end for start in PLACE_STARTS for end in PLACE_ENDS]
        rng.shuffle(places)
        for i in range(count):
            place = places[i % len(places)]
            if i >= len(places):
                place = f"{place} {i // len(places) + 1}"
            p = self._new_partnership(i, place, scale, rng)
            self.at(
                workday(first_day + round(STAGGER_DAYS * i / count)), partial(self._establish, p)
            )

    # Scheduling

    def at(self, day: int, step: Step) -> None:
        heapq.heappush(self.heap, (max(day, self.today), self.seq, step))
        self.seq += 1

    def after(self, days: int, step: Step) -> None:
        self.at(workday(self.today + days), step)

    def before(self, day: int, days: int, step: Step) -> None:
        """On the working day at least `days` before `day` (and not before today)."""
        self.at(workday_before(day - days), step)

    def days(self) -> Iterator[tuple[int, list[commands.AnyCommand]]]:
        """Each working day with commands, and the commands in the order they happen."""
        while self.heap:
            day = self.heap[0][0]
            self.today = day
            while self.heap and self.heap[0][0] == day:
                heapq.heappop(self.heap)[2]()
            if self.out:
                todays, self.out = self.out, []
                yield day, todays

    def emit(self, command: commands.AnyCommand) -> None:
        self.out.append(command)

    def new_id(self, p: _Partnership, kind: str, n: int) -> UUID:
        return uuid5(self.namespace, f"{p.index}/{kind}/{n}")

    @property
    def date(self) -> date:
        return date.fromordinal(self.today)

    def held_at(self, day: int) -> datetime:
        return datetime.combine(date.fromordinal(day), MEETING_AT, self.tz)

    # Partnership

    def _new_partnership(
        self, index: int, place: str, scale: float, rng: random.Random
    ) -> _Partnership:
        kinds = KINDS_OF_PARTNERSHIP
        kind = kinds[0] if index == 0 else rng.choices(kinds, KIND_WEIGHTS)[0]
        name, plan_noun = KIND_NAMES[kind]
        slug = place.lower().replace(" ", "-")
        return _Partnership(
            index=index,
            id=uuid5(self.namespace, f"{index}/partnership"),
            place=place,
            slug=slug,
            kind=kind,
            name=name.format(place=place),
            plan_noun=plan_noun,
            la_code=f"Z{index:02d}",
            icb_code=f"Q{chr(65 + index // 3 // 26 % 26)}{chr(65 + index // 3 % 26)}",
            icb_name=f"{place} and District",
            school=rng.choice(SCHOOL_NAMES),
            rng=random.Random(f"inclusion-ledger:{self.namespace}:{index}"),
            scale=scale * rng.uniform(0.7, 1.3),
            secretariat=Actor(id=f"u-{slug}-secretariat", role="secretariat"),
            engagement=Actor(id=f"u-{slug}-engagement", role="engagement_officer"),
            dfe=Actor(id=f"u-dfe-reviewer-{index % 7 + 1}", role="dfe_reviewer"),
            intake_weekdays=(index % 5, (index + 2) % 5),
        )

    def _establish(self, p: _Partnership) -> None:
        rng = p.rng
        self.emit(
            commands.EstablishPartnership(
                actor=p.secretariat,
                partnership_id=p.id,
                name=p.name,
                kind=p.kind,
                la_code=p.la_code,
                icb_code=p.icb_code,
            )
        )
        optional = list(OPTIONAL_ROLES)
        rng.shuffle(optional)
        for role in (*CORE_ROLES, *optional[: rng.randint(0, 6)]):
            self._appoint(
                p, role.key, role.role, role.sector, self._organisation(p, role), role.voting
            )
        self.after(5, partial(self._adopt_terms, p))
        self.after(8, partial(self._draft_plan, p, "interim"))
        p.last_intake = self.today
        self.at(self._next_intake(p, self.today + 10), partial(self._intake, p))
        first_meeting = workday(self.today + 21)
        p.next_meeting_day = first_meeting
        self.before(first_meeting, 15, partial(self._schedule_meeting, p, first_meeting))
        self.after(rng.randint(100, 160), partial(self._stand_down, p))
        self.after(rng.randint(150, 200), partial(self._adopt_terms, p))

    def _organisation(self, p: _Partnership, role: Role) -> str:
        return role.organisation.format(place=p.place, school=p.school, icb=p.icb_name)

    def _appoint(
        self, p: _Partnership, key: str, role: str, sector: Sector, organisation: str, voting: bool
    ) -> None:
        generation = p.generations[key] = p.generations.get(key, 0) + 1
        member_id = f"m-{key}" if generation == 1 else f"m-{key}-{generation}"
        p.members[member_id] = _Member(member_id, key, role, sector, organisation, voting)
        self.emit(
            commands.AppointMember(
                actor=p.secretariat,
                partnership_id=p.id,
                member_id=member_id,
                name=_person(p.rng),
                role=role,
                sector=sector,
                organisation=organisation,
                voting=voting,
            )
        )

    def _adopt_terms(self, p: _Partnership) -> None:
        rng = p.rng
        voting = sum(m.voting for m in p.active())
        quorum = max(2, min(voting, round(voting * rng.uniform(0.45, 0.6))))
        if p.quorum == 0:
            forum_required = rng.random() < (0.85 if p.kind == "local_send_ap_partnership" else 0.5)
        else:
            forum_required = p.forum_required or rng.random() < 0.6
        description = f"Quorum: {quorum} voting members" + (
            " including a parent carer forum representative." if forum_required else "."
        )
        if (quorum, forum_required) == (p.quorum, p.forum_required):  # unchanged terms are refused
            description += f" Reaffirmed on review, {self.date:%B %Y}."
        self.emit(
            commands.AdoptTermsOfReference(
                actor=p.chair,
                partnership_id=p.id,
                quorum=quorum,
                forum_required=forum_required,
                description=description,
            )
        )
        p.quorum, p.forum_required = quorum, forum_required

    def _stand_down(self, p: _Partnership) -> None:
        rng = p.rng
        member = rng.choice([m for m in p.active() if m.key != CHAIR_KEY])
        self.emit(
            commands.StandDownMember(
                actor=p.secretariat,
                partnership_id=p.id,
                member_id=member.member_id,
                reason=rng.choice(STAND_DOWN_REASONS),
            )
        )
        member.active = False
        replace = partial(
            self._appoint,
            p,
            member.key,
            member.role,
            member.sector,
            member.organisation,
            member.voting,
        )
        if member.forum or rng.random() < 0.5:
            replace()
        else:
            self.after(rng.randint(20, 40), replace)
        self.after(rng.randint(150, 300), partial(self._stand_down, p))

    # Meetings and decisions

    def _schedule_meeting(self, p: _Partnership, day: int) -> None:
        n = p.count("meeting")
        meeting = _Meeting(id=self.new_id(p, "meeting", n), day=day)
        held = date.fromordinal(day)
        self.emit(
            commands.ScheduleMeeting(
                actor=p.secretariat,
                partnership_id=p.id,
                meeting_id=meeting.id,
                title=f"{p.name} board, {held.day} {held:%B %Y}",
                held_at=self.held_at(day),
            )
        )
        if n > 1:
            for _ in range(_poisson(p.rng, DECISIONS_PER_MEETING * p.scale)):
                self._propose(p, meeting)
        self.at(day, partial(self._hold_meeting, p, meeting))

    def _propose(self, p: _Partnership, meeting: _Meeting) -> None:
        rng = p.rng
        n = p.count("decision")
        topic = rng.choices(TOPICS, TOPIC_WEIGHTS)[0]
        proposal = rng.choice(topic.proposals)
        number = rng.randint(2, 8)
        text = proposal.text.format(n=number)
        title = proposal.title
        evidence = [
            proposal.evidence.format(months=rng.randint(9, 24)),
            f"{p.counters.get('contribution', 0)} contributions received so far",
        ]
        supersedes = None
        candidates = [
            d
            for d in p.approved.get(topic.category, [])
            if d.status == "taken" and d.replacement is None and self.today - d.taken_day > 60
        ]
        if candidates and p.chance("supersede", 0.1, force_after=6):
            supersedes = rng.choice(candidates)
            title = f"{title}: revised"
            text = f"{text} This replaces {supersedes.reference}."
            evidence.append(f"Review of {supersedes.reference}")
        d = _Decision(
            id=self.new_id(p, "decision", n),
            reference=f"D-{self.date.year % 100:02d}-{n:03d}",
            topic=topic,
            proposal=proposal,
            text=text,
            amend_planned=p.chance("amend", 0.25, force_after=3),
            unlink_planned=p.chance("unlink", 0.08, force_after=5),
            supersedes=supersedes,
        )
        if supersedes is not None:
            supersedes.replacement = d
        proposer = p.holder(topic.interest_key) if rng.random() < 0.4 else None
        proposer = proposer or p.holder(CHAIR_KEY)
        assert proposer is not None
        self.emit(
            commands.ProposeDecision(
                actor=Actor(id=proposer.member_id, role="member"),
                partnership_id=p.id,
                decision_id=d.id,
                reference=d.reference,
                title=title,
                category=topic.category,
                text=text,
                proposer_id=proposer.member_id,
                options=tuple(o.format(n=number) for o in proposal.options),
                evidence=tuple(evidence),
            )
        )
        if rng.random() < 0.9 or d.amend_planned or d.unlink_planned:
            self.before(meeting.day, 10, partial(self._link, p, d))
        if d.amend_planned:
            self.before(meeting.day, 7, partial(self._amend, p, d))
        if d.unlink_planned:
            self.before(meeting.day, 6, partial(self._unlink, p, d))
        self.before(meeting.day, 2, partial(self._declare_interests, p, d))
        p.next_agenda.append(d)

    def _draw(self, p: _Partnership, category: DecisionCategory, n: int) -> list[_Contribution]:
        """Up to n triaged contributions awaiting a response, on the topic if possible."""
        rng = p.rng
        others = [k for k in p.pool if k is not category]
        rng.shuffle(others)
        chosen: list[_Contribution] = []
        for key in (category, *others):
            pool = p.pool.get(key, [])
            while pool and len(chosen) < n:
                i = rng.randrange(len(pool))
                candidate = pool[i]
                pool[i] = pool[-1]
                pool.pop()
                if candidate.available:
                    chosen.append(candidate)
            if len(chosen) >= n:
                break
        return chosen

    def _link(self, p: _Partnership, d: _Decision) -> None:
        rng = p.rng
        if d.status not in OPEN:
            return
        n = rng.choices((1, 2, 3, 4), (30, 35, 20, 15))[0]
        if d.unlink_planned:
            n = max(n, 3)
        for i, cs in enumerate(self._draw(p, d.topic.category, n)):
            if d.amend_planned and i == 0:
                influence = Influence.AMENDED
            else:
                influence = rng.choices(
                    (Influence.INFORMED, Influence.AMENDED, Influence.OPPOSED), (62, 20, 18)
                )[0]
            note = {
                Influence.INFORMED: "Evidence of the need.",
                Influence.AMENDED: "Asks for a change to the proposal.",
                Influence.OPPOSED: "Disagrees with the proposal.",
            }[influence]
            self.emit(
                commands.LinkContribution(
                    actor=p.secretariat,
                    decision_id=d.id,
                    contribution_id=cs.id,
                    influence=influence,
                    note=note,
                )
            )
            cs.claimed = True
            d.links[cs.id] = (cs, influence)

    def _amend(self, p: _Partnership, d: _Decision) -> None:
        causes = [cs for cs, influence in d.links.values() if influence is Influence.AMENDED]
        if d.status not in OPEN or not causes:
            p.seen.discard("amend")
            return
        d.text = f"{d.text.rstrip('.')}, {d.proposal.amendment}."
        refs = ", ".join(cs.reference for cs in causes)
        self.emit(
            commands.AmendDecision(
                actor=p.chair,
                decision_id=d.id,
                text=d.text,
                rationale=f"{d.proposal.amendment_reason.capitalize()} ({refs}).",
                caused_by=tuple(cs.id for cs in causes),
            )
        )

    def _unlink(self, p: _Partnership, d: _Decision) -> None:
        rng = p.rng
        candidates = [
            cs for cs, influence in d.links.values() if influence is not Influence.AMENDED
        ]
        if d.status not in OPEN or len(d.links) < 2 or not candidates:
            p.seen.discard("unlink")
            return
        cs = rng.choice(candidates)
        individual = rng.random() < 0.5
        if individual:
            reason = "Concerns one child's provision, not this decision."
        else:
            other = rng.choice([t for t in TOPICS if t is not d.topic])
            reason = f"Linked in error: it is about {other.themes[0]}, not this proposal."
        self.emit(
            commands.UnlinkContribution(
                actor=p.secretariat, decision_id=d.id, contribution_id=cs.id, reason=reason
            )
        )
        del d.links[cs.id]
        cs.claimed = False
        if individual:
            self.after(rng.randint(1, 3), partial(self._route, p, cs))
        else:
            self.after(rng.randint(5, 20), partial(self._respond, p, cs, None))

    def _declare_interests(self, p: _Partnership, d: _Decision) -> None:
        rng = p.rng
        if d.status not in OPEN:
            return
        holder = p.holder(d.topic.interest_key)
        if holder is not None and p.chance("interest", 0.12, force_after=4):
            self.emit(
                commands.DeclareInterest(
                    actor=p.secretariat,
                    partnership_id=p.id,
                    member_id=holder.member_id,
                    decision_id=d.id,
                    has_interest=True,
                    nature=f"{holder.organisation} would provide or fund this service.",
                )
            )
            d.interested.append(holder.member_id)
        if rng.random() < 0.4:
            others = [
                m for m in p.active() if m.key != CHAIR_KEY and m.member_id not in d.interested
            ]
            member = rng.choice(others)
            self.emit(
                commands.DeclareInterest(
                    actor=p.secretariat,
                    partnership_id=p.id,
                    member_id=member.member_id,
                    decision_id=d.id,
                    has_interest=False,
                )
            )

    def _hold_meeting(self, p: _Partnership, meeting: _Meeting) -> None:
        rng = p.rng
        present: list[str] = []
        apologies: list[str] = []
        for m in p.active():
            likely = 0.97 if m.key == CHAIR_KEY else 0.9 if m.forum else 0.82
            if rng.random() < likely:
                present.append(m.member_id)
            elif rng.random() < 0.9:
                apologies.append(m.member_id)
        self.emit(
            commands.RecordAttendance(
                actor=p.secretariat,
                meeting_id=meeting.id,
                present=tuple(present),
                apologies=tuple(apologies),
            )
        )
        previous = p.previous_meeting
        if previous is not None:
            self.emit(
                commands.ApproveMinutes(
                    actor=p.chair,
                    meeting_id=previous.id,
                    summary=f"Minutes of {date.fromordinal(previous.day):%d %B %Y} approved "
                    "as a true record.",
                )
            )
        p.previous_meeting = meeting
        next_day = workday(meeting.day + MEETING_EVERY_DAYS)
        p.next_meeting_day = next_day
        agenda, p.next_agenda = p.next_agenda, []
        for d in agenda:
            self._consider(p, meeting, d, present)
        self.before(next_day, 15, partial(self._schedule_meeting, p, next_day))

    def _defer(self, p: _Partnership, d: _Decision, reason: str) -> None:
        self.emit(
            commands.DeferDecision(
                actor=p.chair,
                decision_id=d.id,
                reason=reason,
                until=date.fromordinal(p.next_meeting_day),
            )
        )
        d.status = "deferred"
        p.next_agenda.append(d)

    def _consider(
        self, p: _Partnership, meeting: _Meeting, d: _Decision, present: list[str]
    ) -> None:
        """Vote and take the decision, or defer it: exactly the domain's quorum rule."""
        rng = p.rng
        members = p.members
        eligible = [m for m in present if members[m].voting and m not in d.interested]
        forum_present = any(members[m].forum and m not in d.interested for m in present)
        if p.forum_required and not forum_present:
            self._defer(p, d, "No parent carer forum representative was present for the item.")
            return
        if len(eligible) < p.quorum:
            reason = (
                f"Not quorate for the item: {len(eligible)} eligible voting members present, "
                f"{p.quorum} required."
            )
            self._defer(p, d, reason)
            return
        if p.chance("defer", 0.05, force_after=8):
            self._defer(p, d, "The board asked for costed options before deciding.")
            return
        block = p.chance("block", 0.015, force_after=40)
        reject = block or rng.random() < 0.1
        votes: dict[str, Stance] = {}
        for m in eligible:
            if rng.random() < (0.98 if members[m].forum else 0.93):
                weights = (30, 55, 15) if reject else (84, 7, 9)
                votes[m] = rng.choices((Stance.FOR, Stance.AGAINST, Stance.ABSTAIN), weights)[0]
        if not votes:
            votes[eligible[0]] = Stance.AGAINST if reject else Stance.FOR
        fors = [m for m, s in votes.items() if s is Stance.FOR]
        againsts = [m for m, s in votes.items() if s is Stance.AGAINST]
        while not reject and len(fors) <= len(againsts):
            others = againsts or [m for m, s in votes.items() if s is not Stance.FOR]
            switch = others.pop()
            votes[switch] = Stance.FOR
            fors.append(switch)
        recast = None
        if block:
            blocker = next((m for m in votes if members[m].forum), next(iter(votes)))
            votes[blocker] = Stance.BLOCK
            if "withdrawn_vote" not in p.seen:  # the partnership's first block was recast
                recast = blocker
                p.seen.add("withdrawn_vote")
        for m in d.interested:  # some vote anyway; the domain excludes those votes
            if m in present and members[m].voting and members[m].active and rng.random() < 0.35:
                votes[m] = Stance.FOR
        if p.chance("written_vote", 0.03, force_after=15):
            absent = [
                m.member_id
                for m in p.active()
                if m.voting and m.member_id not in present and m.member_id not in d.interested
            ]
            if absent:
                votes[rng.choice(absent)] = Stance.FOR
            else:
                p.seen.discard("written_vote")
        for m, stance in votes.items():
            if m == recast:
                self._withdrawn_vote(d, m)
            if m in d.interested:
                reason = "Voted despite the declared interest."
            elif m not in present:
                reason = "Written vote sent with apologies."
            else:
                reason = rng.choice(
                    {
                        Stance.FOR: FOR_REASONS,
                        Stance.AGAINST: AGAINST_REASONS,
                        Stance.ABSTAIN: ABSTAIN_REASONS,
                        Stance.BLOCK: BLOCK_REASONS,
                    }[stance]
                )
            self.emit(
                commands.RecordVote(
                    actor=Actor(id=m, role="member"),
                    decision_id=d.id,
                    member_id=m,
                    stance=stance,
                    reason=reason,
                )
            )
        forum_voted = any(members[m].forum for m in votes if m in eligible)
        outcome = DecisionOutcome.REJECTED if reject else DecisionOutcome.APPROVED
        if block:
            rationale = "Blocked by the parent carer forum: families must shape it first."
        elif reject:
            rationale = f"The board did not support the proposal: {rng.choice(AGAINST_REASONS)}"
        else:
            refs = ", ".join(cs.reference for cs, _ in d.links.values())
            rationale = f"Meets the need at the best value{f', shaped by {refs}' if refs else ''}."
        chair_present = p.chair.id in present
        self.emit(
            commands.TakeDecision(
                actor=p.chair if chair_present else Actor(id=present[0], role="vice_chair"),
                decision_id=d.id,
                meeting_id=meeting.id,
                outcome=outcome,
                rationale=rationale,
                coproduced=forum_voted and bool(d.links),
            )
        )
        d.status = "taken"
        d.taken_day = self.today
        d.cited = tuple(cs for cs, _ in d.links.values())
        self._after_decision(p, d, outcome)

    def _withdrawn_vote(self, d: _Decision, member_id: str) -> None:
        """A vote against, withdrawn with a reason to be recast as a block. It draws
        nothing from the partnership's generator, so the rest of the story is unchanged."""
        actor = Actor(id=member_id, role="member")
        self.emit(
            commands.RecordVote(
                actor=actor,
                decision_id=d.id,
                member_id=member_id,
                stance=Stance.AGAINST,
                reason="Families were not asked about the change.",
            )
        )
        self.emit(
            commands.WithdrawVote(
                actor=actor,
                decision_id=d.id,
                member_id=member_id,
                reason="The forum's concern goes further than a vote against: it blocks.",
            )
        )

    def _after_decision(self, p: _Partnership, d: _Decision, outcome: DecisionOutcome) -> None:
        rng = p.rng
        approved = outcome is DecisionOutcome.APPROVED
        actions: list[tuple[str, str]] = []
        if approved:
            p.approved.setdefault(d.topic.category, []).append(d)
            for _ in range(rng.choices((1, 2, 3), (55, 35, 10))[0]):
                n = p.count("action")
                reference = f"A-{n:03d}"
                title, measure = rng.choice(d.topic.actions)
                actions.append((reference, title))
                action = _Action(id=self.new_id(p, "action", n), reference=reference)
                self.after(
                    rng.randint(2, 8), partial(self._commit_action, p, d, action, title, measure)
                )
            if rng.random() < 0.45:
                self.after(rng.randint(1, 5), partial(self._schedule_review, p, d))
            if rng.random() < 0.9:
                self._queue_revision(p, d)
        old = d.supersedes
        if old is not None:
            if approved:
                self.after(rng.randint(1, 3), partial(self._supersede_decision, p, old, d))
            else:
                old.replacement = None
        for cs, influence in d.links.values():
            self.after(
                rng.randint(3, 12), partial(self._respond, p, cs, (outcome, influence, actions))
            )

    def _schedule_review(self, p: _Partnership, d: _Decision) -> None:
        if d.status != "taken":
            return
        self.emit(
            commands.ScheduleReview(
                actor=p.chair,
                decision_id=d.id,
                review_on=date.fromordinal(self.today + p.rng.randint(180, 400)),
                reason=f"Review of {d.topic.themes[0]}: is the decision meeting the need?",
            )
        )

    def _supersede_decision(self, p: _Partnership, old: _Decision, new: _Decision) -> None:
        if old.status != "taken":
            return
        self.emit(
            commands.SupersedeDecision(
                actor=p.chair,
                decision_id=old.id,
                superseded_by=new.id,
                rationale=f"{new.reference} revises {old.reference} after its review.",
            )
        )
        old.status = "superseded"

    def _commit_action(
        self, p: _Partnership, d: _Decision, action: _Action, title: str, measure: str
    ) -> None:
        rng = p.rng
        if d.status != "taken":
            return
        due = self.today + rng.randint(60, 300)
        owner = p.holder(d.topic.interest_key) or p.holder(CHAIR_KEY)
        assert owner is not None
        self.emit(
            commands.CommitAction(
                actor=p.chair,
                decision_id=d.id,
                action_id=action.id,
                reference=action.reference,
                title=title,
                owner=owner.organisation,
                due_on=date.fromordinal(due),
                measure=measure,
            )
        )
        reports = rng.choice((1, 2, 2, 3, 3, 4))
        span = due - self.today
        last = self.today
        percent = 0
        reporter = Actor(id=owner.member_id, role="member")
        for j in range(1, reports + 1):
            day = workday(self.today + span * j // (reports + 1))
            planned = 100 * j // (reports + 1) + rng.randint(-10, 10)
            percent = min(100, max(percent + 5, min(95, planned)))
            last = day
            self.at(day, partial(self._report_progress, p, action, reporter, percent))
        r = rng.random()
        if r < 0.7:
            on_time = workday(max(last + 1, due + rng.randint(-10, 20)))
            self.at(on_time, partial(self._complete, p, action))
        elif r < 0.8:
            self.at(workday(due + rng.randint(30, 120)), partial(self._complete, p, action))

    def _report_progress(self, p: _Partnership, action: _Action, by: Actor, percent: int) -> None:
        note = (
            "Started; planning and recruitment under way."
            if percent < 30
            else "On track; the first milestones are met."
            if percent < 70
            else "Nearly complete; measures being checked."
        )
        self.emit(
            commands.ReportProgress(
                actor=by,
                action_id=action.id,
                note=f"{action.reference}: {note}",
                percent_complete=percent,
            )
        )

    def _complete(self, p: _Partnership, action: _Action) -> None:
        self.emit(
            commands.CompleteAction(
                actor=p.secretariat,
                action_id=action.id,
                note="Delivered; the measure is reported to the board.",
            )
        )

    # Contributions

    def _next_intake(self, p: _Partnership, after: int) -> int:
        day = after + 1
        while (day + 6) % 7 not in p.intake_weekdays:
            day += 1
        return day

    def _intake(self, p: _Partnership) -> None:
        """The engagement team logs what has arrived since its last intake, twice a week."""
        rng = p.rng
        working_days = (self.today - p.last_intake) * 5 / 7
        p.last_intake = self.today
        for _ in range(_poisson(rng, TRICKLE_PER_DAY * p.scale * working_days)):
            channel = rng.choices(TRICKLE_CHANNELS, TRICKLE_WEIGHTS)[0]
            plan = p.working_plan if rng.random() < 0.4 else None
            self._submit(p, channel, plan)
        if p.consulting is not None:
            self._import_survey(p, p.consulting)
        self.at(self._next_intake(p, self.today), partial(self._intake, p))

    def _import_survey(self, p: _Partnership, plan: _Plan) -> None:
        working_days = (self.today - plan.imported_to) * 5 / 7
        plan.imported_to = self.today
        for _ in range(_poisson(p.rng, plan.survey_rate * p.scale * working_days)):
            self._submit(p, Channel.SURVEY, plan)

    def _submit(self, p: _Partnership, channel: Channel, plan: _Plan | None) -> None:
        rng = p.rng
        n = p.count("contribution")
        topic = rng.choices(TOPICS, TOPIC_WEIGHTS)[0]
        if p.contributors and rng.random() < 0.1:
            subject, kind, name = rng.choice(p.contributors)
        else:
            kind = rng.choices(KINDS, CHANNEL_KINDS[channel])[0]
            subject = f"subj-{rng.getrandbits(48):012x}"
            if kind is ContributorKind.ORGANISATION:
                name = f"{p.place} {rng.choice(ORGANISATION_KINDS)}"
            elif kind is ContributorKind.YOUNG_PERSON and rng.random() < 0.5:
                name = f"{rng.choice(FIRST_NAMES)} (Year {rng.randint(7, 13)})"
            else:
                name = _person(rng)
            p.contributors.append((subject, kind, name))
            if len(p.contributors) > 300:
                p.contributors.pop(0)
        age = rng.randint(4, 19)
        concern = rng.choice([t for t in topic.concerns if t]).format(months=rng.randint(6, 24))
        text = " ".join(
            part
            for part in (
                rng.choice(OPENINGS[kind]).format(age=age, year=rng.randint(1, 13)),
                concern,
                rng.choice(topic.asks),
            )
            if part
        )
        cs = _Contribution(
            id=self.new_id(p, "contribution", n),
            reference=f"C-{n:04d}",
            topic=topic,
            kind=kind,
            plan=plan,
        )
        sections = (topic.section, "vision") if rng.random() < 0.1 else (topic.section,)
        self.emit(
            commands.SubmitContribution(
                actor=p.engagement,
                partnership_id=p.id,
                plan_id=plan.id if plan else None,
                contribution_id=cs.id,
                reference=cs.reference,
                subject_ref=subject,
                contributor_kind=kind,
                contributor_name=name,
                channel=channel,
                depth=rng.choices(DEPTHS, CHANNEL_DEPTHS[channel])[0],
                themes=topic.themes[: rng.randint(1, len(topic.themes))],
                sections=sections,
                text=text,
            )
        )
        if plan is not None:
            self.on_plan.add(cs.id)
            plan.untriaged[cs.id] = cs
            if plan.stage == "consultation":
                plan.window_count += 1
            plan.recent.append(cs)
            if len(plan.recent) > 40:
                plan.recent.pop(0)
        busy = plan is not None and plan.stage == "consultation"
        self.after(rng.randint(5, 30) if busy else rng.randint(2, 15), partial(self._triage, p, cs))

    def _triage(self, p: _Partnership, cs: _Contribution) -> None:
        if cs.triaged:
            return
        if p.chance("route", 0.05, force_after=20):
            self._route(p, cs)
        else:
            self._triage_now(p, cs)

    def _triage_now(self, p: _Partnership, cs: _Contribution) -> None:
        rng = p.rng
        self.emit(
            commands.TriageContribution(
                actor=p.engagement,
                contribution_id=cs.id,
                themes=cs.topic.themes,
                sections=(cs.topic.section,),
                note=f"Plan matter: {cs.topic.themes[0]}.",
            )
        )
        cs.triaged = True
        if cs.plan is not None:
            cs.plan.untriaged.pop(cs.id, None)
        if rng.random() < 0.09:
            cs.unanswered = True  # never answered: the overdue measures have something to show
            return
        p.pool.setdefault(cs.topic.category, []).append(cs)
        self.after(rng.randint(10, 45), partial(self._respond, p, cs, None))

    def _route(self, p: _Partnership, cs: _Contribution) -> None:
        if cs.responded or cs.routed:
            return
        self.emit(
            commands.RouteContributionToIndividualCase(
                actor=p.engagement,
                contribution_id=cs.id,
                reason="About one child's provision: passed to the SEND casework team.",
            )
        )
        cs.routed = cs.triaged = True
        if cs.plan is not None:
            cs.plan.untriaged.pop(cs.id, None)
        if p.rng.random() < 0.7:
            self.after(p.rng.randint(1, 5), partial(self._notify, p, cs))

    def _respond(
        self,
        p: _Partnership,
        cs: _Contribution,
        decided: tuple[DecisionOutcome, Influence, list[tuple[str, str]]] | None,
    ) -> None:
        """Answer a contribution: on its own, or after the decision it was linked to."""
        rng = p.rng
        if cs.responded or cs.routed or (cs.claimed and decided is None):
            return
        actions: tuple[str, ...] = ()
        if decided is None:
            outcome = rng.choices(
                (
                    ResponseOutcome.ADOPTED,
                    ResponseOutcome.PARTLY_ADOPTED,
                    ResponseOutcome.NOT_ADOPTED,
                    ResponseOutcome.OUT_OF_SCOPE,
                ),
                (30, 30, 25, 15),
            )[0]
        else:
            result, influence, taken_actions = decided
            if result is DecisionOutcome.REJECTED or influence is Influence.OPPOSED:
                adopted = (0, 25, 75) if result is DecisionOutcome.REJECTED else (0, 20, 80)
            else:
                adopted = (55, 40, 5) if influence is Influence.AMENDED else (50, 35, 15)
            outcome = rng.choices(
                (
                    ResponseOutcome.ADOPTED,
                    ResponseOutcome.PARTLY_ADOPTED,
                    ResponseOutcome.NOT_ADOPTED,
                ),
                adopted,
            )[0]
            if outcome is not ResponseOutcome.NOT_ADOPTED:
                actions = tuple(f"{ref}: {title}" for ref, title in taken_actions)
        if outcome is ResponseOutcome.ADOPTED:
            title = SECTION_TITLES[cs.topic.section]
            rationale = "" if rng.random() < 0.3 else f"The plan now includes this ({title})."
        elif outcome is ResponseOutcome.PARTLY_ADOPTED:
            rationale = cs.topic.partly
        elif outcome is ResponseOutcome.NOT_ADOPTED:
            rationale = rng.choice(NOT_ADOPTED)
        else:
            rationale = rng.choice(OUT_OF_SCOPE)
        self.emit(
            commands.IssueResponse(
                actor=p.secretariat,
                contribution_id=cs.id,
                outcome=outcome,
                rationale=rationale,
                actions=actions,
            )
        )
        cs.responded = True
        if rng.random() < 0.85:
            self.emit(
                commands.RecordDeidentifiedSummary(
                    actor=p.secretariat,
                    contribution_id=cs.id,
                    summary=f"{WHO[cs.kind]} {rng.choice(cs.topic.summaries)}",
                )
            )
        if rng.random() < 0.7:  # most hear the same day; some by letter a few days later
            if rng.random() < 0.8:
                self._notify(p, cs)
            else:
                self.after(rng.randint(1, 4), partial(self._notify, p, cs))

    def _notify(self, p: _Partnership, cs: _Contribution) -> None:
        self.emit(
            commands.NotifyContributor(
                actor=p.secretariat,
                contribution_id=cs.id,
                channel=p.rng.choice(("email", "email", "letter", "text message")),
            )
        )

    # Plans

    def _draft_plan(self, p: _Partnership, kind: str) -> None:
        rng = p.rng
        predecessor = p.working_plan
        if kind == "interim":
            start = date.fromordinal(self.today + 30).replace(day=1)
            end = first_april_on_or_after(date.fromordinal(self.today + 150)) - timedelta(days=1)
            title = f"{p.place} Interim {p.plan_noun} {start.year}-{end.year % 100:02d}"
        else:
            assert predecessor is not None
            start = predecessor.period_end + timedelta(days=1)
            end = date(start.year + 3, 3, 31)
            title = f"{p.place} {p.plan_noun} {start.year}-{end.year}"
        plan = _Plan(
            id=self.new_id(p, "plan", len(p.plans) + 1),
            title=title,
            kind=kind,
            period_start=start,
            period_end=end,
            predecessor=predecessor,
        )
        sections = {"vision": rng.choice(VISIONS).format(place=p.place)}
        keys = [s.key for s in LOCAL_INCLUSION_PLAN_V1.sections if s.key != "vision"]
        for key in rng.sample(keys, 2 if kind == "interim" else rng.randint(3, 5)):
            sections[key] = rng.choice([t for t in TOPICS if t.section == key]).plan_text
        self.emit(
            commands.DraftPlan(
                actor=p.secretariat,
                partnership_id=p.id,
                plan_id=plan.id,
                title=title,
                template=LOCAL_INCLUSION_PLAN_V1.ref,
                period_start=start,
                period_end=end,
                sections=sections,
            )
        )
        if predecessor is not None:
            predecessor.successor = plan
            plan.pending, predecessor.pending = predecessor.pending, []
        p.plans.append(plan)
        if kind == "interim":
            self.after(4, partial(self._open_consultation, p, plan, 21))
            self.after(32, partial(self._draft_plan, p, "main"))
        else:
            self.after(20, partial(self._open_consultation, p, plan, rng.randint(49, 63)))

    def _open_consultation(self, p: _Partnership, plan: _Plan, days: int) -> None:
        rng = p.rng
        if plan.stage != "draft":
            return
        self._flush(p, plan)
        closes = workday(self.today + days)
        channels: tuple[Channel, ...] = (Channel.SURVEY, Channel.LISTENING_EVENT, Channel.FORUM)
        if rng.random() < 0.5:
            channels = (*channels, Channel.EMAIL)
        self.emit(
            commands.OpenConsultation(
                actor=p.secretariat,
                plan_id=plan.id,
                opens_on=self.date,
                closes_on=date.fromordinal(closes),
                channels=channels,
                accessible_formats=tuple(rng.sample(FORMATS, rng.randint(2, 5))),
            )
        )
        plan.stage = "consultation"
        p.consulting = plan
        plan.imported_to = self.today
        if plan.kind == "main":
            plan.survey_rate = MAIN_SURVEY_PER_DAY
            plan.listening_days = tuple(
                sorted(workday_before(self.today + rng.randint(3, days - 3)) for _ in range(4))
            )[: rng.randint(3, 4)]
            for day in plan.listening_days:
                self.at(day, partial(self._listening_event, p, plan))
        else:
            plan.survey_rate = INTERIM_SURVEY_PER_DAY
        self.at(closes, partial(self._close_consultation, p, plan))

    def _listening_event(self, p: _Partnership, plan: _Plan) -> None:
        if plan.stage == "consultation":
            for _ in range(max(1, round(p.rng.randint(15, 35) * p.scale))):
                self._submit(p, Channel.LISTENING_EVENT, plan)

    def _close_consultation(self, p: _Partnership, plan: _Plan) -> None:
        rng = p.rng
        self._import_survey(p, plan)  # the last responses, up to the closing day
        p.consulting = None
        events = len(plan.listening_days)
        self.emit(
            commands.CloseConsultation(
                actor=p.secretariat,
                plan_id=plan.id,
                responses_received=plan.window_count,
                summary=f"{plan.window_count} responses"
                + (f", including {events} listening events." if events else "."),
            )
        )
        plan.stage = "revision"
        self.after(rng.randint(3, 6), partial(self._revise_from_consultation, p, plan))
        wait = rng.randint(10, 14) if plan.kind == "interim" else rng.randint(45, 60)
        self.after(wait, partial(self._submit_plan, p, plan))

    def _revise_from_consultation(self, p: _Partnership, plan: _Plan) -> None:
        rng = p.rng
        if plan.stage not in EDITABLE:
            return
        by_section: dict[str, list[_Contribution]] = {}
        for cs in plan.recent:
            by_section.setdefault(cs.topic.section, []).append(cs)
        for section in rng.sample(sorted(by_section), min(len(by_section), rng.randint(2, 3))):
            cited = by_section[section][-5:]
            topic = cited[-1].topic
            self.emit(
                commands.ReviseSection(
                    actor=p.secretariat,
                    plan_id=plan.id,
                    section=section,
                    text=f"{topic.plan_text} In the consultation, families told us: "
                    f"{topic.summaries[0].rstrip('.')}; this section now responds to that.",
                    rationale="What families and practitioners told us in the consultation ("
                    + ", ".join(cs.reference for cs in cited)
                    + ").",
                    cited_contributions=tuple(cs.id for cs in cited),
                )
            )
        self._flush(p, plan)

    def _queue_revision(self, p: _Partnership, d: _Decision) -> None:
        plan = p.working_plan
        if plan is None or plan.stage == "superseded":
            return
        plan.pending.append(d)
        self.after(p.rng.randint(2, 6), partial(self._flush, p, plan))

    def _flush(self, p: _Partnership, plan: _Plan) -> None:
        """Revise the sections the plan's pending decisions concern, if it takes edits now."""
        if plan.stage not in EDITABLE or not plan.pending:
            return
        by_section: dict[str, list[_Decision]] = {}
        for d in plan.pending:
            by_section.setdefault(d.topic.section, []).append(d)
        plan.pending = []
        for section, decisions in by_section.items():
            cited = decisions[-5:]
            contributions = list(dict.fromkeys(cs for d in cited for cs in d.cited))[:8]
            refs = ", ".join(d.reference for d in cited)
            rationale = f"Decisions {refs} taken by the board"
            if contributions:
                rationale += ", shaped by " + ", ".join(cs.reference for cs in contributions)
            self.emit(
                commands.ReviseSection(
                    actor=p.secretariat,
                    plan_id=plan.id,
                    section=section,
                    text=" ".join([cited[-1].topic.plan_text, *(d.text for d in cited[-2:])]),
                    rationale=f"{rationale}.",
                    cited_decisions=tuple(d.id for d in cited),
                    cited_contributions=tuple(cs.id for cs in contributions),
                )
            )

    def _submit_plan(self, p: _Partnership, plan: _Plan) -> None:
        if plan.stage != "revision":
            return
        self._flush(p, plan)
        for cs in list(plan.untriaged.values()):  # clear the triage backlog first
            self._triage_now(p, cs)
        self.emit(commands.SubmitPlanForQA(actor=p.secretariat, plan_id=plan.id))
        plan.stage = "submitted_for_qa"
        plan.qa_round += 1
        self.after(p.rng.randint(15, 30), partial(self._qa_feedback, p, plan))

    def _qa_feedback(self, p: _Partnership, plan: _Plan) -> None:
        rng = p.rng
        if plan.kind == "interim":
            changes = 0.1 if plan.qa_round == 1 else 0.0
        elif plan.refreshes == 0:
            changes = (0.7, 0.15)[plan.qa_round - 1] if plan.qa_round <= 2 else 0.0
        else:
            changes = 0.25 if plan.qa_round == 1 else 0.0
        if rng.random() < changes:
            findings = rng.sample(QA_FINDINGS, rng.randint(1, 2))
            self.emit(
                commands.RecordQAFeedback(
                    actor=p.dfe,
                    plan_id=plan.id,
                    outcome=QAOutcome.CHANGES_REQUESTED,
                    findings=tuple(f for _, f, _ in findings),
                )
            )
            plan.stage = "changes_requested"
            self.after(rng.randint(5, 10), partial(self._address_findings, p, plan, findings))
        else:
            self.emit(
                commands.RecordQAFeedback(actor=p.dfe, plan_id=plan.id, outcome=QAOutcome.APPROVED)
            )
            self.after(rng.randint(2, 4), partial(self._approve_plan, p, plan))

    def _address_findings(
        self, p: _Partnership, plan: _Plan, findings: list[tuple[str, str, str]]
    ) -> None:
        for section, finding, answer in findings:
            topic = next(t for t in TOPICS if t.section == section)
            self.emit(
                commands.ReviseSection(
                    actor=p.secretariat,
                    plan_id=plan.id,
                    section=section,
                    text=f"{topic.plan_text} {answer}",
                    rationale=f"DfE QA feedback: {finding}",
                )
            )
            plan.stage = "revision"
        self._flush(p, plan)
        self.after(p.rng.randint(5, 10), partial(self._submit_plan, p, plan))

    def _approve_plan(self, p: _Partnership, plan: _Plan) -> None:
        self.emit(commands.ApprovePlan(actor=p.chair, plan_id=plan.id))
        plan.stage = "approved"
        self.after(p.rng.randint(2, 7), partial(self._publish_plan, p, plan))

    def _publish_plan(self, p: _Partnership, plan: _Plan) -> None:
        rng = p.rng
        period = f"{plan.period_start.year}-{plan.period_end.year}"
        self.emit(
            commands.PublishPlan(
                actor=p.secretariat,
                plan_id=plan.id,
                local_offer_url=f"https://www.{p.slug}.example/local-offer/inclusion-plan/{period}",
            )
        )
        plan.stage = "published"
        predecessor = plan.predecessor
        if predecessor is not None and predecessor.stage != "superseded":
            self._supersede_plan(p, predecessor, plan)
        if plan.kind == "main":
            self.after(rng.randint(300, 330), partial(self._refresh, p, plan))
            if not plan.published_once:
                next_draft = max(self.today + 60, plan.period_end.toordinal() - 330)
                self.at(workday(next_draft), partial(self._draft_plan, p, "main"))
        plan.published_once = True

    def _supersede_plan(self, p: _Partnership, old: _Plan, new: _Plan) -> None:
        if old.stage != "published":  # mid-refresh: wait until it is published again
            self.after(10, partial(self._supersede_plan, p, old, new))
            return
        self.emit(
            commands.SupersedePlan(
                actor=p.secretariat,
                plan_id=old.id,
                superseded_by=new.id,
                reason=f"Replaced by {new.title}.",
            )
        )
        old.stage = "superseded"

    def _refresh(self, p: _Partnership, plan: _Plan) -> None:
        """The annual refresh: the year's decisions go into the plan, which goes back to QA."""
        if plan.stage != "published" or plan.successor is not None:
            return
        self.emit(
            commands.ReviseSection(
                actor=p.secretariat,
                plan_id=plan.id,
                section="vision",
                text=f"{VISIONS[0].format(place=p.place)} Annual refresh {self.date.year}: "
                "progress against every measure is reported to the board and families.",
                rationale="Annual refresh of the plan.",
            )
        )
        plan.stage = "revision"
        plan.refreshes += 1
        plan.qa_round = 0
        self._flush(p, plan)
        self.after(p.rng.randint(10, 20), partial(self._submit_plan, p, plan))


# Batches


def _chunks(
    todays: list[commands.AnyCommand], batch_events: int, on_plan: Container[UUID]
) -> Iterator[list[commands.AnyCommand]]:
    chunk: list[commands.AnyCommand] = []
    size = 0
    for command in todays:
        weight = events_of(command, on_plan)
        if chunk and size + weight > batch_events:
            yield chunk
            chunk, size = [], 0
        chunk.append(command)
        size += weight
    if chunk:
        yield chunk


class _Tally:
    """Counts of what the stored batches hold, from the commands that stored them."""

    def __init__(self) -> None:
        self.events = 0
        self.event_types: dict[str, int] = {t.TOPIC: 0 for t in domain.event_types()}
        self.aggregates: dict[str, int] = dict.fromkeys(KIND_OF_CREATION.values(), 0)
        self.partnership_ids: list[UUID] = []
        self.plan_ids: list[UUID] = []
        self.decision_ids: list[UUID] = []

    def add(self, batch: Sequence[commands.AnyCommand], on_plan: Container[UUID]) -> None:
        for command in batch:
            topic = _EVENT_OF[type(command)]
            self.event_types[topic] += 1
            self.events += 1
            kind = KIND_OF_CREATION.get(topic)
            if kind is not None:
                self.aggregates[kind] += 1
            match command:
                case commands.SubmitContribution(plan_id=UUID()):
                    self.event_types[_RECEIVED] += 1
                    self.events += 1
                case (
                    commands.TriageContribution() | commands.RouteContributionToIndividualCase()
                ) if command.contribution_id in on_plan:
                    self.event_types[_TRIAGED_ON_PLAN] += 1
                    self.events += 1
                case commands.EstablishPartnership(partnership_id=UUID() as pid):
                    self.partnership_ids.append(pid)
                case commands.DraftPlan(plan_id=UUID() as plan_id):
                    self.plan_ids.append(plan_id)
                case commands.ProposeDecision(decision_id=UUID() as decision_id):
                    self.decision_ids.append(decision_id)
                case _:
                    pass


def count_log(app: LedgerApplication, after: int = 0) -> tuple[dict[str, int], dict[str, int]]:
    """Events per type and aggregates per kind, read back from the notification log."""
    event_types: dict[str, int] = {t.TOPIC: 0 for t in domain.event_types()}
    aggregates: dict[str, int] = dict.fromkeys(KIND_OF_CREATION.values(), 0)
    start = after + 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=10_000)
        if not page:
            return event_types, aggregates
        for notification in page:
            event_types[notification.topic] = event_types.get(notification.topic, 0) + 1
            kind = KIND_OF_CREATION.get(notification.topic)
            if kind is not None:
                aggregates[kind] += 1
        start = page[-1].id + 1


def _written_at(day: int, batch: int, tz: tzinfo) -> datetime:
    return datetime.combine(date.fromordinal(day), WRITE_AT, tz) + timedelta(seconds=batch)


def generate(
    app: LedgerApplication,
    clock: ScenarioClock,
    *,
    events: int,
    seed: int,
    batch_events: int = DEFAULT_BATCH_EVENTS,
    progress: Callable[[int, int], None] | None = None,
) -> GeneratedLedger:
    """Write a synthetic ledger of at least `events` events through the ledger's commands.

    The story starts on the clock's current day (the next working day at 16:00 or later)
    and the clock is moved forward before each batch. Write into an empty ledger, or one
    that holds no ledger generated with the same seed (the ids would collide).
    """
    if events < 1:
        raise ValueError("events must be at least 1")
    if batch_events < 2:
        raise ValueError("batch_events must be at least 2")
    tz = clock.now.tzinfo or UTC
    first_day = clock.now.date().toordinal()
    if _written_at(first_day, 0, tz) < clock.now:
        first_day += 1
    story = _Story(seed=seed, events=events, first_day=workday(first_day), tz=tz)
    tally = _Tally()
    base = app.recorder.max_notification_id() or 0
    stored = 0
    batches = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    for day, todays in story.days():
        for number, chunk in enumerate(_chunks(todays, batch_events, story.on_plan)):
            last_at = _written_at(day, number, tz)
            first_at = first_at or last_at
            clock.set(last_at)
            app.handle_all(chunk)
            tally.add(chunk, story.on_plan)
            batches += 1
            stored = (app.recorder.max_notification_id() or 0) - base
            if progress is not None:
                progress(stored, events)
            if stored >= events:
                break
        if stored >= events:
            break
    if stored == tally.events:
        event_types, aggregates = tally.event_types, tally.aggregates
    else:  # a command stored more or fewer events than expected: trust the log
        event_types, aggregates = count_log(app, base)
    return GeneratedLedger(
        seed=seed,
        requested_events=events,
        events=stored,
        batches=batches,
        first_at=first_at,
        last_at=last_at,
        aggregates=aggregates,
        event_types=event_types,
        partnership_ids=tuple(tally.partnership_ids),
        plan_ids=tuple(tally.plan_ids),
        decision_ids=tuple(tally.decision_ids),
    )


# The command line


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.generator",
        description="Write a synthetic ledger through the ledger's commands; prints JSON.",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"at least this many events (default {DEFAULT_EVENTS:,})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default 1")
    parser.add_argument(
        "--db",
        default=None,
        help="database URL (default: a new SQLite file in a temporary folder, kept)",
    )
    parser.add_argument(
        "--batch-events",
        type=int,
        default=DEFAULT_BATCH_EVENTS,
        help=f"most events per handle_all batch (default {DEFAULT_BATCH_EVENTS})",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.events <= MAX_EVENTS:
        parser.error(f"--events must be from 1 to {MAX_EVENTS:,}")
    if args.batch_events < 2:
        parser.error("--batch-events must be at least 2")
    url = str(
        args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='ledger-generated-')) / 'ledger.db'}"
    )
    _say(f"writing {args.events:,} events (seed {args.seed}) to {url}")
    clock = ScenarioClock(STORY_START)
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    started = time.perf_counter()
    reported = [0.0]

    def show(stored: int, target: int) -> None:
        now = time.perf_counter()
        if now - reported[0] >= 2 or stored >= target:
            reported[0] = now
            rate = stored / (now - started)
            _say(f"{stored:,}/{target:,} events ({rate:,.0f} events/s)")

    try:
        result = generate(
            ledger.app,
            clock,
            events=args.events,
            seed=args.seed,
            batch_events=args.batch_events,
            progress=show,
        )
    finally:
        ledger.close()
    seconds = time.perf_counter() - started
    report = {
        "benchmark": "generator",
        "database": url,
        "seed": result.seed,
        "requested_events": result.requested_events,
        "events": result.events,
        "seconds": round(seconds, 3),
        "events_per_s": round(result.events / seconds, 1),
        "batches": result.batches,
        "story": {"from": result.first_at, "to": result.last_at},
        "partnerships": len(result.partnership_ids),
        "plans": len(result.plan_ids),
        "decisions": len(result.decision_ids),
        "aggregates": result.aggregates,
        "event_types": result.event_types,
    }
    print(json.dumps(msgspec.to_builtins(report), indent=2))
    _say(f"ledger kept at {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
