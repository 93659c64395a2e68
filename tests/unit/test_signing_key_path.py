"""Where the signing key is looked for: outside the data directory, per user."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.signing import SigningKeyError, default_key_path


def test_the_key_lives_in_the_xdg_config_folder() -> None:
    path = default_key_path({"XDG_CONFIG_HOME": "/etc/xdg-user", "HOME": "/home/ada"})

    assert path == Path("/etc/xdg-user/inclusion-ledger/signing-key.pem")


@pytest.mark.parametrize("config_home", [None, "", "relative/config"])
def test_without_an_absolute_xdg_config_home_the_key_lives_in_dot_config(
    config_home: str | None,
) -> None:
    env = {"HOME": "/home/ada"}
    if config_home is not None:
        env["XDG_CONFIG_HOME"] = config_home

    assert default_key_path(env) == Path("/home/ada/.config/inclusion-ledger/signing-key.pem")


def test_a_home_that_is_not_absolute_asks_for_ledger_signing_key_file() -> None:
    with pytest.raises(SigningKeyError, match="LEDGER_SIGNING_KEY_FILE"):
        default_key_path({"HOME": "."})
