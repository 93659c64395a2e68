"""The evidence packs as readable Markdown documents.

The QA pack's sections are in `qa`, the inspection pack's in `inspection`, and what
both show (the plan, the co-production measures, the action tracker, Markdown tables)
in `shared`. A decision's account is told in the words of `projections.account`, the
same sentences `decision show` prints.
"""

from __future__ import annotations

from projections.pack_markdown.inspection import inspection_lines
from projections.pack_markdown.qa import qa_lines
from projections.packs import InspectionPack, QAPack


def render_markdown(pack: QAPack | InspectionPack) -> str:
    """The pack as a readable Markdown document."""
    lines = qa_lines(pack) if isinstance(pack, QAPack) else inspection_lines(pack)
    return "\n".join(lines).rstrip() + "\n"
