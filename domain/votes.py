"""Counting the votes on a decision at the meeting that takes it (pure rules).

The members present at the meeting decide. A vote for, against or abstaining by a
member absent from that meeting (a written vote sent with apologies) is kept and
listed as an absent vote, but not counted: it was cast without the discussion
the meeting had. A block is not outvoted by absence: a block by an eligible member
(no declared interest, voting rights, not stood down) stands whoever attends, is
counted and recorded as dissent, and stops approval until that member withdraws it
with a reason; a withdrawn vote may be cast again. A block lapses only when its
member stands down. Votes of members with a declared interest are excluded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from domain.values import MemberRecord, Sector, Stance


class Vote(msgspec.Struct, frozen=True):
    member_id: str
    stance: Stance
    reason: str
    recorded_at: datetime


class Dissent(msgspec.Struct, frozen=True):
    member_id: str
    stance: Stance
    reason: str


class Tally(msgspec.Struct, frozen=True):
    for_: int = msgspec.field(name="for")
    against: int
    abstain: int
    block: int


class VoteCount(msgspec.Struct, frozen=True):
    counted: tuple[Vote, ...]
    excluded: tuple[str, ...]
    """Members with a declared interest whose votes are not counted."""
    absent: tuple[str, ...]
    """Members absent from the meeting whose votes are recorded, not counted."""
    present: frozenset[str]

    @property
    def tally(self) -> Tally:
        stances = [v.stance for v in self.counted]
        return Tally(
            for_=stances.count(Stance.FOR),
            against=stances.count(Stance.AGAINST),
            abstain=stances.count(Stance.ABSTAIN),
            block=stances.count(Stance.BLOCK),
        )

    @property
    def blockers(self) -> tuple[str, ...]:
        return tuple(v.member_id for v in self.counted if v.stance is Stance.BLOCK)

    @property
    def dissent(self) -> tuple[Dissent, ...]:
        return tuple(
            Dissent(member_id=v.member_id, stance=v.stance, reason=v.reason)
            for v in self.counted
            if v.stance is not Stance.FOR
        )

    def forum_voted(self, roster: Mapping[str, MemberRecord]) -> bool:
        """A parent carer forum member present at the meeting cast a counted vote."""
        return any(
            v.member_id in self.present
            and v.member_id in roster
            and roster[v.member_id].sector is Sector.PARENT_CARER_FORUM
            for v in self.counted
        )


def count_votes(
    votes: Iterable[Vote],
    present: Iterable[str],
    roster: Mapping[str, MemberRecord],
    interested: frozenset[str],
) -> VoteCount:
    attending = frozenset(present)
    counted: list[Vote] = []
    excluded: list[str] = []
    absent: list[str] = []
    for vote in votes:
        if vote.member_id in interested:
            excluded.append(vote.member_id)
        elif vote.member_id in attending or _block_stands(vote, roster):
            counted.append(vote)
        else:
            absent.append(vote.member_id)
    return VoteCount(
        counted=tuple(counted),
        excluded=tuple(sorted(excluded)),
        absent=tuple(sorted(absent)),
        present=attending,
    )


def _block_stands(vote: Vote, roster: Mapping[str, MemberRecord]) -> bool:
    member = roster.get(vote.member_id)
    return vote.stance is Stance.BLOCK and member is not None and member.active and member.voting
