"""Plan templates are configuration: commands name a registered one, and no
template is registered whose stages let a plan be published without DfE approval
of the version published."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidTemplate, PublicationNotApproved, UnknownTemplate
from domain.plan import InclusionPlan, PlanDrafted, SectionText
from domain.plan_template import PlanTemplate, SectionTemplate, StageTransition, TemplateRef
from domain.values import Channel
from services.ledger.command_json import InvalidCommand, decode_command
from services.ledger.plan_templates import LOCAL_INCLUSION_PLAN_V1, REGISTERED, PlanTemplates
from tests.unit.builders import (
    NOW,
    SECRETARIAT,
    a_plan,
    a_ready_partnership,
    a_workforce_template,
    an_app,
    assert_refused,
)


def _t(action: str, source: str, target: str) -> StageTransition:
    return StageTransition(action=action, source=source, target=target)


def with_transitions(*transitions: StageTransition) -> PlanTemplate:
    return msgspec.structs.replace(
        LOCAL_INCLUSION_PLAN_V1, transitions=LOCAL_INCLUSION_PLAN_V1.transitions + transitions
    )


# Commands name a registered template


def test_a_plan_is_drafted_from_the_registered_template_it_names() -> None:
    app = an_app(templates=REGISTERED)

    plan_id = app.handle(a_plan(a_ready_partnership(app)))

    drafted = app.aggregate_events(plan_id)[0]
    assert isinstance(drafted, PlanDrafted)
    assert drafted.template == LOCAL_INCLUSION_PLAN_V1


@pytest.mark.parametrize(
    "ref",
    [TemplateRef(name="local_inclusion_plan", version=2), TemplateRef(name="my_plan", version=1)],
    ids=["unknown-version", "unknown-name"],
)
def test_a_template_that_is_not_registered_is_refused_naming_those_that_are(
    ref: TemplateRef,
) -> None:
    app = an_app(templates=REGISTERED)
    command = msgspec.structs.replace(a_plan(a_ready_partnership(app)), template=ref)

    assert_refused(
        app,
        command,
        UnknownTemplate,
        match=(
            rf"No plan template {ref.name} v{ref.version} is registered \(registered: "
            r"local_inclusion_plan v1\)"
        ),
    )


def test_a_command_carrying_a_whole_template_is_refused() -> None:
    own = msgspec.structs.replace(
        LOCAL_INCLUSION_PLAN_V1, transitions=(_t("publish", "draft", "published"),)
    )
    payload = msgspec.json.encode(
        {
            "type": "DraftPlan",
            "actor": SECRETARIAT,
            "partnership_id": UUID(int=1),
            "title": "A plan of my own",
            "template": own,
            "period_start": date(2030, 9, 1),
            "period_end": date(2033, 8, 31),
        }
    )

    with pytest.raises(InvalidCommand, match=r"`template` of DraftPlan has no field `initial_"):
        decode_command(payload, max_bytes=1_000_000)


def test_a_template_is_registered_once() -> None:
    with pytest.raises(InvalidTemplate, match="workforce_plan v3 is registered twice"):
        PlanTemplates(a_workforce_template(), a_workforce_template())


def test_the_registered_templates_are_consistent() -> None:
    assert list(REGISTERED) == [LOCAL_INCLUSION_PLAN_V1]
    for template in REGISTERED:
        template.validate()


# Publication follows DfE approval


@pytest.mark.parametrize(
    ("template", "way"),
    [
        (
            with_transitions(_t("publish", "revision", "published")),
            "draft, open_consultation to consultation, close_consultation to revision, "
            "publish to published",
        ),
        (
            with_transitions(_t("publish", "submitted_for_qa", "published")),
            "submit_for_qa to submitted_for_qa, publish to published",
        ),
        (
            msgspec.structs.replace(
                LOCAL_INCLUSION_PLAN_V1, editable_stages=("draft", "revision", "approved")
            ),
            "approve to approved, a section edited in approved, publish to published",
        ),
        (
            msgspec.structs.replace(
                LOCAL_INCLUSION_PLAN_V1,
                transitions=tuple(
                    _t("revise", "published", "approved")
                    if (t.action, t.source) == ("revise", "published")
                    else t
                    for t in LOCAL_INCLUSION_PLAN_V1.transitions
                ),
            ),
            "publish to published, revise to approved, publish to published",
        ),
        (
            with_transitions(
                _t("request_changes", "approved", "returned"),
                _t("publish", "returned", "published"),
            ),
            "approve to approved, request_changes to returned, publish to published",
        ),
    ],
    ids=[
        "publish-from-revision",
        "publish-without-approve",
        "edit-after-approval",
        "revise-into-approved",
        "changes-requested-after-approval",
    ],
)
def test_a_template_that_lets_a_plan_be_published_without_dfe_approval_is_invalid(
    template: PlanTemplate, way: str
) -> None:
    with pytest.raises(InvalidTemplate) as refused:
        template.validate()

    message = str(refused.value)
    assert message.startswith(
        "Template local_inclusion_plan v1 lets a plan be published without DfE approval of the "
        "version published (draft, "
    )
    assert f"{way}): publishing must follow an approve after the plan's last change." in message
    with pytest.raises(InvalidTemplate):
        REGISTERED.including(msgspec.structs.replace(template, version=9))


def test_a_template_with_no_publication_needs_no_approval_path() -> None:
    PlanTemplate(
        name="pathfinder_plan",
        version=1,
        initial_stage="working_draft",
        editable_stages=("working_draft",),
        transitions=(_t("submit_for_qa", "working_draft", "with_dfe"),),
        sections=(SectionTemplate(key="scope", title="Scope"),),
    ).validate()


def test_a_plan_drafted_from_an_older_template_is_not_published_unapproved() -> None:
    """Stored plans keep the template they were drafted from, and before templates
    were registered one could publish from `revision`; the plan itself refuses."""
    old = with_transitions(_t("publish", "revision", "published"))
    plan = InclusionPlan._create(
        PlanDrafted,
        id=UUID(int=5),
        partnership_id=UUID(int=1),
        title="Eastvale plan",
        template=old,
        period_start=date(2030, 9, 1),
        period_end=date(2033, 8, 31),
        sections=tuple(SectionText(key=s.key, text="") for s in old.sections),
        actor=SECRETARIAT,
        timestamp=NOW,
    )
    plan.open_consultation(
        opens_on=date(2030, 6, 10),
        closes_on=date(2030, 7, 31),
        channels=(Channel.SURVEY,),
        accessible_formats=(),
        actor=SECRETARIAT,
        at=NOW,
    )
    plan.close_consultation(responses_received=3, summary="", actor=SECRETARIAT, at=NOW)
    assert plan.stage == "revision"

    with pytest.raises(PublicationNotApproved, match="has changed since it was last approved"):
        plan.publish(local_offer_url="https://example.org/plan", actor=SECRETARIAT, at=NOW)


# The search agrees with walking every way through small templates

STAGES = ("s0", "s1", "s2")
ACTIONS = ("open_consultation", "submit_for_qa", "request_changes", "revise", "approve", "publish")
CHANGES = {"revise", "submit_for_qa", "request_changes"}


@st.composite
def templates(draw: st.DrawFn) -> PlanTemplate:
    moves = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(STAGES), st.sampled_from(ACTIONS)),
            st.sampled_from(STAGES),
            max_size=8,
        )
    )
    stages = {"s0"} | {s for s, _ in moves} | set(moves.values())
    editable = draw(st.sets(st.sampled_from(sorted(stages))))
    return PlanTemplate(
        name="random",
        version=1,
        initial_stage="s0",
        editable_stages=("s0", *sorted(editable - {"s0"})),
        transitions=tuple(_t(a, s, t) for (s, a), t in moves.items()),
        sections=(SectionTemplate(key="k", title="K"),),
    )


def walks(template: PlanTemplate, length: int) -> Iterator[list[str]]:
    """Every sequence of steps (actions, or "edit") of up to `length` from the start."""

    def go(stage: str, steps: list[str]) -> Iterator[list[str]]:
        yield steps
        if len(steps) == length:
            return
        if stage in template.editable_stages:
            yield from go(stage, [*steps, "edit"])
        for t in template.transitions:
            if t.source == stage:
                yield from go(t.target, [*steps, t.action])

    yield from go(template.initial_stage, [])


def publishes_unapproved(steps: list[str]) -> bool:
    approved = False
    for step in steps:
        if step == "publish" and not approved:
            return True
        if step == "approve":
            approved = True
        elif step in CHANGES or step == "edit":
            approved = False
    return False


@given(templates())
def test_a_template_is_refused_exactly_when_some_way_publishes_an_unapproved_version(
    template: PlanTemplate,
) -> None:
    # Any shortest way visits each (stage, approved) pair at most once.
    unapproved = any(publishes_unapproved(w) for w in walks(template, 2 * len(STAGES) + 1))
    if unapproved:
        with pytest.raises(InvalidTemplate, match="published without DfE approval"):
            template.validate()
    else:
        template.validate()
