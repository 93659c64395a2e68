"""The offline checks verify signatures through a port: the signing adapter's Ed25519
check, or two functions handed over as they are."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.signing import Ed25519SignatureCheck, Signer, key_id, verify_signature
from services.audit.bundle_verification import verify_bundle
from services.audit.signature_check import SignatureCheck, SignatureFunctions


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


def test_two_functions_make_the_same_check() -> None:
    signer = Signer(Ed25519PrivateKey.generate())
    check: SignatureCheck = SignatureFunctions(verify_signature, key_id)
    signature = signer.sign(b"checkpoint")

    assert check.verify(signer.public_key, b"checkpoint", signature)
    assert not check.verify(signer.public_key, b"checkpoint?", signature)
    assert check.key_id(signer.public_key) == signer.key_id


def test_a_bundle_is_checked_with_the_port_or_the_two_functions_never_neither_or_both() -> None:
    with pytest.raises(TypeError, match="verify_signature and key_id"):
        verify_bundle(io.BytesIO(b""))
    with pytest.raises(TypeError, match="verify_signature and key_id"):
        verify_bundle(io.BytesIO(b""), verify_signature=verify_signature)
    with pytest.raises(TypeError, match="not both"):
        verify_bundle(io.BytesIO(b""), Ed25519SignatureCheck(), key_id=key_id)
