"""Plan templates in force: configuration, not caller input. Policy changes add a
version here; plans keep theirs. Commands name a template by name and version and
the ledger resolves it against `REGISTERED` (a test ledger may register others)."""

from __future__ import annotations

from collections.abc import Iterator

from domain.errors import InvalidTemplate, UnknownTemplate
from domain.plan_template import PlanTemplate, SectionTemplate, StageTransition, TemplateRef


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


class PlanTemplates:
    """Templates by name and version, each validated when registered (so a plan is
    only drafted from one whose publication follows DfE approval)."""

    def __init__(self, *templates: PlanTemplate) -> None:
        self._by_ref: dict[TemplateRef, PlanTemplate] = {}
        for t in templates:
            t.validate()
            if t.ref in self._by_ref:
                raise InvalidTemplate(f"Template {t.name} v{t.version} is registered twice.")
            self._by_ref[t.ref] = t

    def resolve(self, ref: TemplateRef) -> PlanTemplate:
        found = self._by_ref.get(ref)
        if found is None:
            registered = ", ".join(f"{r.name} v{r.version}" for r in self._by_ref) or "none"
            raise UnknownTemplate(
                f"No plan template {ref.name} v{ref.version} is registered (registered: "
                f"{registered})."
            )
        return found

    def including(self, *templates: PlanTemplate) -> PlanTemplates:
        return PlanTemplates(*self._by_ref.values(), *templates)

    def __iter__(self) -> Iterator[PlanTemplate]:
        return iter(self._by_ref.values())


REGISTERED = PlanTemplates(LOCAL_INCLUSION_PLAN_V1)
