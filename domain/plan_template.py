"""Plan templates: versioned configuration for a plan's sections and stage machine.

Policy changes by publishing a new template version, not by changing code; a
plan keeps the template it was drafted from for its whole life.
"""

from __future__ import annotations

import msgspec

from domain.errors import InvalidTemplate, StageTransitionNotAllowed, UnknownSection


class StageTransition(msgspec.Struct, frozen=True):
    action: str
    source: str
    target: str


class SectionTemplate(msgspec.Struct, frozen=True):
    key: str
    title: str


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
