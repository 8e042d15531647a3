"""Kafka throughput against a local Tansu broker: commands consumed and recorded per second, events relayed per second.

Test-size on purpose (``LEDGER_BENCH_COMMANDS``, default 2,000 commands;
``LEDGER_BENCH_RELAY_EVENTS``, default 20,000 events), on SQLite and on the
machine's PostgreSQL. Commands are ``record_payment``/``log_communication``
messages spread over 100 contracts, timed from the first produce until the
consumer has recorded the last (the group is joined beforehand with one warm-up
message). Relay: a store seeded with the events, timed from the relay's start
until the broker has acknowledged the last page.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

from application.service import LedgerApplication
from bench.common import postgres_url, print_table, sqlite_url, write_results
from consumers import tansu
from consumers.command_consumer import CommandConsumer
from consumers.relay import EventRelay
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from projections.db import Database
from tests.factories import as_command, signing, terms
from tests.seeding import seed

COMMANDS = int(os.environ.get("LEDGER_BENCH_COMMANDS", "2000"))
RELAY_EVENTS = int(os.environ.get("LEDGER_BENCH_RELAY_EVENTS", "20000"))
CONTRACTS = 100
ACCOUNT = "bench"


def settings_for(bootstrap: str) -> KafkaSettings:
    tag = uuid4().hex[:8]
    settings = KafkaSettings(bootstrap_servers=bootstrap, commands_topic=f"commands-{tag}",
                             dlq_topic=f"dlq-{tag}", events_topic=f"events-{tag}", consumer_group=f"group-{tag}",
                             session_timeout_ms=2000, heartbeat_interval_ms=500)
    settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
    return settings


def message(n: int, contract_id: UUID) -> tuple[bytes, bytes]:
    if n % 2:
        kind, payload = "log_communication", {"occurred_on": "2026-02-01", "direction": "inbound", "channel": "email",
                                              "summary": f"message {n}"}
    else:
        kind, payload = "record_payment", {"payment_id": f"p-{n}", "occurred_on": "2026-02-01",
                                           "amount": {"amount": 1, "currency": "EUR"}}
    envelope = {"message_id": f"m-{n}", "account_id": ACCOUNT, "type": kind, "contract_id": str(contract_id),
                "payload": payload}
    return str(contract_id).encode(), json.dumps(envelope).encode()


def produce(settings: KafkaSettings, messages: list[tuple[bytes, bytes]]) -> None:
    producer = settings.producer()
    for key, value in messages:
        producer.send(settings.commands_topic, key=key, value=value)
    producer.flush(timeout=60)
    producer.close()


@contextmanager
def running(target: Callable[[threading.Event], Any]) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def wait_for(condition: Callable[[], bool], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark did not finish")
        time.sleep(0.005)


def commands_per_s(store: StoreConfig, bootstrap: str) -> float:
    app = LedgerApplication(store, create_tables=True)
    contracts = []
    for i in range(CONTRACTS):
        signed = app.sign_contract(ACCOUNT, signing(terms(thirds=10_000_000)), idempotency_key=f"sign-{i}")
        app.execute(ACCOUNT, UUID(signed.contract_id), as_command("issue_invoice", {"occurred_on": terms()["occurred_on"], "milestone_keys": ["advance"]}), idempotency_key=f"i-{i}")
        contracts.append(UUID(signed.contract_id))
    settings = settings_for(bootstrap)
    consumer = CommandConsumer(LedgerApplication(store), settings)
    with running(consumer.run):
        produce(settings, [message(-1, contracts[0])])
        wait_for(lambda: consumer.counts.applied == 1)
        started = time.perf_counter()
        produce(settings, [message(n, contracts[n % CONTRACTS]) for n in range(COMMANDS)])
        wait_for(lambda: consumer.counts.applied == COMMANDS + 1)
        elapsed = time.perf_counter() - started
    assert consumer.counts.dead_lettered == 0, consumer.counts
    app.close()
    return COMMANDS / elapsed


def relayed_per_s(store: StoreConfig, bootstrap: str) -> tuple[int, float]:
    app = LedgerApplication(store, create_tables=True)
    events = seed(app, RELAY_EVENTS)
    relay = EventRelay(app, settings_for(bootstrap), Database(store))
    started = time.perf_counter()
    with running(relay.run):
        wait_for(lambda: relay.published >= events)
        elapsed = time.perf_counter() - started
    app.close()
    return events, events / elapsed


def main() -> None:
    port = tansu.free_port()
    broker = tansu.start(port)
    bootstrap = f"127.0.0.1:{port}"
    rows, results = [], {}
    try:
        for kind, url_of in (("sqlite", sqlite_url), ("postgres", postgres_url)):
            with url_of() as url:
                consumed = commands_per_s(StoreConfig(url), bootstrap)
            with url_of() as url:
                events, relayed = relayed_per_s(StoreConfig(url), bootstrap)
            results[kind] = {"commands": COMMANDS, "commands_per_s": round(consumed), "relay_events": events,
                             "events_relayed_per_s": round(relayed)}
            rows.append([kind, COMMANDS, f"{consumed:,.0f}", events, f"{relayed:,.0f}"])
    finally:
        tansu.stop(broker)
    print_table("Kafka (Tansu on loopback, kafka-python, one consumer / one relay process)",
                ["store", "commands", "commands recorded/s", "events", "events relayed/s"], rows)
    print(f"results: {write_results('kafka_throughput', results)}")


if __name__ == "__main__":
    main()
