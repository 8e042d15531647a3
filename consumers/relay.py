"""``ledger relay``: publishes every contract event to ``ledger.events``.

It follows the event store's notification log from its saved position, in
pages; each page's contract events are produced (key = contract id, value = the
``events.jsonl`` line, headers ``event_type``, ``schema_version``, ``hash``,
``account_id``) and only when the broker has acknowledged all of them is the
position moved past the page, in the relay's own table in the same database.

Guarantees:
1. No gap: an event's position is saved only after its publish is acknowledged.
2. Per-contract log order: one producer, one partition per key, idempotent
   producer (retries do not reorder).
3. A crash publishes the unsaved page again: duplicates carry the same
   contract id, version and hash, so consumers drop them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Sequence
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2

from application.service import LedgerApplication, is_contract_topic
from consumers.backoff import Backoff
from consumers.settings import KafkaSettings
from ledger.chain import ChainRecord
from ledger.errors import StoreUnavailable
from projections.db import Database

log = logging.getLogger(__name__)
PAGE_SIZE = 2000  # notifications per acknowledged page: fewer flushes (each waits for the broker)
IDLE_WAIT_S = 0.2
ACK_TIMEOUT_S = 30.0
ACCOUNTS_CACHED_MAX = 100_000
# Batches of up to 1 MB, filled for up to 20 ms, LZ4-compressed: a page goes out in a few requests per partition.
RELAY_BATCHING = {"linger_ms": 20, "batch_size": 1_048_576, "compression_type": "lz4"}
POSITION_DDL = "CREATE TABLE IF NOT EXISTS kafka_relay_position (name TEXT PRIMARY KEY, notification_id BIGINT NOT NULL)"
TRANSIENT = (StoreUnavailable, KafkaError, sqlite3.Error, psycopg.Error)


class RelayPosition:
    """The last notification id whose event the broker acknowledged, per relay name."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        db.execute(POSITION_DDL)

    def get(self) -> int:
        row = self.db.fetchone("SELECT notification_id FROM kafka_relay_position WHERE name = ?", (self.name,))
        return int(row[0]) if row else 0

    def reopen(self) -> None:
        """A new handle after the database went away (on PostgreSQL the pool replaces dropped connections itself)."""
        with contextlib.suppress(sqlite3.Error, psycopg.Error):
            self.db.close()
        try:
            self.db = Database(self.db.store)
        except (sqlite3.Error, psycopg.Error) as error:
            log.warning("relay position database still unavailable: %s", error)

    def set(self, notification_id: int) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM kafka_relay_position WHERE name = ?", (self.name,))
            self.db.execute("INSERT INTO kafka_relay_position VALUES (?, ?)", (self.name, notification_id))


def event_message(record: ChainRecord, account_id: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of one event on ``ledger.events``."""
    # Byte for byte a line of events.jsonl (evidence.bundle.events_jsonl) without its newline: compact, sorted, ASCII.
    value = json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("utf-8")
    headers = [("event_type", record.event_type), ("schema_version", str(record.schema_version)),
               ("hash", record.hash), ("account_id", account_id)]
    return record.contract_id.encode(), value, [(k, v.encode("utf-8")) for k, v in headers]


class EventRelay:
    def __init__(self, app: LedgerApplication, settings: KafkaSettings, db: Database, *,
                 name: str | None = None, page_size: int = PAGE_SIZE, backoff: Backoff | None = None) -> None:
        self.app = app
        self.settings = settings
        self.position = RelayPosition(db, name or settings.events_topic)
        self.page_size = page_size
        self.backoff = backoff or Backoff()
        self.accounts: dict[str, str] = {}
        self.partitions: dict[bytes, int] = {}  # per key, for the current producer (its topic metadata)
        self.published = 0
        self.producer: KafkaProducer | None = None  # opened on first use, renewed after a broker failure

    def run(self, stop: threading.Event) -> int:
        """Relay until ``stop`` is set; returns the number of events published."""
        self.settings.ensure_topics(self.settings.events_topic)
        try:
            while not stop.is_set():
                self.step(stop)
        finally:
            self.drop_producer(timeout_s=5)
        return self.published

    def drop_producer(self, timeout_s: float = 0) -> None:
        if self.producer is not None:
            self.producer.close(timeout=timeout_s)
            self.producer = None
            self.partitions.clear()

    def step(self, stop: threading.Event) -> None:
        try:
            relayed = self.relay_page()
        except TRANSIENT as error:
            log.warning("relay paused (%s): %s", type(error).__name__, error)
            if isinstance(error, KafkaError):
                self.drop_producer()  # a broker restart breaks an idempotent producer for good
            elif not isinstance(error, StoreUnavailable):
                self.position.reopen()
            self.backoff.pause(stop)
            return
        self.backoff.reset()
        if relayed == 0:
            stop.wait(IDLE_WAIT_S)

    def relay_page(self) -> int:
        """Publish the next page of the log; return how many notifications it held.

        The page's messages go out in the producer's batches (linger, compression); the position moves past the page
        only after the broker acknowledged every one of them."""
        start = self.position.get() + 1
        page: Sequence[Notification] = self.app.guarded(self.app.recorder.select_notifications, start, self.page_size)
        if not page:
            return 0
        records = [self.app.chain_record(n) for n in page if is_contract_topic(n.topic)]
        self.learn_accounts(records)
        producer = self.producer = self.producer or self.settings.producer(**RELAY_BATCHING)
        topic = self.settings.events_topic
        futures = []
        for record in records:
            key, value, headers = event_message(record, self.accounts[record.contract_id])
            futures.append(producer.send(topic, key=key, value=value, headers=headers,
                                         partition=self.partition_of(producer, topic, key)))
        producer.flush(timeout=ACK_TIMEOUT_S)
        for future in futures:
            future.get(timeout=ACK_TIMEOUT_S)  # raises the delivery error, if any
        self.position.set(page[-1].id)
        self.published += len(futures)
        return len(page)

    def learn_accounts(self, records: list[ChainRecord]) -> None:
        """The account of every contract in the page: from its first event when that is in the page, else read."""
        if len(self.accounts) >= ACCOUNTS_CACHED_MAX:
            self.accounts.clear()
        for record in records:
            if record.version == 1:
                self.accounts[record.contract_id] = str(record.payload.get("account_id", ""))
        for contract_id in dict.fromkeys(r.contract_id for r in records if r.contract_id not in self.accounts):
            first = self.app.guarded(self.app.recorder.select_events, UUID(contract_id), lte=1)
            self.accounts[contract_id] = str(self.app.decode_state(first[0]).get("account_id", ""))

    def partition_of(self, producer: KafkaProducer, topic: str, key: bytes) -> int:
        """The partition kafka-python's default partitioner picks for ``key`` (murmur2 of the key over the sorted
        partitions, as the Java client does), remembered per key for this producer: a contract's events share a
        key, and the pure-Python hash costs more than the rest of a send."""
        partition = self.partitions.get(key)
        if partition is None:
            every = sorted(producer.partitions_for(topic))
            if len(self.partitions) >= ACCOUNTS_CACHED_MAX:
                self.partitions.clear()
            partition = self.partitions[key] = every[(murmur2(key) & 0x7FFFFFFF) % len(every)]
        return partition
