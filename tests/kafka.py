"""A real Kafka-protocol broker (Tansu) for the test session, and small client helpers.

One broker per session; every test gets its own topic names and consumer group,
so tests never see each other's messages.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from consumers import tansu
from consumers.settings import KafkaSettings

TEST_PARTITIONS = 3


@contextmanager
def running_broker(log_dir: Path | None = None) -> Iterator[tuple[str, Any]]:
    port = tansu.free_port()
    process = tansu.start(port, log_dir / f"tansu-{port}.log" if log_dir else None)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        tansu.stop(process)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a Tansu broker that lives as long as the test session."""
    with running_broker(tmp_path_factory.mktemp("tansu")) as (bootstrap, _process):
        yield bootstrap


def fresh_settings(bootstrap: str) -> KafkaSettings:
    """Fresh topic and group names, and the short group timeouts that make a Tansu join take ~1 s."""
    tag = uuid.uuid4().hex[:10]
    return KafkaSettings(
        bootstrap_servers=bootstrap, commands_topic=f"commands-{tag}", dlq_topic=f"commands-{tag}.dlq",
        events_topic=f"events-{tag}", consumer_group=f"group-{tag}", projection_group_prefix=f"projection-{tag}-",
        partitions=TEST_PARTITIONS, session_timeout_ms=2000, heartbeat_interval_ms=500,
    )


@pytest.fixture
def kafka_settings(kafka_broker: str) -> KafkaSettings:
    settings = fresh_settings(kafka_broker)
    settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
    return settings


def produce(settings: KafkaSettings, topic: str, messages: list[tuple[bytes | None, bytes]],
            headers: list[tuple[str, bytes]] | None = None) -> None:
    """Produce (key, value) pairs and wait until the broker acknowledged every one."""
    producer = settings.producer()
    try:
        futures = [producer.send(topic, key=key, value=value, headers=headers or []) for key, value in messages]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close(timeout=5)


def command(message_id: str, account_id: str, type_: str, contract_id: Any, payload: dict[str, Any]) -> bytes:
    envelope = {"message_id": message_id, "account_id": account_id, "type": type_,
                "contract_id": str(contract_id) if contract_id else None, "payload": payload}
    return json.dumps(envelope).encode()


def read_topic(settings: KafkaSettings, topic: str, count: int, timeout_s: float = 60.0) -> list[ConsumerRecord]:
    """Every record of a topic from the beginning, once ``count`` have arrived (no group, no end offsets)."""
    return read_until(settings, topic, lambda records: len(records) >= count, timeout_s)


def read_until(settings: KafkaSettings, topic: str, done: Callable[[list[ConsumerRecord]], bool],
               timeout_s: float = 60.0) -> list[ConsumerRecord]:
    """Records of a topic from the beginning until ``done(records)`` or the timeout."""
    consumer = KafkaConsumer(**settings.common(), enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while not done(records) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close(autocommit=False)


def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


@contextmanager
def in_thread(target: Callable[[threading.Event], Any]) -> Iterator[threading.Event]:
    """Run ``target(stop)`` in a thread; set ``stop`` and join it on the way out, re-raising its error."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target(stop)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
    if errors:
        raise errors[0]
