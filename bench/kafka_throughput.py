"""Kafka throughput against a local Tansu broker: commands consumed and recorded per second, events relayed per second.

Test-size on purpose (``LEDGER_BENCH_COMMANDS``, default 2,000 commands;
``LEDGER_BENCH_RELAY_EVENTS``, default 20,000 events), on SQLite and on the
machine's PostgreSQL. Commands are ``record_payment``/``log_communication``
messages spread over 100 contracts, timed from the first produce until the
consumer has recorded the last (the group is joined beforehand with one warm-up
message), with group commit (one transaction per poll's group) and, as the same-run
baseline, with each command saved alone. Relay: a store seeded with the events, timed from the relay's start
until the broker has acknowledged the last page, against the baseline of kafka-python producing the very same
messages from memory (``KafkaSettings.producer()``), median of three runs each.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

from application.service import LedgerApplication, is_contract_topic
from bench.common import TINY, postgres_url, print_table, scaled, sqlite_url, write_results
from consumers import tansu
from consumers.command_consumer import CommandConsumer
from consumers.relay import EventRelay, event_message
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from projections.db import Database
from tests.factories import as_command, signing, terms
from tests.seeding import seed

COMMANDS = int(os.environ.get("LEDGER_BENCH_COMMANDS") or scaled(2000, 50))
RELAY_EVENTS = int(os.environ.get("LEDGER_BENCH_RELAY_EVENTS") or scaled(20000, 500))
CONTRACTS = scaled(100, 5)
RAW_MESSAGES = scaled(20_000, 500)
RUNS = scaled(3, 1)
ACCOUNT = "bench"


def settings_for(bootstrap: str) -> KafkaSettings:
    tag = uuid4().hex[:8]
    settings = KafkaSettings(
        bootstrap_servers=bootstrap,
        commands_topic=f"commands-{tag}",
        dlq_topic=f"dlq-{tag}",
        events_topic=f"events-{tag}",
        consumer_group=f"group-{tag}",
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
    return settings


def message(n: int, contract_id: UUID) -> tuple[bytes, bytes]:
    if n % 2:
        kind, payload = (
            "log_communication",
            {"occurred_on": "2026-02-01", "direction": "inbound", "channel": "email", "summary": f"message {n}"},
        )
    else:
        kind, payload = (
            "record_payment",
            {"payment_id": f"p-{n}", "occurred_on": "2026-02-01", "amount": {"amount": 1, "currency": "EUR"}},
        )
    envelope = {
        "message_id": f"m-{n}",
        "account_id": ACCOUNT,
        "type": kind,
        "contract_id": str(contract_id),
        "payload": payload,
    }
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


def commands_per_s(store: StoreConfig, bootstrap: str, *, group_commit: bool = True) -> float:
    app = LedgerApplication(store, create_tables=True)
    contracts = []
    for i in range(CONTRACTS):
        signed = app.sign_contract(ACCOUNT, signing(terms(thirds=10_000_000)), idempotency_key=f"sign-{i}")
        invoice = as_command("issue_invoice", {"occurred_on": terms()["occurred_on"], "milestone_keys": ["advance"]})
        app.execute(ACCOUNT, UUID(signed.contract_id), invoice, idempotency_key=f"i-{i}")
        contracts.append(UUID(signed.contract_id))
    settings = settings_for(bootstrap)
    consumer = CommandConsumer(LedgerApplication(store), settings, group_commit=group_commit)
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


def relay_messages(app: LedgerApplication) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """The exact messages the relay publishes for the store's events (key, value, headers), built beforehand."""
    notifications = app.recorder.select_notifications(1, 10 * RELAY_EVENTS)
    return [event_message(app.chain_record(n), ACCOUNT) for n in notifications if is_contract_topic(n.topic)]


