"""The signing key's file and the keys a ledger's auditor trusts, on SQLite and PostgreSQL.

The key defaults to the per-user config folder (tests/conftest.py points
XDG_CONFIG_HOME at a folder of each test's own), whatever the backend and the
working directory; it is made 0600 in a folder made 0700, and a key file open to
others is refused, as ssh refuses one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from adapters.bootstrap import Ledger, bootstrap
from adapters.settings import Settings
from adapters.signing import (
    Signer,
    SigningKeyError,
    SigningKeyMissing,
    load_or_create,
    load_signer,
    read_trusted_keys,
)
from services.demo.cast import ScenarioClock
from services.demo.northmoor import write_northmoor

AT = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)


def write_key(path: Path, mode: int = 0o600) -> Signer:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(mode)
    return Signer(key)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        data = tmp_path / "data"
        data.mkdir()
        return f"sqlite:///{data / 'ledger.db'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    opened = bootstrap(Settings(database_url=url))
    yield opened
    opened.close()


# Where the key is


def test_the_default_key_is_made_in_the_config_folder_0600_in_a_folder_0700(
    ledger: Ledger, config_home: Path, tmp_path: Path
) -> None:
    expected = config_home / "inclusion-ledger" / "signing-key.pem"
    assert ledger.key_file() == expected
    assert ledger.own_signer() is None

    signer = ledger.signer()

    assert expected.stat().st_mode & 0o777 == 0o600
    assert expected.parent.stat().st_mode & 0o777 == 0o700
    assert load_signer(expected).key_id == signer.key_id
    assert not list(tmp_path.rglob("*.pem"))  # nothing beside the database


def test_the_key_path_is_the_same_on_every_backend_whatever_the_working_directory(
    tmp_path: Path, config_home: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    paths = []
    for folder in ("one", "two"):
        cwd = tmp_path / folder
        cwd.mkdir()
        monkeypatch.chdir(cwd)
        for url in ("sqlite:///ledger.db", postgres_url):
            opened = bootstrap(Settings(database_url=url))
            try:
                paths.append(opened.key_file())
                opened.signer()
            finally:
                opened.close()
        assert not list(cwd.rglob("*.pem"))

    assert set(paths) == {config_home / "inclusion-ledger" / "signing-key.pem"}


def test_ledger_signing_key_file_chooses_the_file(url: str, tmp_path: Path) -> None:
    chosen = tmp_path / "keys" / "ledger.pem"
    settings = Settings.from_env(
        {"LEDGER_DATABASE_URL": url, "LEDGER_SIGNING_KEY_FILE": str(chosen)}
    )
    opened = bootstrap(settings)
    try:
        signer = opened.signer()
    finally:
        opened.close()

    assert load_signer(chosen).key_id == signer.key_id
    assert chosen.parent.stat().st_mode & 0o777 == 0o700


# Keys that cannot be used


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o601])
def test_a_key_file_open_to_its_group_or_others_is_refused_naming_the_mode_and_the_fix(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "signing-key.pem"
    write_key(path, mode)

    with pytest.raises(SigningKeyError) as refused:
        load_signer(path)

    message = str(refused.value)
    assert str(path) in message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert "\n" not in message
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_or_create(path)  # an existing key that is refused is never replaced


def test_a_key_file_only_its_owner_can_read_is_used(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    own = write_key(path, 0o400)

    assert load_signer(path).key_id == own.key_id


def test_the_auditor_refuses_a_key_file_open_to_others(ledger: Ledger, config_home: Path) -> None:
    ledger.signer().key_id  # noqa: B018 (made 0600)
    ledger.key_file().chmod(0o644)

    with pytest.raises(SigningKeyError, match="mode 0644"):
        ledger.auditor()


def test_a_key_file_that_cannot_be_created_is_a_one_line_signing_key_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    path = not_a_folder / "signing-key.pem"

    with pytest.raises(SigningKeyError) as refused:
        load_or_create(path)

    assert str(refused.value).startswith(f"Cannot create the signing key {path}: ")
    assert "\n" not in str(refused.value)


def test_a_missing_key_is_not_made_by_load_signer(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"

    with pytest.raises(SigningKeyMissing, match="There is no signing key at"):
        load_signer(path)

    assert not path.exists()


# The keys the auditor trusts


def test_the_auditor_trusts_the_keys_it_is_named_and_the_key_file_only_when_none_is_named(
    url: str, tmp_path: Path
) -> None:
    recorded, given = Signer(Ed25519PrivateKey.generate()), Signer(Ed25519PrivateKey.generate())
    trusted_file = tmp_path / "trusted-keys.txt"
    trusted_file.write_text(f"# recorded at set-up\n{recorded.public_key.hex()}\n")
    plain = bootstrap(Settings(database_url=url))
    listed = bootstrap(Settings(database_url=url, trusted_keys_file=str(trusted_file)))
    try:
        assert plain.auditor().trusted_keys == frozenset()
        assert plain.auditor([given.public_key]).trusted_keys == {given.public_key}
        own = plain.signer()
        assert plain.auditor().trusted_keys == {own.public_key}
        assert plain.auditor([given.public_key]).trusted_keys == {given.public_key}
        assert listed.auditor().trusted_keys == {recorded.public_key}
        assert listed.auditor([given.public_key]).trusted_keys == {
            recorded.public_key,
            given.public_key,
        }
    finally:
        plain.close()
        listed.close()


def test_checkpoints_a_stranger_signed_are_untrusted_once_the_key_file_is_trusted(
    url: str,
) -> None:
    clock = ScenarioClock(datetime(2025, 9, 1, tzinfo=UTC))
    ledger = bootstrap(Settings(database_url=url), clock=clock)
    try:
        write_northmoor(ledger.app, clock)
        stranger = Signer(Ed25519PrivateKey.generate())
        ledger.auditor().checkpoint(stranger, at=AT)
        report = ledger.auditor().verify()
        assert report.problem is not None
        assert report.problem.kind == "untrusted"  # no key file: nothing is trusted

        own = ledger.signer()
        auditor = ledger.auditor()
        report = auditor.verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.detail) == (
            "key",
            f"checkpoint 1 is signed by unknown key {stranger.key_id}",
        )
        auditor.checkpoint(own, at=AT)
        assert auditor.verify().problem == report.problem  # checkpoint 1 is still foreign
        only_stranger = ledger.auditor([stranger.public_key]).verify().problem
        assert only_stranger is not None
        assert (only_stranger.kind, only_stranger.detail) == (
            "key",
            f"checkpoint 2 is signed by unknown key {own.key_id}",
        )
        assert ledger.auditor([stranger.public_key, own.public_key]).verify().ok
    finally:
        ledger.close()


def test_a_trusted_keys_file_holds_one_hex_key_a_line_with_blank_lines_and_comments(
    tmp_path: Path,
) -> None:
    one, two = (Signer(Ed25519PrivateKey.generate()) for _ in range(2))
    path = tmp_path / "trusted-keys.txt"
    path.write_text(
        "# the ledger's keys\n\n"
        f"{one.public_key.hex()}\n"
        f"  {two.public_key.hex().upper()}   # rotated in 2027\n"
        "   \n"
    )

    assert read_trusted_keys(path) == {one.public_key, two.public_key}


def test_a_trusted_keys_file_line_that_is_not_a_key_is_refused_naming_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "trusted-keys.txt"
    path.write_text(f"{'ab' * 32}\n{'ab' * 31}\n")

    with pytest.raises(SigningKeyError, match=f"^{path} line 2 is not an Ed25519 public key"):
        read_trusted_keys(path)
    with pytest.raises(SigningKeyError, match="Cannot read the trusted keys file"):
        read_trusted_keys(tmp_path / "missing.txt")


def test_the_suite_keeps_its_keys_out_of_the_home_folder(config_home: Path) -> None:
    assert os.environ["XDG_CONFIG_HOME"] == str(config_home)
    assert not str(config_home).startswith(str(Path.home() / ".config"))
    assert "LEDGER_SIGNING_KEY_FILE" not in os.environ
