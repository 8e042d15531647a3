"""The Flask config of the HTTP service, from the typed settings (``infrastructure.settings``).

``create_app`` reads the environment once, here, when it runs (in each
gunicorn worker): defaults, then ``LEDGER_*`` variables, then the caller's
``config``, then ``overrides``. Everything else receives the values from the
Flask config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infrastructure.settings import Settings

# Flask config key -> the settings field it comes from.
KEYS = {"DATABASE_URL": "database_url", "MAX_BODY_BYTES": "max_body_bytes", "CREATE_TABLES": "create_tables",
        "RATES_DIR": "rates_dir", "RATES_STRICT": "rates_strict", "RUN_PROJECTIONS": "run_projections",
        "TSA_URL": "tsa_url", "TSA_CA_FILE": "tsa_ca_file",
        "RATE_LIMIT": "rate_limit", "RATE_WINDOW_SECONDS": "rate_window_seconds", "METRICS_KEY": "metrics_key",
        "WEBHOOKS_ALLOW_PRIVATE": "webhooks_allow_private", "GROUP_COMMIT": "group_commit"}


def settings(environ: Mapping[str, str], config: Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> dict[str, Any]:
    given = {**(config or {}), **overrides}
    typed = Settings.from_environ(environ, **{field: given[key] for key, field in KEYS.items() if key in given})
    values = {key: getattr(typed, field) for key, field in KEYS.items()}
    return {**given, **values, "DATABASE_URL": typed.store().url, "SETTINGS": typed}