def raw_produce_per_s(settings: KafkaSettings, messages: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> float:
    """The baseline: kafka-python producing the same messages, prepared in memory, until the broker acknowledged all."""
    producer = settings.producer()
    started = time.perf_counter()
    for key, value, headers in messages:
        producer.send(settings.events_topic, key=key, value=value, headers=headers)
    producer.flush(timeout=60)
    elapsed = time.perf_counter() - started
    producer.close()
    return len(messages) / elapsed


def relayed_per_s(store: StoreConfig, bootstrap: str) -> dict[str, Any]:
    """Median of ``RUNS`` relays of the whole seeded log (each to a new topic) and of raw produces of its messages."""
    app = LedgerApplication(store, create_tables=True)
    events = seed(app, RELAY_EVENTS, account_id=ACCOUNT)
    messages = relay_messages(app)
    raw, relayed = [], []
    for _ in range(RUNS):
        raw.append(raw_produce_per_s(settings_for(bootstrap), messages))
        relay = EventRelay(app, settings_for(bootstrap), Database(store))
        started = time.perf_counter()
        with running(relay.run):
            wait_for(lambda: relay.published >= events)  # noqa: B023 - waited on inside the loop's iteration
            relayed.append(events / (time.perf_counter() - started))
    app.close()
    return {"relay_events": events, "events_relayed_per_s": round(statistics.median(relayed)),
            "relayed_range": [round(min(relayed)), round(max(relayed))],
            "raw_produce_per_s": round(statistics.median(raw)), "raw_range": [round(min(raw)), round(max(raw))],
            "relay_ratio_to_raw": round(statistics.median(relayed) / statistics.median(raw), 3)}


def raw_rates(bootstrap: str) -> tuple[float, float]:
    """Baselines: kafka-python alone producing, then consuming, RAW_MESSAGES command-sized messages (per second)."""
    settings = settings_for(bootstrap)
    contract = uuid4()
    messages = [message(n, contract) for n in range(RAW_MESSAGES)]
    started = time.perf_counter()
    produce(settings, messages)
    produced = RAW_MESSAGES / (time.perf_counter() - started)
    consumer = settings.consumer(f"raw-{uuid4().hex[:8]}", settings.commands_topic)
    started, seen = time.perf_counter(), 0
    while seen < RAW_MESSAGES:
        seen += sum(len(records) for records in consumer.poll(timeout_ms=500).values())
        if time.perf_counter() - started > 300:
            raise TimeoutError("raw consume did not finish")
    consumed = RAW_MESSAGES / (time.perf_counter() - started)
    consumer.close()
    return produced, consumed


def main() -> None:
    port = tansu.free_port()
    broker = tansu.start(port)
    bootstrap = f"127.0.0.1:{port}"
    rows, results = [], {}
    try:
        produced, consumed_raw = raw_rates(bootstrap)
        results["baselines"] = {"raw_produce_per_s": round(produced), "raw_consume_per_s": round(consumed_raw)}
        rows.append(
            [
                "kafka-python alone",
                RAW_MESSAGES,
                f"{consumed_raw:,.0f} consumed",
                RAW_MESSAGES,
                f"{produced:,.0f} produced",
                "-",
                "-",
                "-",
            ]
        )
        for kind, url_of in (
            (("postgres", postgres_url),) if TINY else (("sqlite", sqlite_url), ("postgres", postgres_url))
        ):
            with url_of() as url:
                consumed = commands_per_s(StoreConfig(url), bootstrap)
            with url_of() as url:
                alone = commands_per_s(StoreConfig(url), bootstrap, group_commit=False)
            with url_of() as url:
                relay = relayed_per_s(StoreConfig(url), bootstrap)
            results[kind] = {"commands": COMMANDS, "commands_per_s": round(consumed),
                             "commands_per_s_one_at_a_time": round(alone),
                             "group_commit_ratio": round(consumed / alone, 3), **relay,
                             "targets": {"commands_per_s": 2000, "events_relayed_per_s": 10000,
                                         "relay_ratio_to_raw": 0.5}}
            rows.append([kind, COMMANDS, f"{consumed:,.0f} ({alone:,.0f} one at a time)", relay["relay_events"],
                         f"{relay['events_relayed_per_s']:,}", "{:,}-{:,}".format(*relay["relayed_range"]),
                         f"{relay['raw_produce_per_s']:,}", f"{relay['relay_ratio_to_raw']:.2f}"])
    finally:
        tansu.stop(broker)
    print_table(f"Kafka (Tansu on loopback, kafka-python, one consumer / one relay process; relay median of {RUNS})",
                ["store", "commands", "commands recorded/s (group commit)", "events", "events relayed/s", "range",
                 "raw produce/s", "relay / raw (target >= 0.5)"], rows)
    print(f"results: {write_results('kafka_throughput', results)}")


if __name__ == "__main__":
    main()
