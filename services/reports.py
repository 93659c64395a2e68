"""Reports built from the read models: measures, registers, reg 56 and evidence packs.

Each gathers one partnership's documents from the read models and hands them to the
pure report logic in `projections/`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

import msgspec

from domain.errors import NotFound, UnknownSection
from projections import measures, packs, reg56
from projections import register as registers
from projections.documents import (
    ActionDoc,
    AnyDoc,
    ContributionDoc,
    DecisionDoc,
    MeetingDoc,
    PartnershipDoc,
    PlanDoc,
)
from projections.store import ReadModelStore

D = TypeVar("D", bound=AnyDoc)


class SectionDiff(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: UUID
    section: str
    from_revision: int
    to_revision: int
    diff: list[str]


class Reports:
    def __init__(
        self,
        store: ReadModelStore,
        today: Callable[[], date],
        refresh: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.today = today
        self._refresh = refresh or (lambda: None)

    def measures(
        self, partnership_id: UUID, plan_id: UUID | None = None
    ) -> measures.CoproductionMeasures:
        p = self._partnership(partnership_id)
        plan = self._plan(plan_id, partnership_id) if plan_id else None
        return measures.coproduction_measures(
            p,
            self._all(DecisionDoc, "decision", p.id),
            self._all(ContributionDoc, "contribution", p.id),
            self._all(MeetingDoc, "meeting", p.id),
            today=self.today(),
            plan=plan,
        )

    def actions(self, partnership_id: UUID) -> registers.ActionTracker:
        p = self._partnership(partnership_id)
        return registers.action_tracker(
            self._all(ActionDoc, "action", p.id),
            self._all(DecisionDoc, "decision", p.id),
            today=self.today(),
        )

    def you_said_we_did(
        self, partnership_id: UUID, period_start: date | None, period_end: date | None
    ) -> reg56.YouSaidWeDid:
        p = self._partnership(partnership_id)
        return reg56.you_said_we_did(
            p,
            self._all(ContributionDoc, "contribution", p.id),
            period_start=period_start,
            period_end=period_end,
        )

    def pack(self, kind: str, plan_id: UUID) -> packs.QAPack | packs.InspectionPack:
        self._refresh()
        plan = self._one(PlanDoc, "plan", plan_id)
        p = self._partnership(plan.partnership_id)
        build = packs.qa_pack if kind == "qa" else packs.inspection_pack
        return build(
            plan,
            p,
            self._all(DecisionDoc, "decision", p.id),
            self._all(ContributionDoc, "contribution", p.id),
            self._all(ActionDoc, "action", p.id),
            self._all(MeetingDoc, "meeting", p.id),
            today=self.today(),
        )

    def section_diff(
        self, plan_id: UUID, section: str, from_revision: int, to_revision: int
    ) -> SectionDiff:
        self._refresh()
        plan = self._one(PlanDoc, "plan", plan_id)
        texts = {r.revision: r.text for r in plan.revisions if r.section == section}
        if not texts:
            raise UnknownSection(f"Section {section} is not in {plan.title}.")
        for revision in (from_revision, to_revision):
            if revision not in texts:
                raise NotFound(
                    f"Section {section} of {plan.title} has no revision {revision} "
                    f"(it has 1 to {max(texts)})."
                )
        diff = difflib.unified_diff(
            _sentences(texts[from_revision]),
            _sentences(texts[to_revision]),
            fromfile=f"{section} r{from_revision}",
            tofile=f"{section} r{to_revision}",
            lineterm="",
        )
        return SectionDiff(
            plan_id=plan_id,
            section=section,
            from_revision=from_revision,
            to_revision=to_revision,
            diff=list(diff),
        )

    def _partnership(self, partnership_id: UUID) -> PartnershipDoc:
        self._refresh()
        return self._one(PartnershipDoc, "partnership", partnership_id)

    def _plan(self, plan_id: UUID, partnership_id: UUID) -> PlanDoc:
        plan = self._one(PlanDoc, "plan", plan_id)
        if plan.partnership_id != partnership_id:
            raise NotFound(f"Plan {plan_id} does not belong to partnership {partnership_id}.")
        return plan

    def _one(self, kind: type[D], model: str, key: UUID) -> D:
        doc = self.store.load([(model, key)]).get((model, key))
        if not isinstance(doc, kind):
            raise NotFound(f"No {model} with id {key}.")
        return doc

    def _all(self, kind: type[D], model: str, partnership_id: UUID) -> list[D]:
        return [d for d in self.store.scan(model, partnership_id) if isinstance(d, kind)]


def _sentences(text: str) -> list[str]:
    """Plan text diffs best sentence by sentence."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
