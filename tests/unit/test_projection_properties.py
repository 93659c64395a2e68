"""Views built a batch at a time, stopping and starting anywhere, equal one rebuild.

Hypothesis writes a random history over a small world: one or two partnerships
with a board and terms of reference, then plans, decisions, contributions,
meetings and actions, each command drawn against what exists so far (so most
are accepted; the ones the domain refuses are skipped). A projector then
catches up in random steps with random batch and cache sizes, sometimes
restarting with a cold cache, and its views must equal, document by document
and byte for byte, the views one rebuild makes from the same log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.errors import LedgerRuleBroken
from domain.plan import InclusionPlan
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
from projections.store import MemoryReadModelStore, encode_doc
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1
from services.projection.projector import Projector, rebuild
from tests.unit.builders import an_app

WORLD = uuid5(NAMESPACE_URL, "urn:inclusion-ledger:test:projection-properties")
SECRETARIAT = Actor(id="u-secretariat", role="secretariat")
CHAIR = Actor(id="m-chair", role="chair")
BOARD = (
    ("m-chair", Sector.LOCAL_AUTHORITY),
    ("m-forum", Sector.PARENT_CARER_FORUM),
    ("m-health", Sector.HEALTH),
    ("m-schools", Sector.SCHOOLS),
)
MEMBER_IDS = (*(m for m, _ in BOARD), "m-extra")
SECTIONS = tuple(s.key for s in LOCAL_INCLUSION_PLAN_V1.sections)
START = datetime(2030, 1, 6, 9, tzinfo=UTC)

members = st.sampled_from(MEMBER_IDS)
board_members = st.sampled_from([m for m, _ in BOARD])
sections = st.sampled_from(SECTIONS)
short_text = st.sampled_from(("Early help.", "More places.", "Shorter waits.", "Post-16 cover."))
future_day = st.integers(min_value=400, max_value=900).map(
    lambda days: START.date() + timedelta(days=days)
)
stances = st.sampled_from(
    (Stance.FOR, Stance.FOR, Stance.FOR, Stance.AGAINST, Stance.ABSTAIN, Stance.BLOCK)
)


class TickingClock:
    """A minute per reading, so stored times follow the order commands ran in."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class World:
    """What exists so far, so the next command can be drawn against it."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app
        self.ids: dict[str, list[UUID]] = {kind: [] for kind in CREATES.values()}
        self.partnership_of: dict[UUID, UUID] = {}
        self.issued = 0

    def fresh(self, kind: str) -> UUID:
        self.issued += 1
        return uuid5(WORLD, f"{kind}/{self.issued}")

    def some(self, data: st.DataObject, kind: str) -> UUID | None:
        known = self.ids[kind]
        return data.draw(st.sampled_from(known), label=kind) if known else None

    def handle(self, command: commands.AnyCommand) -> bool:
        """Handle the command and remember what it created; False when refused."""
        try:
            aggregate_id = self.app.handle(command)
        except LedgerRuleBroken:
            return False
        kind = CREATES.get(type(command))
        if kind is not None:
            self.ids[kind].append(aggregate_id)
            owner = getattr(command, "partnership_id", None)
            if isinstance(command, commands.CommitAction):
                owner = self.partnership_of[command.decision_id]
            self.partnership_of[aggregate_id] = owner or aggregate_id
        return True


CREATES: dict[type[commands.Command], str] = {
    commands.EstablishPartnership: "partnership",
    commands.DraftPlan: "plan",
    commands.ProposeDecision: "decision",
    commands.SubmitContribution: "contribution",
    commands.ScheduleMeeting: "meeting",
    commands.CommitAction: "action",
}


def establish(world: World, forum_required: bool) -> list[commands.AnyCommand]:
    """A partnership with a four-member board and terms of reference."""
    partnership_id = world.fresh("partnership")
    steps: list[commands.AnyCommand] = [
        commands.EstablishPartnership(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            name=f"Partnership {world.issued}",
            kind="local_send_ap_partnership",
            la_code="Z98",
            icb_code="QZY",
        )
    ]
    steps += [
        commands.AppointMember(
            actor=SECRETARIAT,
            partnership_id=partnership_id,
            member_id=member_id,
            name=f"Name of {member_id}",
            role="Board member",
            sector=sector,
            organisation="Eastvale",
        )
        for member_id, sector in BOARD
    ]
    steps.append(
        commands.AdoptTermsOfReference(
            actor=CHAIR, partnership_id=partnership_id, quorum=2, forum_required=forum_required
        )
    )
    return steps


DECISION_CHOICES = (
    *("vote", "vote", "vote", "withdraw", "link", "unlink", "amend"),
    *("take", "take", "defer", "review", "supersede"),
)

# Moves: each draws the next command(s) against the world as it stands.

Move = Callable[[World, st.DataObject], list[commands.AnyCommand]]


def partnership_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    p = w.some(data, "partnership")
    assert p is not None
    choice = data.draw(st.sampled_from(("appoint", "stand_down", "terms", *("interest",) * 5)))
    if choice == "appoint":
        return [
            commands.AppointMember(
                actor=SECRETARIAT,
                partnership_id=p,
                member_id="m-extra",
                name="Extra member",
                role="Co-opted member",
                sector=data.draw(st.sampled_from(list(Sector))),
                organisation="Eastvale",
                voting=data.draw(st.booleans()),
            )
        ]
    if choice == "stand_down":
        return [
            commands.StandDownMember(
                actor=SECRETARIAT, partnership_id=p, member_id=data.draw(members), reason="Left."
            )
        ]
    if choice == "terms":
        return [
            commands.AdoptTermsOfReference(
                actor=CHAIR,
                partnership_id=p,
                quorum=data.draw(st.integers(1, 3)),
                forum_required=data.draw(st.booleans()),
            )
        ]
    d = w.some(data, "decision")
    if d is None:
        return []
    return [
        commands.DeclareInterest(
            actor=SECRETARIAT,
            partnership_id=w.partnership_of[d],
            member_id=data.draw(members),
            decision_id=d,
            has_interest=data.draw(st.booleans()),
            nature="Their organisation provides the service.",
        )
    ]


def propose_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    p = w.some(data, "partnership")
    assert p is not None
    return [
        commands.ProposeDecision(
            actor=CHAIR,
            partnership_id=p,
            decision_id=w.fresh("decision"),
            reference=f"D-{w.issued}",
            title="Speech and language therapy assistants",
            category=data.draw(st.sampled_from(list(DecisionCategory))),
            text=data.draw(short_text),
            proposer_id=data.draw(members),
            options=("4 FTE", "no change"),
        )
    ]


def decision_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    d = w.some(data, "decision")
    if d is None:
        return propose_move(w, data)
    choice = data.draw(st.sampled_from(DECISION_CHOICES))
    if choice == "vote":
        return [
            commands.RecordVote(
                actor=SECRETARIAT,
                decision_id=d,
                member_id=data.draw(members),
                stance=data.draw(stances),
                reason="As discussed.",
            )
        ]
    if choice == "withdraw":
        return [
            commands.WithdrawVote(
                actor=SECRETARIAT,
                decision_id=d,
                member_id=data.draw(members),
                reason="Reconsidered.",
            )
        ]
    if choice in ("link", "unlink", "amend"):
        own = [x for x in w.ids["contribution"] if w.partnership_of[x] == w.partnership_of[d]]
        if not own:
            return contribution_move(w, data)
        contribution = data.draw(st.sampled_from(own))
        if choice == "link":
            return [
                commands.LinkContribution(
                    actor=SECRETARIAT,
                    decision_id=d,
                    contribution_id=contribution,
                    influence=data.draw(st.sampled_from(list(Influence))),
                    note=data.draw(short_text),
                )
            ]
        if choice == "unlink":
            return [
                commands.UnlinkContribution(
                    actor=SECRETARIAT, decision_id=d, contribution_id=contribution, reason="Oops."
                )
            ]
        return [
            commands.AmendDecision(
                actor=CHAIR,
                decision_id=d,
                text=data.draw(short_text),
                rationale="Families asked for it.",
                caused_by=(contribution,) if data.draw(st.booleans()) else (),
            )
        ]
    if choice == "take":
        same = [m for m in w.ids["meeting"] if w.partnership_of[m] == w.partnership_of[d]]
        if not same:
            return meeting_move(w, data)
        voters = data.draw(st.lists(board_members, max_size=4, unique=True), label="voters")
        votes: list[commands.AnyCommand] = [
            commands.RecordVote(
                actor=SECRETARIAT,
                decision_id=d,
                member_id=member_id,
                stance=data.draw(stances),
                reason="As discussed.",
            )
            for member_id in voters
        ]
        return [
            *votes,
            commands.TakeDecision(
                actor=CHAIR,
                decision_id=d,
                meeting_id=data.draw(st.sampled_from(same)),
                outcome=data.draw(st.sampled_from(list(DecisionOutcome))),
                rationale="Meets the need families described.",
                coproduced=data.draw(st.sampled_from((False, False, True))),
            ),
        ]
    if choice == "defer":
        return [commands.DeferDecision(actor=CHAIR, decision_id=d, reason="Needs costing.")]
    if choice == "review":
        return [
            commands.ScheduleReview(actor=CHAIR, decision_id=d, review_on=data.draw(future_day))
        ]
    successor = w.some(data, "decision")
    assert successor is not None
    return [
        commands.SupersedeDecision(
            actor=CHAIR, decision_id=d, superseded_by=successor, rationale="A wider decision."
        )
    ]


def meeting_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    m = w.some(data, "meeting")
    if m is not None and data.draw(st.booleans()):
        if data.draw(st.booleans()):
            return [commands.ApproveMinutes(actor=SECRETARIAT, meeting_id=m)]
        return [commands.RecordAttendance(actor=SECRETARIAT, meeting_id=m, present=MEMBER_IDS[:3])]
    p = w.some(data, "partnership")
    assert p is not None
    meeting_id = w.fresh("meeting")
    present = data.draw(st.lists(board_members, min_size=2, max_size=4, unique=True))
    return [
        commands.ScheduleMeeting(
            actor=SECRETARIAT,
            partnership_id=p,
            meeting_id=meeting_id,
            title="Partnership board",
            held_at=START - timedelta(days=7),
        ),
        commands.RecordAttendance(actor=SECRETARIAT, meeting_id=meeting_id, present=tuple(present)),
    ]


def action_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    a = w.some(data, "action")
    if a is not None and data.draw(st.booleans()):
        if data.draw(st.booleans()):
            return [
                commands.ReportProgress(
                    actor=SECRETARIAT,
                    action_id=a,
                    note=data.draw(short_text),
                    percent_complete=data.draw(st.integers(0, 100)),
                )
            ]
        return [commands.CompleteAction(actor=SECRETARIAT, action_id=a, note="Done.")]
    d = w.some(data, "decision")
    if d is None:
        return []
    return [
        commands.CommitAction(
            actor=CHAIR,
            decision_id=d,
            action_id=w.fresh("action"),
            reference=f"A-{w.issued}",
            title="Recruit assistants",
            owner="The ICB",
            due_on=data.draw(future_day),
        )
    ]


def contribution_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    co = w.some(data, "contribution")
    if co is not None and data.draw(st.booleans()):
        choice = data.draw(
            st.sampled_from(("triage", "triage", "route", "respond", "summary", "notify"))
        )
        if choice == "triage":
            return [
                commands.TriageContribution(actor=SECRETARIAT, contribution_id=co, themes=("x",))
            ]
        if choice == "route":
            return [
                commands.RouteContributionToIndividualCase(
                    actor=SECRETARIAT, contribution_id=co, reason="About one child's plan."
                )
            ]
        if choice == "respond":
            return [
                commands.IssueResponse(
                    actor=SECRETARIAT,
                    contribution_id=co,
                    outcome=data.draw(st.sampled_from(list(ResponseOutcome))),
                    rationale="Added to the plan.",
                )
            ]
        if choice == "summary":
            return [
                commands.RecordDeidentifiedSummary(
                    actor=SECRETARIAT, contribution_id=co, summary="A parent asked for help."
                )
            ]
        return [commands.NotifyContributor(actor=SECRETARIAT, contribution_id=co, channel="email")]
    p = w.some(data, "partnership")
    assert p is not None
    own_plans = [plan for plan in w.ids["plan"] if w.partnership_of[plan] == p]
    plan_id = data.draw(st.none() | st.sampled_from(own_plans)) if own_plans else None
    return [
        commands.SubmitContribution(
            actor=SECRETARIAT,
            partnership_id=p,
            contribution_id=w.fresh("contribution"),
            plan_id=plan_id,
            reference=f"C-{w.issued}",
            subject_ref=f"subj-{w.issued}",
            contributor_kind=data.draw(st.sampled_from(list(ContributorKind))),
            contributor_name="A parent",
            channel=data.draw(st.sampled_from(list(Channel))),
            depth=data.draw(st.sampled_from(list(Depth))),
            text="Support stops at 16.",
            themes=("post-16",),
            sections=tuple(data.draw(st.lists(sections, max_size=2, unique=True))),
        )
    ]


def plan_move(w: World, data: st.DataObject) -> list[commands.AnyCommand]:
    plan_id = w.some(data, "plan")
    if plan_id is None or data.draw(st.integers(0, 9)) == 0:
        p = w.some(data, "partnership")
        assert p is not None
        return [
            commands.DraftPlan(
                actor=SECRETARIAT,
                partnership_id=p,
                plan_id=w.fresh("plan"),
                title="Local Inclusion Plan",
                template=LOCAL_INCLUSION_PLAN_V1.ref,
                period_start=date(2030, 9, 1),
                period_end=date(2033, 8, 31),
                sections=data.draw(st.dictionaries(sections, short_text, max_size=2)),
            )
        ]
    revise = commands.ReviseSection(
        actor=SECRETARIAT,
        plan_id=plan_id,
        section=data.draw(sections),
        text=data.draw(short_text),
        rationale="Decision taken.",
        cited_decisions=tuple(
            data.draw(st.lists(st.sampled_from(w.ids["decision"]), max_size=2, unique=True))
            if w.ids["decision"]
            else ()
        ),
        cited_contributions=tuple(
            data.draw(st.lists(st.sampled_from(w.ids["contribution"]), max_size=2, unique=True))
            if w.ids["contribution"]
            else ()
        ),
    )
    by_stage: dict[str, list[commands.AnyCommand]] = {
        "draft": [
            revise,
            commands.OpenConsultation(
                actor=SECRETARIAT,
                plan_id=plan_id,
                opens_on=date(2030, 2, 1),
                closes_on=date(2030, 3, 31),
                channels=(Channel.SURVEY, Channel.FORUM),
            ),
        ],
        "consultation": [
            commands.CloseConsultation(
                actor=SECRETARIAT, plan_id=plan_id, responses_received=40, summary="Read."
            )
        ],
        "revision": [revise, commands.SubmitPlanForQA(actor=SECRETARIAT, plan_id=plan_id)],
        "submitted_for_qa": [
            commands.RecordQAFeedback(
                actor=SECRETARIAT,
                plan_id=plan_id,
                outcome=data.draw(st.sampled_from(list(QAOutcome))),
                findings=("Say how waits are measured.",),
            )
        ],
        "approved": [commands.ApprovePlan(actor=CHAIR, plan_id=plan_id)],
        "published": [
            revise,
            commands.SupersedePlan(actor=SECRETARIAT, plan_id=plan_id, reason="A new period."),
        ],
    }
    stage = w.app.load(InclusionPlan, plan_id).stage
    if stage == "submitted_for_qa" and data.draw(st.booleans()):
        # An approving QA leaves the stage; approval follows it.
        by_stage[stage] = [commands.ApprovePlan(actor=CHAIR, plan_id=plan_id)]
    if stage == "approved":
        by_stage[stage].append(
            commands.PublishPlan(
                actor=SECRETARIAT, plan_id=plan_id, local_offer_url="https://eastvale.example/lo"
            )
        )
    options = by_stage.get(stage, [revise])
    return [data.draw(st.sampled_from(options))]


MOVES: tuple[Move, ...] = (
    partnership_move,
    propose_move,
    decision_move,
    decision_move,
    decision_move,
    meeting_move,
    action_move,
    contribution_move,
    contribution_move,
    plan_move,
    plan_move,
)


def write_history(app: LedgerApplication, data: st.DataObject) -> tuple[int, int]:
    """Write a random history; return (commands accepted, commands drawn)."""
    world = World(app)
    for forum_required in data.draw(st.lists(st.booleans(), min_size=1, max_size=2)):
        for command in establish(world, forum_required):
            assert world.handle(command)
    accepted = drawn = 0
    for _ in range(data.draw(st.integers(5, 60), label="moves")):
        move = data.draw(st.sampled_from(MOVES))
        for command in move(world, data):
            drawn += 1
            accepted += world.handle(command)
    return accepted, drawn


def snapshot(store: MemoryReadModelStore) -> dict[UUID, bytes]:
    return {doc_id: encode_doc(doc) for doc_id, doc in store.docs.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_views_built_in_random_batches_and_steps_equal_one_rebuild(data: st.DataObject) -> None:
    app = an_app()
    app.clock = TickingClock()
    try:
        accepted, drawn = write_history(app, data)
        event(f"{10 * (10 * accepted // max(drawn, 1))}% of drawn commands accepted")
        head = app.recorder.max_notification_id() or 0

        # A rebuild parks changed documents as they leave its cache and writes them
        # when too many are parked: small limits write (and later reload) many of
        # them part way through.
        rebuilt = MemoryReadModelStore()
        result = rebuild(
            app,
            rebuilt,
            batch_size=data.draw(st.integers(1, 50), label="rebuild batch_size"),
            cache_size=data.draw(st.integers(1, 40), label="rebuild cache_size"),
            park_bytes=data.draw(st.integers(0, 20_000), label="rebuild park_bytes"),
        )
        assert (result.complete, result.position, result.skipped) == (True, head, 0)

        live = MemoryReadModelStore()
        projector = Projector(
            app,
            live,
            batch_size=data.draw(st.integers(1, 50), label="batch_size"),
            cache_size=data.draw(st.integers(1, 40), label="cache_size"),
        )
        cuts = data.draw(st.lists(st.integers(0, head + 3), max_size=6).map(sorted), label="cuts")
        applied = 0
        for cut in cuts:
            if data.draw(st.booleans(), label="restart with a cold cache"):
                projector = Projector(
                    app, live, cache_size=data.draw(st.integers(1, 40), label="cache_size")
                )
            projector.batch_size = data.draw(st.integers(1, 50), label="batch_size")
            step = projector.catch_up(until=cut)
            applied += step.applied
            status = live.status()
            assert step.position == min(cut, head)
            assert (status.position if status else 0) == min(cut, head)
        applied += projector.catch_up().applied

        assert applied == head
        assert snapshot(live) == snapshot(rebuilt)
        live_status, rebuilt_status = live.status(), rebuilt.status()
        assert live_status is not None
        assert rebuilt_status is not None
        assert (live_status.position, live_status.skipped) == (head, 0)
        assert rebuilt_status.position == head
    finally:
        app.close()
