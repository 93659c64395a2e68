"""Quorum and eligibility under a partnership's terms of reference (pure rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from domain.values import MemberRecord, Sector, TermsOfReference


class QuorumCheck(msgspec.Struct, frozen=True):
    terms_version: int
    required: int
    eligible_present: tuple[str, ...]
    forum_present: bool
    forum_required: bool

    @property
    def met(self) -> bool:
        enough = len(self.eligible_present) >= self.required
        return enough and (self.forum_present or not self.forum_required)

    def shortfall(self) -> str:
        parts = []
        if len(self.eligible_present) < self.required:
            parts.append(
                f"{len(self.eligible_present)} eligible voting members present, "
                f"{self.required} required"
            )
        if self.forum_required and not self.forum_present:
            parts.append("no parent carer forum representative present")
        return "; ".join(parts)


def check_quorum(
    terms: TermsOfReference,
    roster: Mapping[str, MemberRecord],
    present: Iterable[str],
    interested: frozenset[str],
) -> QuorumCheck:
    """Members with a declared interest in the item do not count towards quorum."""
    present_members = [roster[m] for m in present if m in roster and roster[m].active]
    eligible = tuple(
        sorted(m.member_id for m in present_members if m.voting and m.member_id not in interested)
    )
    forum_present = any(
        m.sector is Sector.PARENT_CARER_FORUM and m.member_id not in interested
        for m in present_members
    )
    return QuorumCheck(
        terms_version=terms.version,
        required=terms.quorum,
        eligible_present=eligible,
        forum_present=forum_present,
        forum_required=terms.forum_required,
    )
