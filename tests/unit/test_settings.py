"""One typed settings object: every LEDGER_* variable, its default, and a clear refusal of a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.settings import Settings
from ledger.errors import ConfigurationError

# Variable -> (value given, value expected), written out by hand from the operations docs.
VARIABLES = {
    "LEDGER_DATABASE_URL": ("postgresql://u@db/ledger", "postgresql://u@db/ledger"),
    "LEDGER_ACCOUNT": ("acme", "acme"),
    "LEDGER_MAX_BODY_BYTES": ("2048", 2048),
    "LEDGER_CREATE_TABLES": ("yes", True),
    "LEDGER_RATES_DIR": ("/srv/rates", "/srv/rates"),
    "LEDGER_RATES_STRICT": ("yes", True),
    "LEDGER_RUN_PROJECTIONS": ("no", False),
    "LEDGER_RATE_LIMIT": ("0", 0),
    "LEDGER_RATE_WINDOW_SECONDS": ("10", 10),
    "LEDGER_METRICS_KEY": ("m-key", "m-key"),
    "LEDGER_TSA_URL": ("http://tsa.example/", "http://tsa.example/"),
    "LEDGER_TSA_CA_FILE": ("/etc/ledger/tsa-ca.pem", "/etc/ledger/tsa-ca.pem"),
    "LEDGER_KAFKA_BOOTSTRAP_SERVERS": ("k1:9092,k2:9092", "k1:9092,k2:9092"),
    "LEDGER_KAFKA_COMMANDS_TOPIC": ("in", "in"),
    "LEDGER_KAFKA_DLQ_TOPIC": ("dead", "dead"),
    "LEDGER_KAFKA_EVENTS_TOPIC": ("out", "out"),
    "LEDGER_KAFKA_CONSUMER_GROUP": ("group", "group"),
    "LEDGER_KAFKA_PROJECTION_GROUP_PREFIX": ("proj-", "proj-"),
    "LEDGER_KAFKA_PARTITIONS": ("12", 12),
    "LEDGER_KAFKA_SESSION_TIMEOUT_MS": ("6000", 6000),
    "LEDGER_KAFKA_HEARTBEAT_INTERVAL_MS": ("2000", 2000),
    "LEDGER_SMTP_HOST": ("smtp.example.com", "smtp.example.com"),
    "LEDGER_SMTP_PORT": ("587", 587),
    "LEDGER_SMTP_SECURITY": ("starttls", "starttls"),
    "LEDGER_SMTP_USERNAME": ("billing", "billing"),
    "LEDGER_SMTP_PASSWORD": ("secret", "secret"),
    "LEDGER_SMTP_FROM": ("billing@example.com", "billing@example.com"),
    "LEDGER_SMTP_TIMEOUT": ("12.5", 12.5),
    "LEDGER_WEBHOOKS_ALLOW_PRIVATE": ("yes", True),
    "LEDGER_GROUP_COMMIT": ("no", False),
    "LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S": ("2.5", 2.5),
}
DEFAULTS = {
    "database_url": None,
    "account": "default",
    "max_body_bytes": 1024 * 1024,
    "create_tables": None,
    "rates_dir": None,
    "rates_strict": False,
    "run_projections": None,
    "rate_limit": 600,
    "rate_window_seconds": 60,
    "metrics_key": None,
    "tsa_url": None,
    "tsa_ca_file": None,
    "kafka_bootstrap_servers": "127.0.0.1:9092",
    "kafka_commands_topic": "ledger.commands",
    "kafka_dlq_topic": "ledger.commands.dlq",
    "kafka_events_topic": "ledger.events",
    "kafka_consumer_group": "ledger-commands",
    "kafka_projection_group_prefix": "ledger-projection-",
    "kafka_partitions": 6,
    "kafka_session_timeout_ms": 10_000,
    "kafka_heartbeat_interval_ms": 3_000,
    "smtp_host": "127.0.0.1",
    "smtp_port": 25,
    "smtp_security": "none",
    "smtp_username": None,
    "smtp_password": None,
    "smtp_from": "ledger@localhost",
    "smtp_timeout": 30.0,
    "webhooks_allow_private": False,
    "group_commit": True,
    "test_pause_in_group_save_s": 0.0,
}


def test_every_variable_sets_its_field() -> None:
    settings = Settings.from_environ({name: given for name, (given, _) in VARIABLES.items()})
    assert {name: getattr(settings, name.removeprefix("LEDGER_").lower()) for name in VARIABLES} == {
        name: expected for name, (_, expected) in VARIABLES.items()
    }
    assert set(Settings.model_fields) == {name.removeprefix("LEDGER_").lower() for name in VARIABLES}


def test_without_variables_every_field_has_its_default_and_empty_counts_as_unset() -> None:
    assert Settings.from_environ({}).model_dump() == DEFAULTS
    assert Settings.from_environ(dict.fromkeys(VARIABLES, "")).model_dump() == DEFAULTS


def test_a_given_mapping_is_the_whole_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_ACCOUNT", "from-the-process")
    assert Settings.from_environ({}).account == "default"
    assert Settings.from_environ().account == "from-the-process"


def test_overrides_win_over_the_environment() -> None:
    assert Settings.from_environ({"LEDGER_ACCOUNT": "env"}, account="option").account == "option"


def test_without_a_database_url_the_store_is_ledger_db_in_the_working_directory() -> None:
    assert Settings.from_environ({}).store().url == f"sqlite:///{Path.cwd() / 'ledger.db'}"
    assert Settings.from_environ({"LEDGER_DATABASE_URL": "sqlite:////tmp/x.db"}).store().url == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("name", "value"),
    [("LEDGER_KAFKA_PARTITIONS", "many"), ("LEDGER_KAFKA_PARTITIONS", "0"), ("LEDGER_RUN_PROJECTIONS", "sometimes")],
)
def test_a_value_that_does_not_parse_is_a_configuration_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({name: value})
    assert name in caught.value.message


def test_an_unsupported_database_url_is_refused_when_the_store_is_opened() -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_environ({"LEDGER_DATABASE_URL": "mysql://db/ledger"}).store()
