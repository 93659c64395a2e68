"""Plan templates: versioned configuration for a plan's sections and stage machine.

Policy changes by publishing a new template version, not by changing code; a
plan keeps the template it was drafted from for its whole life. Commands name a
template by `TemplateRef`; the service resolves it against the registered ones.
"""

from __future__ import annotations

from collections import deque

import msgspec

from domain.errors import InvalidTemplate, StageTransitionNotAllowed, UnknownSection


class StageTransition(msgspec.Struct, frozen=True):
    action: str
    source: str
    target: str


class SectionTemplate(msgspec.Struct, frozen=True):
    key: str
    title: str


class TemplateRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A registered template, by name and version."""

    name: str
    version: int


# Actions after which the plan is no longer the version DfE approved.
_CHANGES = frozenset({"revise", "submit_for_qa", "request_changes"})


class PlanTemplate(msgspec.Struct, frozen=True):
    """Stages, the actions that move between them, and which stages take edits.

    A section revised in a stage that is not editable follows that stage's
    `revise` transition when the template has one; otherwise the plan is frozen.
    """

    name: str
    version: int
    initial_stage: str
    editable_stages: tuple[str, ...]
    transitions: tuple[StageTransition, ...]
    sections: tuple[SectionTemplate, ...]

    def validate(self) -> None:
        stages = {self.initial_stage}
        stages.update(t.source for t in self.transitions)
        stages.update(t.target for t in self.transitions)
        seen: set[tuple[str, str]] = set()
        for t in self.transitions:
            if (t.source, t.action) in seen:
                raise InvalidTemplate(
                    f"Template {self.name} v{self.version} has two '{t.action}' transitions "
                    f"from {t.source}."
                )
            seen.add((t.source, t.action))
        unknown = [s for s in self.editable_stages if s not in stages]
        if unknown:
            raise InvalidTemplate(f"Editable stage {unknown[0]} is not a stage of {self.name}.")
        if self.initial_stage not in self.editable_stages:
            raise InvalidTemplate(f"The initial stage of {self.name} must take edits.")
        keys = [s.key for s in self.sections]
        if not keys or len(keys) != len(set(keys)):
            raise InvalidTemplate(f"Template {self.name} needs sections with distinct keys.")
        self._check_publication_follows_approval()

    @property
    def ref(self) -> TemplateRef:
        return TemplateRef(name=self.name, version=self.version)

    def _check_publication_follows_approval(self) -> None:
        way = _way_to_publish_unapproved(self)
        if way is not None:
            raise InvalidTemplate(
                f"Template {self.name} v{self.version} lets a plan be published without DfE "
                f"approval of the version published ({self.initial_stage}, {', '.join(way)}): "
                "publishing must follow an approve after the plan's last change."
            )

    def next_stage(self, stage: str, action: str) -> str:
        for t in self.transitions:
            if t.source == stage and t.action == action:
                return t.target
        allowed = sorted(t.action for t in self.transitions if t.source == stage)
        raise StageTransitionNotAllowed(
            f"A plan in stage {stage} cannot {action.replace('_', ' ')} under template "
            f"{self.name} v{self.version} (allowed: {', '.join(allowed) or 'nothing'})."
        )

    def can(self, stage: str, action: str) -> bool:
        return any(t.source == stage and t.action == action for t in self.transitions)

    def section(self, key: str) -> SectionTemplate:
        for s in self.sections:
            if s.key == key:
                return s
        raise UnknownSection(f"Section {key} is not in template {self.name} v{self.version}.")


_State = tuple[str, bool]  # a stage, and whether the plan is approved since it last changed


def _way_to_publish_unapproved(template: PlanTemplate) -> list[str] | None:
    """The steps of a shortest way from the initial stage to `publish` that does not
    pass `approve` (which needs DfE's approving QA feedback) after the plan's last
    change, or None when there is no such way. Edits in a stage that takes them are
    a change that keeps the stage."""
    start: _State = (template.initial_stage, False)
    came_from: dict[_State, tuple[_State, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        stage, approved = state
        moves = [(t.action, t.target) for t in template.transitions if t.source == stage]
        if approved and stage in template.editable_stages:
            moves.append(("edit", stage))
        for action, target in moves:
            step = f"a section edited in {stage}" if action == "edit" else f"{action} to {target}"
            if action == "publish" and not approved:
                return [*_steps_to(came_from, state), step]
            still_approved = approved and action not in _CHANGES and action != "edit"
            after = (target, action == "approve" or still_approved)
            if after not in came_from:
                came_from[after] = (state, step)
                queue.append(after)
    return None


def _steps_to(came_from: dict[_State, tuple[_State, str] | None], state: _State) -> list[str]:
    steps: list[str] = []
    link = came_from[state]
    while link is not None:
        state, step = link
        steps.append(step)
        link = came_from[state]
    return steps[::-1]
