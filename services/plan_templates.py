"""Plan templates in force. Policy changes add a version here; plans keep theirs."""

from __future__ import annotations

from domain.errors import NotFound
from domain.plan_template import PlanTemplate, SectionTemplate, StageTransition


def _t(action: str, source: str, target: str) -> StageTransition:
    return StageTransition(action=action, source=source, target=target)


LOCAL_INCLUSION_PLAN_V1 = PlanTemplate(
    name="local_inclusion_plan",
    version=1,
    initial_stage="draft",
    editable_stages=("draft", "revision"),
    transitions=(
        _t("open_consultation", "draft", "consultation"),
        _t("close_consultation", "consultation", "revision"),
        _t("submit_for_qa", "revision", "submitted_for_qa"),
        _t("request_changes", "submitted_for_qa", "changes_requested"),
        _t("revise", "changes_requested", "revision"),
        _t("approve", "submitted_for_qa", "approved"),
        _t("publish", "approved", "published"),
        _t("revise", "published", "revision"),
        _t("supersede", "published", "superseded"),
    ),
    sections=(
        SectionTemplate(key="vision", title="Vision and priorities"),
        SectionTemplate(key="health_commissioning", title="Health commissioning"),
        SectionTemplate(key="ordinarily_available", title="Ordinarily available provision"),
        SectionTemplate(key="specialist_and_ap_places", title="Specialist and AP places"),
        SectionTemplate(key="workforce", title="Workforce"),
        SectionTemplate(key="preparing_for_adulthood", title="Preparing for adulthood"),
    ),
)

TEMPLATES: dict[tuple[str, int], PlanTemplate] = {
    (LOCAL_INCLUSION_PLAN_V1.name, LOCAL_INCLUSION_PLAN_V1.version): LOCAL_INCLUSION_PLAN_V1,
}


def template(name: str, version: int) -> PlanTemplate:
    try:
        return TEMPLATES[(name, version)]
    except KeyError:
        raise NotFound(f"No plan template {name} v{version}.") from None
