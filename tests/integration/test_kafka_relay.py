"""The event relay against a real broker: every contract event on the events topic, in order, no gaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from uuid import uuid4

from kafka.consumer.fetcher import ConsumerRecord

from application.service import LedgerApplication
from consumers.relay import EventRelay, RelayPosition
from consumers.settings import KafkaSettings
from evidence.bundle import events_jsonl
from infrastructure.store import StoreConfig
from ledger.contract import Contract
from projections.db import Database
from tests.factories import terms
from tests.kafka import in_thread, read_topic, read_until

CONTRACTS = 200
EVENTS_PER_CONTRACT = 25  # signed + 24 communications: 5,000 events in all
LEDGER = str(Path(sys.executable).with_name("ledger"))


def record_contracts(app: LedgerApplication, count: int = CONTRACTS, account_id: str = "acct") -> dict[str, list[str]]:
    """Sign ``count`` contracts with 24 logged communications each; return each contract's hashes by version."""
    hashes: dict[str, list[str]] = {}
    for _ in range(count):
        contract = Contract.sign(contract_id=uuid4(), account_id=account_id, **terms())
        for day in range(1, EVENTS_PER_CONTRACT):
            contract.log_communication(occurred_on=date(2026, 2, day), direction="outbound", channel="email",
                                       summary=f"Update {day}")
        app.save(contract)
        hashes[str(contract.id)] = [r.hash for r in app.chain_records(contract.id)]
    return hashes


def by_contract(records: list[ConsumerRecord]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        grouped[record.key.decode()].append(json.loads(record.value))
    return grouped


def first_sightings(events: list[dict]) -> list[dict]:
    """Drop redelivered duplicates the way a consumer would: by (version, hash), keeping the first."""
    seen: set[tuple[int, str]] = set()
    kept = []
    for event in events:
        if (event["version"], event["hash"]) not in seen:
            seen.add((event["version"], event["hash"]))
            kept.append(event)
    return kept


def test_five_thousand_events_across_two_hundred_contracts_arrive_in_order_with_the_stores_hashes(
    store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(store, create_tables=True)
    expected = record_contracts(app)
    relay = EventRelay(app, kafka_settings, Database(store))
    with in_thread(relay.run):
        records = read_topic(kafka_settings, kafka_settings.events_topic, CONTRACTS * EVENTS_PER_CONTRACT)

    assert len(records) == CONTRACTS * EVENTS_PER_CONTRACT
    received = by_contract(records)
    assert set(received) == set(expected)
    for contract_id, events in received.items():
        assert [e["version"] for e in events] == list(range(1, EVENTS_PER_CONTRACT + 1))
        assert [e["hash"] for e in events] == expected[contract_id]
        assert all(e["contract_id"] == contract_id for e in events)


def test_every_event_carries_its_type_schema_version_hash_and_account_in_headers(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    record_contracts(app, count=1, account_id="acct-headers")
    with in_thread(EventRelay(app, kafka_settings, Database(sqlite_store)).run):
        records = read_topic(kafka_settings, kafka_settings.events_topic, EVENTS_PER_CONTRACT)

    first = min(records, key=lambda r: json.loads(r.value)["version"])
    headers = dict(first.headers)
    value = json.loads(first.value)
    assert headers == {"event_type": b"ContractSigned", "schema_version": b"1", "hash": value["hash"].encode(),
                       "account_id": b"acct-headers"}
    assert value["type"] == "ContractSigned"
    assert {h[0] for r in records for h in r.headers} == {"event_type", "schema_version", "hash", "account_id"}
    assert all(dict(r.headers)["account_id"] == b"acct-headers" for r in records)


def relay_process(store: StoreConfig, settings: KafkaSettings, page_size: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEDGER_DATABASE_URL": store.url, "LEDGER_KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
           "LEDGER_KAFKA_EVENTS_TOPIC": settings.events_topic, "LEDGER_KAFKA_PARTITIONS": str(settings.partitions)}
    with log.open("ab") as sink:
        return subprocess.Popen([LEDGER, "relay", "--page-size", str(page_size)], env=env, stdout=sink, stderr=sink)


def test_a_relay_killed_mid_way_and_restarted_leaves_no_gap(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    expected = record_contracts(app, count=100)
    total = 100 * EVENTS_PER_CONTRACT
    # Small pages (one acknowledged produce and one position write each) so the kill lands part-way.
    first = relay_process(sqlite_store, kafka_settings, 5, tmp_path / "relay.log")
    try:
        read_topic(kafka_settings, kafka_settings.events_topic, 300)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    saved = RelayPosition(Database(sqlite_store), kafka_settings.events_topic).get()
    assert saved < (app.recorder.max_notification_id() or 0), "the relay must be killed part-way through"
    second = relay_process(sqlite_store, kafka_settings, 5, tmp_path / "relay.log")
    try:
        records = read_until(kafka_settings, kafka_settings.events_topic,
                             lambda got: len({(r.key, json.loads(r.value)["version"]) for r in got}) >= total)
    finally:
        second.terminate()
        second.wait(timeout=15)

    received = by_contract(records)
    for contract_id, hashes in expected.items():
        events = first_sightings(received[contract_id])
        assert [e["version"] for e in events] == list(range(1, EVENTS_PER_CONTRACT + 1))
        assert [e["hash"] for e in events] == hashes


def test_each_message_value_is_byte_for_byte_the_events_jsonl_line_of_its_event(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    contract = Contract.sign(contract_id=uuid4(), account_id="acct-bytes", **terms())
    contract.log_communication(occurred_on=date(2026, 2, 1), direction="outbound", channel="email",
                               summary="Café: naïve “quotes”, an emoji 🎉 and a line separator \u2028 here")
    app.save(contract)
    with in_thread(EventRelay(app, kafka_settings, Database(sqlite_store)).run):
        records = read_topic(kafka_settings, kafka_settings.events_topic, 2)

    lines = events_jsonl(list(app.chain_records(contract.id))).split(b"\n")[:-1]
    assert sorted(r.value for r in records) == sorted(lines)
    assert len(lines) == 2
