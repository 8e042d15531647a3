"""Settings of the HTTP service: defaults, then ``LEDGER_*`` environment variables, then the caller's.

The environment is read here only, when ``create_app`` runs (in each gunicorn
worker); everything else receives the settings from the Flask config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infrastructure.store import DEFAULT_SQLITE_FILE
from ledger.errors import ConfigurationError

ENV_PREFIX = "LEDGER_"
MIB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: the embedded SQLite file ledger.db in the working directory
    "MAX_BODY_BYTES": MIB,  # larger request bodies get 413
    "CREATE_TABLES": None,  # None: yes on SQLite, no on PostgreSQL (tables come from `ledger db migrate`)
    "RATES_DIR": None,  # None: the reference-rate tables shipped in ledger/rates; else an operator-updated copy
    "RUN_PROJECTIONS": None,  # None: read models run in a background thread on SQLite only (`ledger project` elsewhere)
    "RATE_LIMIT": 600,  # requests per API key per RATE_WINDOW_SECONDS, across all workers; 0 turns the limit off
    "RATE_WINDOW_SECONDS": 60,
    "METRICS_KEY": None,  # None: /metrics answers loopback clients only; else it needs Authorization: Bearer <key>
}
BOOLEAN_WORDS = {"1": True, "y": True, "yes": True, "true": True, "0": False, "n": False, "no": False, "false": False}


def parse(key: str, text: str) -> Any:
    default = DEFAULTS[key]
    if key in ("CREATE_TABLES", "RUN_PROJECTIONS"):
        if text.lower() not in BOOLEAN_WORDS:
            raise ConfigurationError(f"{ENV_PREFIX}{key} must be yes or no, not {text!r}")
        return BOOLEAN_WORDS[text.lower()]
    if isinstance(default, int):
        try:
            number = int(text)
        except ValueError:
            raise ConfigurationError(f"{ENV_PREFIX}{key} must be a whole number, not {text!r}") from None
        if number < (0 if key == "RATE_LIMIT" else 1):
            raise ConfigurationError(f"{ENV_PREFIX}{key} must be at least 1")
        return number
    return text


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    return {key: parse(key, environ[ENV_PREFIX + key]) for key in DEFAULTS if environ.get(ENV_PREFIX + key)}


def settings(environ: Mapping[str, str], config: Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS, **from_environ(environ), **(config or {}), **overrides}
    if not merged["DATABASE_URL"]:
        merged["DATABASE_URL"] = f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    return merged
