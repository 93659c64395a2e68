"""How a plan's events change its document (and the decisions a revision cites)."""

from __future__ import annotations

from domain.base import LedgerEvent
from domain.plan import (
    ConsultationClosed,
    ConsultationOpened,
    PlanApproved,
    PlanDrafted,
    PlanPublished,
    PlanSubmittedForQA,
    PlanSuperseded,
    QAFeedbackReceived,
    SectionRevised,
)
from projections.documents import (
    CitationDoc,
    ConsultationDoc,
    DecisionDoc,
    PlanDoc,
    QAFeedbackDoc,
    RevisionDoc,
    SectionDoc,
    StageChange,
)
from projections.event_logic.access import DocAccess, get_doc, no_case, related_doc, save_doc


def apply_plan_event(e: LedgerEvent, position: int, docs: DocAccess) -> None:
    if isinstance(e, PlanDrafted):
        doc = PlanDoc(
            id=e.originator_id,
            partnership_id=e.partnership_id,
            title=e.title,
            template=e.template,
            period_start=e.period_start,
            period_end=e.period_end,
            stage=e.template.initial_stage,
            drafted_at=e.timestamp,
        )
        drafted = {s.key: s.text for s in e.sections}
        for t in e.template.sections:  # sections in the template's order
            text = drafted.get(t.key, "")
            doc.sections.append(SectionDoc(key=t.key, title=t.title, revision=1, text=text))
            doc.revisions.append(
                RevisionDoc(
                    section=t.key,
                    revision=1,
                    text=text,
                    rationale="Drafted from the template.",
                    cited_decisions=[],
                    cited_contributions=[],
                    revised_at=e.timestamp,
                    revised_by=e.actor.id,
                )
            )
        doc.stages.append(
            StageChange(stage=doc.stage, event=PlanDrafted.TOPIC, at=e.timestamp, by=e.actor.id)
        )
        save_doc(docs, doc, position)
        return
    doc = get_doc(docs, PlanDoc, "plan", e.originator_id)
    new_stage: str | None = None
    match e:
        case SectionRevised():
            section_title = e.section
            for section in doc.sections:
                if section.key == e.section:
                    section.revision, section.text = e.revision, e.text
                    section_title = section.title
            doc.revisions.append(
                RevisionDoc(
                    section=e.section,
                    revision=e.revision,
                    text=e.text,
                    rationale=e.rationale,
                    cited_decisions=list(e.cited_decisions),
                    cited_contributions=list(e.cited_contributions),
                    revised_at=e.timestamp,
                    revised_by=e.actor.id,
                )
            )
            for decision_id in e.cited_decisions:
                decision = related_doc(docs, DecisionDoc, "decision", decision_id)
                if decision is None:
                    continue
                decision.citations.append(
                    CitationDoc(
                        plan_id=doc.id,
                        plan_title=doc.title,
                        section=e.section,
                        section_title=section_title,
                        revision=e.revision,
                        rationale=e.rationale,
                        revised_at=e.timestamp,
                        revised_by=e.actor,
                    )
                )
                save_doc(docs, decision, position)
            new_stage = e.stage
        case ConsultationOpened():
            doc.consultations.append(
                ConsultationDoc(
                    opens_on=e.opens_on,
                    closes_on=e.closes_on,
                    channels=[c.value for c in e.channels],
                    accessible_formats=list(e.accessible_formats),
                )
            )
            new_stage = e.stage
        case ConsultationClosed():
            if doc.consultations:
                last = doc.consultations[-1]
                last.closed_at, last.responses_received = e.timestamp, e.responses_received
                last.summary = e.summary
            new_stage = e.stage
        case PlanSubmittedForQA():
            doc.submitted_versions[e.version] = e.content_hash
            new_stage = e.stage
        case QAFeedbackReceived():
            doc.qa_feedback.append(
                QAFeedbackDoc(
                    outcome=e.outcome.value,
                    findings=list(e.findings),
                    at=e.timestamp,
                    by=e.actor.id,
                )
            )
            new_stage = e.stage
        case PlanApproved():
            new_stage = e.stage
        case PlanPublished():
            doc.local_offer_url = e.local_offer_url
            new_stage = e.stage
        case PlanSuperseded():
            doc.superseded_by = e.superseded_by
            new_stage = e.stage
        case _:
            no_case(e, "plan")
    if new_stage is not None and new_stage != doc.stage:
        doc.stage = new_stage
        doc.stages.append(
            StageChange(stage=new_stage, event=type(e).TOPIC, at=e.timestamp, by=e.actor.id)
        )
    save_doc(docs, doc, position)
