"""Kafka settings, read from the environment at the entry points only and passed down.

Client options: idempotent producer with ``acks=all``,
manual commits, short group timeouts (a Tansu group join takes half the session
timeout), fast reconnects, and topics created explicitly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

ENV_PREFIX = "LEDGER_KAFKA_"
PARTITIONS_DEFAULT = 6


@dataclass(frozen=True)
class KafkaSettings:
    """Where the broker is, which topics and groups to use, and the group timeouts."""

    bootstrap_servers: str = "127.0.0.1:9092"
    commands_topic: str = "ledger.commands"
    dlq_topic: str = "ledger.commands.dlq"
    events_topic: str = "ledger.events"
    consumer_group: str = "ledger-commands"
    projection_group_prefix: str = "ledger-projection-"
    partitions: int = PARTITIONS_DEFAULT
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, /, **overrides: Any) -> KafkaSettings:
        """``LEDGER_KAFKA_BOOTSTRAP_SERVERS``, ``LEDGER_KAFKA_COMMANDS_TOPIC``, ... then explicit overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field in cls.__dataclass_fields__.items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw:
                values[name] = int(raw) if field.type == "int" else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

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
