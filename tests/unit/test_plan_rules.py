"""Plan rules: the template's state machine (whatever its stage names), revisions
with a rationale, frozen submitted versions, and what must hold before a plan
is submitted, approved and published."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import msgspec
import pytest

from domain.errors import (
    ConsultationOpen,
    ContributionsAwaitingTriage,
    InvalidTemplate,
    InvalidValue,
    NotFound,
    PlanFrozen,
    QAApprovalMissing,
    RationaleRequired,
    StageTransitionNotAllowed,
    UnknownSection,
)
from domain.plan import (
    InclusionPlan,
    PlanDrafted,
    PlanSubmittedForQA,
    SectionRevised,
    content_hash,
)
from domain.plan_template import PlanTemplate, SectionTemplate, StageTransition
from services.ledger import commands
from services.ledger.application import LedgerApplication
from services.ledger.plan_templates import REGISTERED
from tests.unit.builders import (
    DEFAULT_TEMPLATE,
    SECRETARIAT,
    a_contribution,
    a_drafted_plan,
    a_plan,
    a_plan_after_consultation,
    a_published_plan,
    a_ready_partnership,
    a_revision,
    a_submitted_plan,
    a_workforce_template,
    an_app,
    approve,
    assert_refused,
    close_consultation,
    events_of,
    open_consultation,
    publish,
    qa_approves,
    qa_requests_changes,
    route_to_case,
    submit,
    triage,
)


@pytest.fixture
def app() -> LedgerApplication:
    return an_app()


@pytest.fixture
def partnership_id(app: LedgerApplication) -> UUID:
    return a_ready_partnership(app)


def stage_of(app: LedgerApplication, plan_id: UUID) -> str:
    return app.load(InclusionPlan, plan_id).stage


# The state machine comes from the template


def test_a_plan_follows_the_default_templates_stages_from_draft_to_superseded(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    seen = [stage_of(app, plan_id)]
    for command in (
        open_consultation(plan_id),
        close_consultation(plan_id),
        submit(plan_id),
        qa_requests_changes(plan_id, "Say how waits will be measured."),
        a_revision(plan_id),
        submit(plan_id),
        qa_approves(plan_id),
        approve(plan_id),
        publish(plan_id),
        commands.SupersedePlan(
            actor=SECRETARIAT, plan_id=plan_id, reason="The 2033 plan replaces it."
        ),
    ):
        app.handle(command)
        seen.append(stage_of(app, plan_id))

    assert seen == [
        "draft",
        "consultation",
        "revision",
        "submitted_for_qa",
        "changes_requested",
        "revision",
        "submitted_for_qa",
        "submitted_for_qa",
        "approved",
        "published",
        "superseded",
    ]


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (publish, "publish"),
        (approve, "approve"),
        (close_consultation, "close consultation"),
        (qa_approves, "approve"),
    ],
)
def test_stage_transitions_follow_the_template(
    app: LedgerApplication,
    partnership_id: UUID,
    command: Callable[[UUID], commands.AnyCommand],
    action: str,
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)

    assert_refused(
        app,
        command(plan_id),
        StageTransitionNotAllowed,
        match=(
            f"A plan in stage draft cannot {action} under template local_inclusion_plan v1 "
            r"\(allowed: open_consultation\)"
        ),
        unchanged=plan_id,
    )


def test_a_published_plan_cannot_go_back_to_consultation(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_published_plan(app, partnership_id)

    assert_refused(
        app,
        open_consultation(plan_id),
        StageTransitionNotAllowed,
        match=r"stage published cannot open consultation .* \(allowed: revise, supersede\)",
        unchanged=plan_id,
    )


def test_a_custom_template_with_its_own_stage_names_drives_the_plan(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    template = a_workforce_template()
    plan_id = a_drafted_plan(app, partnership_id, template=template)
    seen = [stage_of(app, plan_id)]
    for command in (
        open_consultation(plan_id),
        close_consultation(plan_id),
        a_revision(plan_id, "training"),
        submit(plan_id),
        qa_requests_changes(plan_id, "Cost the training offer."),
        a_revision(plan_id, "training"),
        submit(plan_id),
        qa_approves(plan_id),
        approve(plan_id),
        publish(plan_id),
        a_revision(plan_id, "priorities"),
    ):
        app.handle(command)
        seen.append(stage_of(app, plan_id))

    assert seen == [
        "outline",
        "engagement",
        "redrafting",
        "redrafting",
        "board_review",
        "returned",
        "redrafting",
        "board_review",
        "board_review",
        "endorsed",
        "live",
        "redrafting",
    ]
    drafted = events_of(app, plan_id)[0]
    assert isinstance(drafted, PlanDrafted)
    assert drafted.template == template


def test_a_custom_template_refuses_moves_it_does_not_define(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id, template=a_workforce_template())

    assert_refused(
        app,
        submit(plan_id),
        StageTransitionNotAllowed,
        match=(
            r"stage outline cannot submit for qa under template workforce_plan v3 "
            r"\(allowed: open_consultation\)"
        ),
        unchanged=plan_id,
    )


def test_a_template_without_consultation_lets_a_plan_go_straight_to_review() -> None:
    template = PlanTemplate(
        name="pathfinder_plan",
        version=1,
        initial_stage="working_draft",
        editable_stages=("working_draft",),
        transitions=(
            StageTransition(action="submit_for_qa", source="working_draft", target="with_dfe"),
            StageTransition(action="approve", source="with_dfe", target="signed_off"),
        ),
        sections=(SectionTemplate(key="scope", title="Scope"),),
    )
    app = an_app(templates=REGISTERED.including(template))
    plan_id = a_drafted_plan(app, a_ready_partnership(app), template=template)

    app.handle(submit(plan_id))
    app.handle(qa_approves(plan_id))
    app.handle(approve(plan_id))

    assert stage_of(app, plan_id) == "signed_off"
    assert_refused(
        app,
        publish(plan_id),
        StageTransitionNotAllowed,
        match=r"stage signed_off cannot publish under template pathfinder_plan v1 "
        r"\(allowed: nothing\)",
        unchanged=plan_id,
    )


def _template(**changes: object) -> PlanTemplate:
    return msgspec.structs.replace(a_workforce_template(), **changes)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (
            _template(
                transitions=(
                    StageTransition(action="submit_for_qa", source="outline", target="review"),
                    StageTransition(action="submit_for_qa", source="outline", target="elsewhere"),
                )
            ),
            "has two 'submit_for_qa' transitions from outline",
        ),
        (
            _template(editable_stages=("outline", "nowhere")),
            "Editable stage nowhere is not a stage of workforce_plan",
        ),
        (
            _template(editable_stages=("redrafting",)),
            "The initial stage of workforce_plan must take edits",
        ),
        (_template(sections=()), "needs sections with distinct keys"),
        (
            _template(
                sections=(
                    SectionTemplate(key="training", title="Training"),
                    SectionTemplate(key="training", title="Training again"),
                )
            ),
            "needs sections with distinct keys",
        ),
    ],
)
def test_an_inconsistent_template_cannot_be_registered(template: PlanTemplate, reason: str) -> None:
    with pytest.raises(InvalidTemplate, match=reason):
        template.validate()
    with pytest.raises(InvalidTemplate, match=reason):
        REGISTERED.including(template)


def test_the_default_and_custom_templates_are_consistent() -> None:
    DEFAULT_TEMPLATE.validate()
    a_workforce_template().validate()


def test_a_plan_is_drafted_only_with_sections_of_its_template(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    assert_refused(
        app,
        a_plan(partnership_id, template=a_workforce_template(), sections={"vision": "Text."}),
        UnknownSection,
        match="Section vision is not in template workforce_plan v3",
    )


def test_a_drafted_plan_has_every_section_of_its_template(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)

    sections = app.load(InclusionPlan, plan_id).sections
    assert list(sections) != []
    assert set(sections) == {s.key for s in DEFAULT_TEMPLATE.sections}
    assert {s.revision for s in sections.values()} == {1}


# Revisions and frozen versions


def test_a_revision_needs_a_rationale(app: LedgerApplication, partnership_id: UUID) -> None:
    plan_id = a_drafted_plan(app, partnership_id)

    assert_refused(
        app,
        a_revision(plan_id, rationale="   "),
        RationaleRequired,
        match="A revision needs a rationale",
        unchanged=plan_id,
    )


def test_a_revision_cites_only_decisions_on_record(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    unknown = UUID(int=7)

    assert_refused(
        app,
        msgspec.structs.replace(a_revision(plan_id), cited_decisions=(unknown,)),
        NotFound,
        match=f"No decision with id {unknown}",
        unchanged=plan_id,
    )


def test_a_revision_numbers_the_sections_next_version(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)

    app.handle(a_revision(plan_id))
    app.handle(a_revision(plan_id, rationale="Second thoughts."))

    revised = [e for e in events_of(app, plan_id) if isinstance(e, SectionRevised)]
    assert [(e.section, e.revision) for e in revised] == [
        ("health_commissioning", 2),
        ("health_commissioning", 3),
    ]


def test_a_plan_submitted_for_qa_is_frozen(app: LedgerApplication, partnership_id: UUID) -> None:
    plan_id = a_submitted_plan(app, partnership_id)

    assert_refused(
        app,
        a_revision(plan_id),
        PlanFrozen,
        match="is submitted_for_qa: that version is frozen",
        unchanged=plan_id,
    )


def test_an_approved_plan_is_frozen(app: LedgerApplication, partnership_id: UUID) -> None:
    plan_id = a_submitted_plan(app, partnership_id)
    app.handle(qa_approves(plan_id))
    app.handle(approve(plan_id))

    assert_refused(
        app,
        a_revision(plan_id),
        PlanFrozen,
        match="is approved: that version is frozen",
        unchanged=plan_id,
    )


def test_an_edit_of_a_published_plan_starts_a_new_revision_stage(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_published_plan(app, partnership_id)
    published = app.load(InclusionPlan, plan_id)
    published_hash = content_hash(published.sections)
    published_revision = published.sections["health_commissioning"].revision

    app.handle(a_revision(plan_id, rationale="Annual refresh."))

    plan = app.load(InclusionPlan, plan_id)
    assert plan.stage == "revision"
    assert plan.sections["health_commissioning"].revision == published_revision + 1
    assert plan.submitted_versions == {1: published_hash}
    assert content_hash(plan.sections) != published_hash
    revised = events_of(app, plan_id)[-1]
    assert isinstance(revised, SectionRevised)
    assert revised.stage == "revision"


def test_a_submission_records_the_content_hash_of_the_version_submitted(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_plan_after_consultation(app, partnership_id)
    before = content_hash(app.load(InclusionPlan, plan_id).sections)

    app.handle(submit(plan_id))

    submitted = events_of(app, plan_id)[-1]
    assert isinstance(submitted, PlanSubmittedForQA)
    assert (submitted.version, submitted.content_hash) == (1, before)


# What must hold before submission, approval and publication


@pytest.mark.parametrize(
    "template", [DEFAULT_TEMPLATE, a_workforce_template()], ids=["default", "workforce"]
)
def test_nothing_is_submitted_while_consultation_is_open(
    app: LedgerApplication, partnership_id: UUID, template: PlanTemplate
) -> None:
    plan_id = a_drafted_plan(app, partnership_id, template=template)
    app.handle(open_consultation(plan_id))

    assert_refused(
        app,
        submit(plan_id),
        ConsultationOpen,
        match="cannot be submitted while consultation is open",
        unchanged=plan_id,
    )


def test_nothing_is_submitted_while_a_contribution_on_the_plan_awaits_triage(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    app.handle(open_consultation(plan_id))
    waiting = app.handle(
        a_contribution(partnership_id, plan_id=plan_id, sections=("health_commissioning",))
    )
    app.handle(close_consultation(plan_id))

    assert_refused(
        app,
        submit(plan_id),
        ContributionsAwaitingTriage,
        match=r"1 contribution\(s\) on the plan await triage",
        unchanged=plan_id,
    )
    app.handle(triage(waiting))
    app.handle(submit(plan_id))
    assert stage_of(app, plan_id) == "submitted_for_qa"


def test_a_contribution_routed_to_an_individual_case_does_not_hold_up_submission(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    app.handle(open_consultation(plan_id))
    routed = app.handle(a_contribution(partnership_id, plan_id=plan_id))
    app.handle(close_consultation(plan_id))

    app.handle(route_to_case(routed))
    app.handle(submit(plan_id))

    assert stage_of(app, plan_id) == "submitted_for_qa"


def test_a_contribution_on_a_plan_names_only_sections_of_its_template(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_drafted_plan(app, partnership_id)

    assert_refused(
        app,
        a_contribution(partnership_id, plan_id=plan_id, sections=("no_such_section",)),
        UnknownSection,
        match="Section no_such_section is not in template",
        unchanged=plan_id,
    )


def test_a_plan_is_approved_only_after_approving_qa_feedback(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_submitted_plan(app, partnership_id)

    assert_refused(
        app,
        approve(plan_id),
        QAApprovalMissing,
        match="has no approving QA feedback on this version",
        unchanged=plan_id,
    )
    app.handle(qa_approves(plan_id))
    app.handle(approve(plan_id))
    assert stage_of(app, plan_id) == "approved"


def test_a_plan_with_changes_requested_cannot_be_approved(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_submitted_plan(app, partnership_id)
    app.handle(qa_requests_changes(plan_id, "Measure the waits."))

    assert_refused(
        app,
        approve(plan_id),
        StageTransitionNotAllowed,
        match="stage changes_requested cannot approve",
        unchanged=plan_id,
    )


def test_a_resubmitted_plan_needs_fresh_qa_approval(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_submitted_plan(app, partnership_id)
    app.handle(qa_requests_changes(plan_id, "Measure the waits."))
    app.handle(a_revision(plan_id, rationale="QA asked for measures."))
    app.handle(submit(plan_id))

    assert_refused(
        app,
        approve(plan_id),
        QAApprovalMissing,
        match="no approving QA feedback",
        unchanged=plan_id,
    )
    assert sorted(app.load(InclusionPlan, plan_id).submitted_versions) == [1, 2]


def test_requesting_changes_needs_a_finding(app: LedgerApplication, partnership_id: UUID) -> None:
    plan_id = a_submitted_plan(app, partnership_id)

    assert_refused(
        app,
        qa_requests_changes(plan_id),
        RationaleRequired,
        match="needs at least one finding",
        unchanged=plan_id,
    )


def test_a_plan_is_published_with_a_web_address_for_the_local_offer(
    app: LedgerApplication, partnership_id: UUID
) -> None:
    plan_id = a_submitted_plan(app, partnership_id)
    app.handle(qa_approves(plan_id))
    app.handle(approve(plan_id))

    assert_refused(
        app,
        commands.PublishPlan(
            actor=SECRETARIAT, plan_id=plan_id, local_offer_url="local offer page"
        ),
        InvalidValue,
        match="must be a web address",
        unchanged=plan_id,
    )
    app.handle(publish(plan_id))
    assert app.load(InclusionPlan, plan_id).local_offer_url.startswith("https://")


def test_a_consultation_closes_after_it_opens(app: LedgerApplication, partnership_id: UUID) -> None:
    plan_id = a_drafted_plan(app, partnership_id)
    backwards = msgspec.structs.replace(
        open_consultation(plan_id), closes_on=open_consultation(plan_id).opens_on
    )

    assert_refused(
        app,
        backwards,
        InvalidValue,
        match="must close after it opens",
        unchanged=plan_id,
    )
