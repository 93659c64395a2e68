"""Ed25519 keys for signing checkpoints (from `cryptography`), and the keys `verify` trusts.

The signing key lives outside the data directory: LEDGER_SIGNING_KEY_FILE, else
`$XDG_CONFIG_HOME/inclusion-ledger/signing-key.pem` (XDG's default `~/.config`), the same
path on every backend whatever the working directory. It is created 0600 in a folder
created 0700, and, as ssh does with its keys, a key file that grants anything to its
group or to others is refused. The offline checks (`verify-bundle`) verify signatures
with `Ed25519SignatureCheck`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.audit import key_id as key_id
from services.audit.signature_check import SignatureCheck

log = structlog.get_logger()

KEY_FOLDER = "inclusion-ledger"
KEY_FILE = "signing-key.pem"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class SigningKeyError(ValueError):
    """The signing key, or a file of trusted keys, cannot be used (exit 2)."""


class SigningKeyMissing(SigningKeyError):
    """There is no signing key file where the ledger looks for it."""


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


class Ed25519SignatureCheck(SignatureCheck):
    """Ed25519 signatures and key ids for the offline checks, such as `verify-bundle`."""

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        return verify_signature(public_key, message, signature)

    def key_id(self, public_key: bytes) -> str:
        return key_id(public_key)


def default_key_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/inclusion-ledger/signing-key.pem`; XDG_CONFIG_HOME unset, empty or
    relative (which the XDG spec says to ignore) means `~/.config`."""
    env = os.environ if environ is None else environ
    config = env.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(config):
        home = env.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            raise SigningKeyError(
                "There is no home folder to keep the signing key in: set "
                "LEDGER_SIGNING_KEY_FILE to the file that holds it (or should)."
            )
        config = os.path.join(home, ".config")
    return Path(config) / KEY_FOLDER / KEY_FILE


def load_signer(path: Path) -> Signer:
    """The key in `path` (PEM, PKCS#8), refused if others may read it; never made here."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        raise SigningKeyMissing(
            f"There is no signing key at {path} (`inclusion-ledger checkpoint` creates one; "
            "LEDGER_SIGNING_KEY_FILE chooses the file)."
        ) from None
    except OSError as e:
        raise SigningKeyError(f"Cannot read the signing key {path}: {e.strerror or e}.") from None
    with os.fdopen(fd, "rb") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if mode & 0o077:
            raise SigningKeyError(
                f"The signing key {path} is open to others (mode {mode:04o}); the ledger only "
                f"uses a key file no one else can read: run `chmod 600 {path}`."
            )
        data = f.read()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise SigningKeyError(f"{path} is not a usable Ed25519 private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a key that is not Ed25519.")
    return Signer(key)


def load_or_create(path: Path) -> Signer:
    """The key in `path`; a new one is made there, with a warning, if absent."""
    try:
        return load_signer(path)
    except SigningKeyMissing:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        _make_folder(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_signer(path)  # another process made it first: use that one
    except OSError as e:
        raise SigningKeyError(
            f"Cannot create the signing key {path}: {e.strerror or e} (LEDGER_SIGNING_KEY_FILE "
            "chooses the file)."
        ) from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    signer = Signer(key)
    log.warning(
        "signing_key.created",
        path=str(path),
        key_id=signer.key_id,
        advice="keep this file safe and back it up; give auditors its public key "
        "(`inclusion-ledger keys public`); set LEDGER_SIGNING_KEY_FILE to choose it",
    )
    return signer


def _make_folder(folder: Path) -> None:
    """The key's folder, made 0700 if it does not exist (its parents as the umask says)."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if folder.is_dir():
            return  # another process made it first
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None
    os.chmod(folder, 0o700)  # whatever the umask


def read_trusted_keys(path: Path) -> frozenset[bytes]:
    """Raw Ed25519 public keys from a file of one key per line as 64 hex digits; blank lines
    and `#` comments (whole lines, or after a key) are allowed."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise SigningKeyError(
            f"Cannot read the trusted keys file {path}: {e.strerror or e}."
        ) from None
    keys: set[bytes] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if not _HEX_KEY.fullmatch(value):
            raise SigningKeyError(
                f"{path} line {number} is not an Ed25519 public key as 64 hex digits."
            )
        keys.add(bytes.fromhex(value))
    return frozenset(keys)
