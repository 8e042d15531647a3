"""Kafka settings from the environment, and the retry pauses."""

from __future__ import annotations

import threading

from consumers.backoff import Backoff
from consumers.settings import KafkaSettings


def test_settings_come_from_ledger_kafka_variables_and_options_win_over_them() -> None:
    environ = {"LEDGER_KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092", "LEDGER_KAFKA_COMMANDS_TOPIC": "in",
               "LEDGER_KAFKA_PARTITIONS": "12", "LEDGER_KAFKA_EVENTS_TOPIC": "", "OTHER": "x"}
    settings = KafkaSettings.from_environ(environ, commands_topic="from-option", dlq_topic=None)
    assert settings.bootstrap_servers == "k1:9092,k2:9092"
    assert settings.commands_topic == "from-option"
    assert settings.partitions == 12
    assert (settings.dlq_topic, settings.events_topic) == ("ledger.commands.dlq", "ledger.events")
    assert settings.common()["bootstrap_servers"] == ["k1:9092", "k2:9092"]


def test_retry_pauses_double_from_the_first_and_never_exceed_the_maximum_until_reset() -> None:
    backoff = Backoff(first_s=0.001, max_s=0.004)
    stop = threading.Event()
    stop.set()  # pausing returns at once; only the chosen lengths matter here
    lengths = []
    for _ in range(5):
        backoff.pause(stop)
        lengths.append(backoff.current_s)
    assert lengths == [0.001, 0.002, 0.004, 0.004, 0.004]
    backoff.reset()
    backoff.pause(stop)
    assert backoff.current_s == 0.001
