"""Typed settings, read once from the environment (prefix LEDGER_); CLI flags override."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Literal

import msgspec

from services.ledger.command_json import DEFAULT_MAX_COMMAND_BYTES

DEFAULT_DATABASE_URL = "sqlite:///./ledger-data/ledger.db"

LogFormat = Literal["json", "console"]


class SettingsError(ValueError):
    """A setting has a value the ledger cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    nats_url: str | None = None
    master_key: str | None = None
    master_key_file: str | None = None
    signing_key_file: str | None = None
    trusted_keys_file: str | None = None
    log_format: LogFormat = "json"
    log_level: str = "info"
    max_command_bytes: int = DEFAULT_MAX_COMMAND_BYTES

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: str | None
    ) -> Settings:
        env = os.environ if environ is None else environ
        log_format = env.get("LEDGER_LOG_FORMAT") or ("console" if sys.stderr.isatty() else "json")
        if log_format not in ("json", "console"):
            raise SettingsError(f"LEDGER_LOG_FORMAT must be json or console, not {log_format!r}.")
        values: dict[str, str | int | None] = {
            "database_url": env.get("LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "nats_url": env.get("LEDGER_NATS_URL") or None,
            "master_key": env.get("LEDGER_MASTER_KEY") or None,
            "master_key_file": env.get("LEDGER_MASTER_KEY_FILE") or None,
            "signing_key_file": env.get("LEDGER_SIGNING_KEY_FILE") or None,
            "trusted_keys_file": env.get("LEDGER_TRUSTED_KEYS_FILE") or None,
            "log_format": log_format,
            "log_level": (env.get("LEDGER_LOG_LEVEL") or "info").lower(),
            "max_command_bytes": _positive(
                env, "LEDGER_MAX_COMMAND_BYTES", DEFAULT_MAX_COMMAND_BYTES
            ),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return msgspec.convert(values, cls)
        except msgspec.ValidationError as e:
            raise SettingsError(f"Invalid setting: {e}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise SettingsError(f"{name} must be a whole number of bytes, at least 1, not {value!r}.")
    return number
