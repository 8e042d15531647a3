"""Kafka clients from the typed settings (``infrastructure.settings``, ``LEDGER_KAFKA_*``), passed down.

Client options: idempotent producer with ``acks=all``,
manual commits, short group timeouts (a Tansu group join takes half the session
timeout), fast reconnects, and topics created explicitly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from infrastructure.settings import Settings

DEFAULTS = Settings()  # the defaults alone: the environment is only read by from_environ


@dataclass(frozen=True)
class KafkaSettings:
    """Where the broker is, which topics and groups to use, and the group timeouts."""

    bootstrap_servers: str = DEFAULTS.kafka_bootstrap_servers
    commands_topic: str = DEFAULTS.kafka_commands_topic
    dlq_topic: str = DEFAULTS.kafka_dlq_topic
    events_topic: str = DEFAULTS.kafka_events_topic
    consumer_group: str = DEFAULTS.kafka_consumer_group
    projection_group_prefix: str = DEFAULTS.kafka_projection_group_prefix
    partitions: int = DEFAULTS.kafka_partitions
    session_timeout_ms: int = DEFAULTS.kafka_session_timeout_ms
    heartbeat_interval_ms: int = DEFAULTS.kafka_heartbeat_interval_ms

    @classmethod
    def from_settings(cls, settings: Settings, /, **overrides: Any) -> KafkaSettings:
        """The ``kafka_*`` settings, then explicit overrides (command-line options; ``None`` means not given)."""
        values = {f.name: getattr(settings, f"kafka_{f.name}") for f in fields(cls)}
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, /, **overrides: Any) -> KafkaSettings:
        """``LEDGER_KAFKA_BOOTSTRAP_SERVERS``, ``LEDGER_KAFKA_COMMANDS_TOPIC``, ... then explicit overrides."""
        return cls.from_settings(Settings.from_environ(environ), **overrides)

    def common(self) -> dict[str, Any]:
        return {"bootstrap_servers": self.bootstrap_servers.split(","), "reconnect_backoff_max_ms": 1000}

    def producer(self, **extra: Any) -> KafkaProducer:
        return KafkaProducer(
            **self.common(), acks="all", enable_idempotence=True, linger_ms=20, batch_size=262_144,
            max_block_ms=5000, request_timeout_ms=5000, delivery_timeout_ms=10_000, **extra,
        )

    def consumer(self, group_id: str, *topics: str, **extra: Any) -> KafkaConsumer:
        return KafkaConsumer(
            *topics, **self.common(), group_id=group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms, **extra,
        )

    def admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(**self.common(), request_timeout_ms=5000)

    def ensure_topics(self, *names: str) -> None:
        """Create the topics that do not exist yet (auto-created ones would get the broker's default partitions)."""
        admin = self.admin()
        try:
            existing = set(admin.list_topics())
            missing = [NewTopic(n, self.partitions, 1) for n in names if n not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process created it first
                    admin.create_topics(missing)
        finally:
            admin.close()
