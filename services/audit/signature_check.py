"""How the offline checks verify signatures and name keys: a port, with no key store behind
it. adapters/signing.py implements it with Ed25519 from `cryptography`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

VerifySignature = Callable[[bytes, bytes, bytes], bool]
KeyId = Callable[[bytes], str]


class SignatureCheck(Protocol):
    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Whether `signature` is the key's over `message`; False, never an error, for a
        malformed key or signature."""
        ...

    def key_id(self, public_key: bytes) -> str:
        """The key's id, as checkpoints and bundles name it."""
        ...


@dataclass(frozen=True)
class SignatureFunctions:
    """A SignatureCheck made of two functions, for callers that hold them as functions."""

    verify_signature: VerifySignature
    key_id_of: KeyId

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        return self.verify_signature(public_key, message, signature)

    def key_id(self, public_key: bytes) -> str:
        return self.key_id_of(public_key)
