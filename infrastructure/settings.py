"""Every setting of the service in one typed object: defaults, then ``LEDGER_*`` environment variables.

The entry points (``create_app``, each ``ledger`` command) read the settings
once with ``Settings.from_environ`` and pass them down; nothing else reads the
environment. An empty variable counts as unset; a value that does not parse
stops the start with a ConfigurationError naming the variable.

``LEDGER_DATABASE_URL``    event store URL (unset: the SQLite file ledger.db in the working directory)
``LEDGER_ACCOUNT``         the CLI's account (default ``default``)
``LEDGER_MAX_BODY_BYTES``  largest HTTP request body (default 1 MiB)
``LEDGER_CREATE_TABLES``   yes/no (unset: yes on SQLite, no on PostgreSQL: ``ledger db migrate``)
``LEDGER_RATES_DIR``       an operator-updated copy of the reference-rate tables
``LEDGER_RATES_STRICT``    yes: refuse rather than carry a rate past its verified-through date (default no)
``LEDGER_RUN_PROJECTIONS`` yes/no (unset: read models in a background thread on SQLite only)
``LEDGER_RATE_LIMIT``      requests per API key per ``LEDGER_RATE_WINDOW_SECONDS`` (default 600 per 60; 0: no limit)
``LEDGER_METRICS_KEY``     bearer key for ``/metrics`` (unset: loopback clients only)
``LEDGER_TSA_URL``         an RFC 3161 timestamp authority for chain heads (unset: nothing is timestamped)
``LEDGER_TSA_CA_FILE``     PEM CA certificates of that authority, copied into each bundle
``LEDGER_WEBHOOKS_ALLOW_PRIVATE`` yes: webhook URLs may resolve to private addresses (the API; ``ledger webhooks``
                           reads it with its other ``LEDGER_WEBHOOKS_*`` options)
``LEDGER_GROUP_COMMIT``    yes/no (default yes): concurrent HTTP commands of one worker share a transaction (application.group_commit)
``LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S`` test only: seconds a group save sleeps inside its transaction (0: off)
``LEDGER_KAFKA_*``         broker, topics, groups, partitions and group timeouts (``kafka_*`` below)
``LEDGER_SMTP_*``          the reminder dispatcher's mail server: host, port, security, username, password, from, timeout
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from infrastructure.store import DEFAULT_SQLITE_FILE, StoreConfig
from ledger.errors import ConfigurationError

ENV_PREFIX = "LEDGER_"
MIB = 1024 * 1024


class EnvironSource(EnvSettingsSource):
    """The ``LEDGER_*`` variables of a given mapping (``os.environ`` at the entry points, a dict in tests)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self.environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self.environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore")

    database_url: str | None = None
    account: str = "default"
    max_body_bytes: PositiveInt = MIB
    create_tables: bool | None = None
    rates_dir: str | None = None
    rates_strict: bool = False
    run_projections: bool | None = None
    rate_limit: NonNegativeInt = 600  # requests per API key per window, shared by all workers; 0: no limit
    rate_window_seconds: PositiveInt = 60
    metrics_key: str | None = None  # bearer key for /metrics; None: loopback clients only
    tsa_url: str | None = None
    tsa_ca_file: str | None = None
    webhooks_allow_private: bool = False
    group_commit: bool = True  # HTTP threads of one worker: measured in docs/performance.md#group-commit
    test_pause_in_group_save_s: NonNegativeFloat = 0.0  # test only, see infrastructure.pauses

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_commands_topic: str = "ledger.commands"
    kafka_dlq_topic: str = "ledger.commands.dlq"
    kafka_events_topic: str = "ledger.events"
    kafka_consumer_group: str = "ledger-commands"
    kafka_projection_group_prefix: str = "ledger-projection-"
    kafka_partitions: PositiveInt = 6
    kafka_session_timeout_ms: PositiveInt = 10_000
    kafka_heartbeat_interval_ms: PositiveInt = 3_000

    smtp_host: str = "127.0.0.1"
    smtp_port: PositiveInt = 25
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "ledger@localhost"
    smtp_timeout: PositiveFloat = 30.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # the environment comes only through from_environ, from the mapping it is given

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, /, **overrides: Any) -> Settings:
        """Defaults, then the ``LEDGER_*`` variables of ``environ`` (``os.environ`` if None), then ``overrides``."""
        values = EnvironSource(cls, os.environ if environ is None else environ)()
        try:
            return cls(**{**values, **overrides})
        except ValidationError as error:
            raise ConfigurationError(describe(error)) from None

    def store(self) -> StoreConfig:
        """The event store: ``database_url``, or the embedded SQLite file in the working directory."""
        config = StoreConfig(self.database_url or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}")
        config.kind  # noqa: B018 - validates the scheme early
        return config


def describe(error: ValidationError) -> str:
    problems = [f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()]
    return "invalid settings: " + "; ".join(problems)
