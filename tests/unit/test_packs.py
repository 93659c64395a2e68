"""The DfE quality-assurance pack and the inspection evidence pack for a plan,
and their Markdown: on the Northmoor scenario and on small ledgers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TypeVar
from uuid import UUID

import msgspec
import pytest

from domain.values import Stance
from projections.documents import (
    ActionDoc,
    ContributionDoc,
    DecisionDoc,
    Doc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
)
from projections.pack_markdown import render_markdown
from projections.pack_markdown.shared import cell
from projections.packs import InspectionPack, QAPack, inspection_pack, qa_pack
from projections.provenance import NotCounted
from projections.store import MemoryReadModelStore
from services.demo.cast import IDS, ScenarioClock
from services.demo.northmoor import write_northmoor
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.log_queries import LogQueries
from services.projection.projector import Projector
from services.projection.read_model_queries import ReadModelQueries
from tests.unit.builders import (
    CHAIR,
    CONTRIBUTOR_NAME,
    FORUM,
    HEALTH,
    NOW,
    SCHOOLS,
    SECRETARIAT,
    VOTING_MEMBERS,
    a_clock,
    a_drafted_plan,
    a_meeting,
    a_proposed_decision,
    a_ready_partnership,
    a_triaged_contribution,
    an_app,
    cast_votes,
    link,
    take,
)

D = TypeVar("D", bound=Doc)

TODAY = date(2026, 6, 1)


class Views:
    def __init__(self, app: LedgerApplication, partnership_id: UUID) -> None:
        self.store = MemoryReadModelStore()
        Projector(app, self.store).catch_up()
        self.partnership_id = partnership_id
        self.read_models = ReadModelQueries(app, self.store, LogQueries(app))

    def all(self, kind: type[D], model: str) -> list[D]:
        return [d for d in self.store.scan(model, self.partnership_id) if isinstance(d, kind)]

    @property
    def partnership(self) -> PartnershipDoc:
        (found,) = self.all(PartnershipDoc, "partnership")
        return found

    def plan(self, plan_id: UUID) -> PlanDoc:
        return next(p for p in self.all(PlanDoc, "plan") if p.id == plan_id)

    def qa(self, plan_id: UUID, *, today: date = TODAY) -> QAPack:
        return qa_pack(
            self.plan(plan_id),
            self.partnership,
            self.all(DecisionDoc, "decision"),
            self.all(ContributionDoc, "contribution"),
            self.all(ActionDoc, "action"),
            self.all(MeetingDoc, "meeting"),
            today=today,
        )

    def inspection(self, plan_id: UUID, *, today: date = TODAY) -> InspectionPack:
        return inspection_pack(
            self.plan(plan_id),
            self.partnership,
            self.all(DecisionDoc, "decision"),
            self.all(ContributionDoc, "contribution"),
            self.all(ActionDoc, "action"),
            self.all(MeetingDoc, "meeting"),
            today=today,
        )


@pytest.fixture(scope="module")
def northmoor() -> Views:
    clock = ScenarioClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = an_app(clock)
    write_northmoor(app, clock)
    return Views(app, IDS.partnership)


@pytest.fixture(scope="module")
def qa(northmoor: Views) -> QAPack:
    return northmoor.qa(IDS.plan)


@pytest.fixture(scope="module")
def inspection(northmoor: Views) -> InspectionPack:
    return northmoor.inspection(IDS.plan)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app(a_clock())


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def revise(
    plan_id: UUID, *cited: UUID, rationale: str = "Decision D-30-01."
) -> commands.ReviseSection:
    return commands.ReviseSection(
        actor=SECRETARIAT,
        plan_id=plan_id,
        section="health_commissioning",
        text="The ICB will commission 4 FTE assistants.",
        rationale=rationale,
        cited_decisions=cited,
    )


# The DfE quality-assurance pack


def test_the_qa_pack_names_the_plan_its_template_and_its_stage(qa: QAPack) -> None:
    plan = qa.plan

    assert plan.title == "Northmoor Local Inclusion Plan 2026-2029"
    assert plan.partnership_name == "Northmoor SEND and AP Partnership"
    assert (plan.la_code, plan.icb_code) == ("Z99", "QZZ")
    assert (plan.template, plan.template_version) == ("local_inclusion_plan", 1)
    assert (plan.period_start, plan.period_end) == (date(2026, 4, 1), date(2029, 3, 31))
    assert plan.stage == "published"
    assert plan.local_offer_url == "https://www.northmoor.example/local-offer/inclusion-plan"
    assert qa.as_of == TODAY


def test_the_qa_pack_shows_the_stage_history_from_draft_to_published(qa: QAPack) -> None:
    assert [s.stage for s in qa.stages] == [
        "draft",
        "consultation",
        "revision",
        "submitted_for_qa",
        "changes_requested",
        "revision",
        "submitted_for_qa",
        "approved",
        "published",
    ]
    approved = qa.stages[7]
    assert (approved.by.name, approved.by.member) == ("Priya Shah", True)
    assert (qa.stages[4].by.name, qa.stages[4].by.member) == ("u-dfe-reviewer", False)


def test_the_qa_pack_lists_each_submitted_version_with_its_hash_and_time(
    qa: QAPack, northmoor: Views
) -> None:
    hashes = northmoor.plan(IDS.plan).submitted_versions

    assert [(s.version, s.content_hash) for s in qa.submissions] == sorted(hashes.items())
    assert [s.submitted_at for s in qa.submissions] == [
        datetime(2026, 2, 2, 10, tzinfo=UTC),
        datetime(2026, 3, 16, 10, tzinfo=UTC),
    ]


def test_the_qa_pack_gives_each_revision_its_rationale_and_citations(qa: QAPack) -> None:
    health = [r for r in qa.revisions if r.section == "health_commissioning"]

    assert [r.revision for r in health] == [1, 2, 3]
    assert health[1].section_title == "Health commissioning"
    assert health[1].rationale == "Decision D-24-07, shaped by contribution C-118."
    assert [d.reference for d in health[1].cited_decisions] == ["D-24-07"]
    assert [x.reference for x in health[1].cited_contributions] == ["C-118", "C-112"]
    assert health[2].rationale == "DfE QA feedback asked how capacity and waits will be measured."
    current = next(s for s in qa.sections if s.key == "health_commissioning")
    assert current.revision == 3
    assert current.text == health[2].text


def test_the_qa_pack_records_the_consultation_and_the_qa_feedback(qa: QAPack) -> None:
    (consultation,) = qa.consultations

    assert consultation.responses_received == 412
    assert consultation.channels == ["survey", "listening_event", "forum"]
    assert consultation.accessible_formats == ["easy read", "Polish", "Urdu", "BSL video"]
    assert consultation.contributions_recorded == 2
    assert [(f.outcome, f.findings) for f in qa.qa_feedback] == [
        ("changes_requested", ["Say how SaLT capacity and waiting times will be measured."]),
        ("approved", []),
    ]


def test_the_qa_pack_cites_d_24_07_with_its_quorum_and_coproduction(qa: QAPack) -> None:
    (decision,) = qa.decisions

    assert decision.reference == "D-24-07"
    assert decision.outcome == "approved"
    assert (decision.quorum_required, decision.quorum_met) == (5, True)
    assert decision.members_present == 8
    assert decision.forum_present is True
    assert decision.coproduced is True
    assert [(x.section, x.revision) for x in decision.citations] == [
        ("health_commissioning", 2),
        ("health_commissioning", 3),
    ]


def test_the_qa_pack_carries_the_plan_measures_and_its_reg_56_entries(qa: QAPack) -> None:
    assert qa.measures.plan_id == IDS.plan
    assert qa.measures.decisions.forum_present.share == 1.0
    assert qa.measures.response_times.median_days == 80.5
    assert [e.reference for e in qa.you_said_we_did.entries] == ["C-112", "C-118"]
    assert [d.reference for d in qa.linked_decisions] == ["D-24-07"]


def test_the_qa_pack_lists_the_actions_arising_from_the_decisions_it_cites(qa: QAPack) -> None:
    (action,) = qa.actions.entries

    assert (action.reference, action.decision_reference) == ("A-31", "D-24-07")
    assert action.overdue is True
    assert "## Actions arising" in render_markdown(qa)


def test_a_pack_reflects_the_newest_document_it_draws_on(
    qa: QAPack, inspection: InspectionPack, northmoor: Views
) -> None:
    newest = max(
        d.position
        for model in ("partnership", "plan", "decision", "contribution", "action", "meeting")
        for d in northmoor.store.scan(model, IDS.partnership)
    )

    assert qa.position == inspection.position == newest


def test_packs_print_as_json_and_read_back_unchanged(
    qa: QAPack, inspection: InspectionPack
) -> None:
    assert msgspec.json.decode(msgspec.json.encode(qa), type=QAPack) == qa
    assert msgspec.json.decode(msgspec.json.encode(inspection), type=InspectionPack) == inspection
    assert msgspec.to_builtins(qa)["type"] == "qa_pack"


# The inspection pack


def test_the_inspection_pack_shows_who_proposed_d_24_07_and_the_contributions_that_shaped_it(
    inspection: InspectionPack,
) -> None:
    (decision,) = inspection.decisions

    assert decision.reference == "D-24-07"
    assert (decision.proposal.proposer.name, decision.proposal.proposer.role) == (
        "Priya Shah",
        "Director of Children's Services",
    )
    assert [
        (x.contribution.reference, x.influence, x.contribution.response)
        for x in decision.contributions
    ] == [
        ("C-112", "informed", "adopted"),
        ("C-118", "amended", "partly_adopted"),
    ]
    c118 = decision.contributions[1].contribution
    assert c118.response_rationale == "FE added now; sixth forms from 2026."
    assert c118.summary.startswith("A parent asked")
    assert c118.contributor_kind == "parent_carer"
    (amendment,) = decision.amendments
    assert [x.reference for x in amendment.caused_by] == ["C-118"]
    assert "further education colleges" in decision.text
    assert "further education" not in decision.proposal.text


def test_the_inspection_pack_tells_the_account_decision_show_gives(
    northmoor: Views, inspection: InspectionPack
) -> None:
    assert inspection.decisions == [northmoor.read_models.decision(IDS.decision)]


def test_the_inspection_pack_shows_who_was_present_and_how_they_voted(
    inspection: InspectionPack,
) -> None:
    taken = inspection.decisions[0].taken
    assert taken is not None

    assert len(taken.meeting.present) == 8
    assert [p.name for p in taken.meeting.apologies] == ["Mark Doyle", "Jo Evans"]
    assert taken.meeting.title == "Partnership board, 14 January 2026"
    assert (taken.tally.for_, taken.tally.against, taken.tally.abstain) == (6, 0, 1)
    assert [p.name for p in taken.excluded_votes] == ["Dr Tom Okafor"]
    assert taken.absent_votes == []
    assert [(d.member.name, d.stance) for d in taken.dissent] == [("Owen Price", "abstain")]
    assert taken.recorded.why.startswith("Long waits for SaLT")
    assert (taken.forum_present, taken.coproduced, taken.quorum_met) == (True, True, True)
    votes = {v.member.name: v for v in inspection.decisions[0].votes}
    assert votes["Dr Tom Okafor"].counted is False
    assert votes["Dr Tom Okafor"].not_counted is NotCounted.DECLARED_INTEREST
    assert votes["Helen Marsh"].counted is True
    interests = {i.member.name: i.has_interest for i in inspection.decisions[0].interests}
    assert interests == {"Aisha Begum": False, "Dr Tom Okafor": True}


def test_the_inspection_pack_follows_d_24_07_to_its_action_and_progress(
    inspection: InspectionPack,
) -> None:
    (action,) = inspection.decisions[0].actions
    (tracked,) = inspection.actions.entries

    assert action.reference == tracked.reference == "A-31"
    assert action.percent_complete == 50
    assert tracked.overdue is True
    assert [p.note for p in tracked.progress] == ["3 of 6 SaLT assistants recruited."]
    assert (inspection.actions.total, inspection.actions.overdue) == (1, 1)
    assert inspection.measures.decisions.with_parent_input.share == 1.0


def test_the_inspection_pack_names_votes_not_counted_because_the_member_was_absent(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    decision_id = a_proposed_decision(app, partnership_id)
    cast_votes(app, decision_id, dict.fromkeys(VOTING_MEMBERS, Stance.FOR))
    meeting_id = a_meeting(app, partnership_id, (CHAIR, FORUM, HEALTH), apologies=(SCHOOLS,))
    app.handle(take(decision_id, meeting_id))
    app.handle(revise(plan_id, decision_id))

    pack = Views(app, partnership_id).inspection(plan_id, today=NOW.date())
    taken = pack.decisions[0].taken

    assert taken is not None
    assert sorted(p.id for p in taken.absent_votes) == sorted(
        m for m in VOTING_MEMBERS if m not in (CHAIR, FORUM, HEALTH)
    )
    assert [p.id for p in taken.meeting.apologies] == [SCHOOLS]
    schools_vote = next(v for v in pack.decisions[0].votes if v.member.id == SCHOOLS)
    assert schools_vote.not_counted is NotCounted.ABSENT


def test_a_deferred_decision_cited_by_a_plan_is_shown_as_not_taken(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    decision_id = a_proposed_decision(app, partnership_id)
    contribution_id = a_triaged_contribution(app, partnership_id, plan_id=plan_id)
    app.handle(link(decision_id, contribution_id))
    app.handle(
        commands.DeferDecision(actor=SECRETARIAT, decision_id=decision_id, reason="Await costs.")
    )
    app.handle(revise(plan_id, decision_id))
    read_store = Views(app, partnership_id)

    inspection = read_store.inspection(plan_id, today=NOW.date())
    qa = read_store.qa(plan_id, today=NOW.date())
    markdown = render_markdown(inspection)

    assert inspection.decisions[0].taken is None
    assert [d.deferred.why for d in inspection.decisions[0].deferrals] == ["Await costs."]
    assert inspection.decisions[0].contributions[0].contribution.response is None
    assert qa.decisions[0].status == "deferred"
    assert qa.decisions[0].outcome is None
    assert "Not taken." in markdown
    assert "awaiting response" in markdown


def test_a_pack_for_a_plan_citing_no_decisions_says_so(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    read_store = Views(app, partnership_id)

    inspection = read_store.inspection(plan_id, today=NOW.date())
    qa = read_store.qa(plan_id, today=NOW.date())

    assert inspection.decisions == []
    assert inspection.actions.entries == []
    assert qa.submissions == []
    assert qa.measures.decisions.forum_present.share is None
    assert "The plan cites no decisions." in render_markdown(inspection)
    assert "Not yet submitted." in render_markdown(qa)


def test_a_pack_refuses_a_plan_of_another_partnership(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    other = a_ready_partnership(app)
    plan_id = a_drafted_plan(app, other)
    plan = Views(app, other).plan(plan_id)
    ours = Views(app, partnership_id).partnership

    with pytest.raises(ValueError, match="does not belong"):
        qa_pack(plan, ours, [], [], [], [], today=NOW.date())


# Markdown


def test_the_qa_pack_markdown_names_d_24_07_and_never_the_contributor(qa: QAPack) -> None:
    markdown = render_markdown(qa)

    assert markdown.startswith(
        "# DfE quality assurance pack: Northmoor Local Inclusion Plan 2026-2029\n"
    )
    assert "D-24-07" in markdown
    assert "## Revision history" in markdown
    assert "## You said, we did (reg 56)" in markdown
    assert "| 2 | 2026-03-16 10:00 UTC |" in markdown
    assert "Median days from contribution to response: 80.5" in markdown
    assert "| Parent carer forum present | 1 of 1 (100%) |" in markdown
    assert "Rebecca Hall" not in markdown
    assert "My son is 17" not in markdown


def test_the_inspection_pack_markdown_shows_who_shaped_d_24_07_and_never_the_contributor(
    inspection: InspectionPack,
) -> None:
    markdown = render_markdown(inspection)

    assert "### D-24-07: Early-language SaLT assistants" in markdown
    assert "| Proposed by | Priya Shah (Director of Children's Services) |" in markdown
    assert "| Tally | 6 for, 0 against, 1 abstain, 0 block |" in markdown
    assert "| Votes excluded (interest) | Dr Tom Okafor (ICB SEND lead) |" in markdown
    assert (
        "| Mark Doyle (AP head) | Northmoor Pupil Referral Unit | alternative provision "
        "| apologies |" in markdown
    )
    assert "overdue by 62 days" in markdown
    assert "## Action tracker" in markdown
    assert "Rebecca Hall" not in markdown
    assert CONTRIBUTOR_NAME not in markdown


def test_markdown_escapes_pipes_in_table_cells(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    app.handle(revise(plan_id, rationale="Option A | Option B\nchosen"))

    markdown = render_markdown(Views(app, partnership_id).qa(plan_id, today=NOW.date()))
    rows = [line for line in markdown.splitlines() if "Option A" in line]

    assert len(rows) == 1
    assert "| Option A \\| Option B chosen |" in rows[0]
    assert "Option A | Option B" not in markdown


def test_a_table_cell_keeps_its_text_on_one_line_with_pipes_escaped() -> None:
    assert cell("a | b\nc") == "a \\| b c"
    assert cell("back\\slash") == "back\\\\slash"
    assert cell(None) == ""
    assert cell(3) == "3"
