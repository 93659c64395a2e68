"""What `verify` found, and the sentence that says it.

A report says what was checked as well as what was found: which keys the checkpoints
were checked against, whether they were checked at all (`verify --no-checkpoints`
checks the leaves and the chain alone), and how many events no signed checkpoint
covers yet, so that a log checked by its chain alone never reads as signed.
"""

from __future__ import annotations

import msgspec

NOT_VERIFIED = frozenset({"untrusted", "unsigned"})
"""Problem kinds that say the log could not be vouched for, rather than that it changed."""


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    """Tampering: changed, missing, inserted, reordered, truncated, chain, root, signature,
    key (a checkpoint signed by a key that is not trusted). Not verified: untrusted (no key
    is trusted), unsigned (no signed checkpoint covers the events)."""
    position: int | None
    detail: str


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    events: int
    """Events verified (up to the first problem)."""
    checkpoints: int
    """Checkpoints stored."""
    tree_size: int
    root_hash: str
    problem: Problem | None
    checkpoints_checked: bool = True
    """Signatures, keys and roots of the checkpoints were checked (off: the chain alone)."""
    trusted_keys: tuple[str, ...] = ()
    """Ids of the keys the checkpoints were checked against."""
    signed_events: int = 0
    """Events the latest checkpoint covers."""
    unsigned_events: int = 0
    """Events verified by the chain alone: after the latest checkpoint, or all of them
    when checkpoints were not checked."""

    def summary(self) -> str:
        problem = self.problem
        if problem is not None and problem.kind in NOT_VERIFIED:
            return f"Not verified: {problem.detail}."
        if problem is not None:
            where = f" at position {problem.position}" if problem.position is not None else ""
            return f"Tampering found{where}: {problem.kind}: {problem.detail}"
        if self.events == 0:
            return "The ledger is empty: nothing to verify, nothing wrong."
        root = f"(root {self.root_hash[:16]}…)"
        if not self.checkpoints_checked:
            return (
                f"Verified {self.events:,} events by the chain alone: intact {root}; "
                "checkpoint signatures and roots were not checked."
            )
        text = f"Verified {self.events:,} events and {self.checkpoints} signed checkpoint(s): "
        text += f"intact {root}."
        if self.unsigned_events:
            text += (
                f" The latest checkpoint covers {self.signed_events:,}; the "
                f"{self.unsigned_events:,} later events are checked by the chain alone until "
                "the next `inclusion-ledger checkpoint`."
            )
        return text


def untrusted() -> Problem:
    return Problem(
        kind="untrusted",
        position=None,
        detail=(
            "no key is trusted to have signed the checkpoints; give the ledger's public key "
            "with --trust-key HEX_OR_FILE or --trusted-keys FILE (or LEDGER_TRUSTED_KEYS_FILE), "
            "or its signing key with LEDGER_SIGNING_KEY_FILE, or run "
            "`inclusion-ledger verify --no-checkpoints` to check the chain alone"
        ),
    )


def unsigned(events: int) -> Problem:
    return Problem(
        kind="unsigned",
        position=None,
        detail=(
            f"no signed checkpoint covers the {events:,} events (if one was made before, "
            "it has been removed); run `inclusion-ledger checkpoint` to sign the log as it "
            "stands, or `inclusion-ledger verify --no-checkpoints` to check the chain alone"
        ),
    )
