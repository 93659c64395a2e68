"""Ed25519 keys for signing checkpoints (from `cryptography`)."""

from __future__ import annotations

import os
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.audit import key_id as key_id

log = structlog.get_logger()


class SigningKeyError(ValueError):
    """The signing key file exists but cannot be used."""


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = public_bytes(key.public_key())
        self.key_id = key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_or_create(path: Path) -> Signer:
    """The key in `path` (PEM, PKCS#8); a new one is made there, with a warning, if absent."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as e:
            raise SigningKeyError(f"{path} is not a usable Ed25519 private key: {e}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} holds a key that is not Ed25519.")
        return Signer(key)
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    signer = Signer(key)
    log.warning(
        "signing_key.created",
        path=str(path),
        key_id=signer.key_id,
        advice="keep this file safe and back it up; set LEDGER_SIGNING_KEY_FILE to choose it",
    )
    return signer
