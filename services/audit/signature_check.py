"""How the offline checks verify signatures and name keys: a port, with no key store behind
it. adapters/signing.py implements it with Ed25519 from `cryptography`."""

from __future__ import annotations

from typing import Protocol


class SignatureCheck(Protocol):
    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Whether `signature` is the key's over `message`; False, never an error, for a
        malformed key or signature."""
        ...

    def key_id(self, public_key: bytes) -> str:
        """The key's id, as checkpoints and bundles name it."""
        ...
