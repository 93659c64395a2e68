"""The auditor and the offline checks verify signatures through a port, which the signing
adapter implements with Ed25519."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.signing import Ed25519SignatureCheck, Signer
from services.audit.signature_check import SignatureCheck


def test_the_ed25519_check_accepts_the_key_s_signature_and_nothing_else() -> None:
    signer, other = Signer(Ed25519PrivateKey.generate()), Signer(Ed25519PrivateKey.generate())
    check: SignatureCheck = Ed25519SignatureCheck()
    signature = signer.sign(b"manifest")

    assert check.verify(signer.public_key, b"manifest", signature)
    assert not check.verify(signer.public_key, b"manifest!", signature)
    assert not check.verify(other.public_key, b"manifest", signature)
    assert not check.verify(b"not a key", b"manifest", signature)
    assert not check.verify(signer.public_key, b"manifest", b"not a signature")
    assert check.key_id(signer.public_key) == signer.key_id
