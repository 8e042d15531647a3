"""``ledger project --source kafka``: read models fed from ``ledger.events`` instead of the local log.

One consumer group per read model. Each partition is its own ordered source
``kafka:<topic>:<partition>`` for the projector, whose position (kept in
``rm_tracking`` and moved in the same transaction as the read-model rows) is
the NEXT offset to read, Kafka's own commit convention, so 0 means "nothing
read yet". On assignment the consumer seeks every partition to that stored
position, so the group's committed offsets are only informative: a crash
between the read-model commit and the Kafka commit replays nothing twice.

Events on the topic are keyed by contract id and arrive in version order per
contract; the projector loads each contract's state at the event's version
from the event store (its documented ``event=None`` path), and a relay
duplicate (same contract and version) changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from uuid import UUID

import psycopg
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from application.service import LedgerApplication
from consumers.backoff import Backoff
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from ledger.errors import StoreUnavailable
from projections.db import Database
from projections.projector import Batch, ConcurrentRunner, ContractEvent, Projector

log = logging.getLogger(__name__)
BATCH_MAX = 1000
POLL_TIMEOUT_MS = 500
TRANSIENT = (StoreUnavailable, ConcurrentRunner, sqlite3.Error, psycopg.Error)


def source_name(partition: TopicPartition) -> str:
    return f"kafka:{partition.topic}:{partition.partition}"


def batch_of(partition: TopicPartition, records: list[ConsumerRecord]) -> Batch:
    """Records of one partition as a projector batch; positions are next offsets (offset + 1)."""
    batch = Batch(source_name(partition), records[-1].offset + 1)
    for record in records:
        event = json.loads(record.value)
        batch.events.append(ContractEvent(record.offset + 1, UUID(event["contract_id"]), int(event["version"])))
    return batch


class SeekToStoredPositions(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, projection: KafkaProjection) -> None:
        self.projection = projection

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        for partition in assigned:
            self.projection.seek_stored(partition)

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        pass  # positions are already in the read-model database


class KafkaProjection:
    """One read model, its own consumer group, fed from the events topic."""

    def __init__(self, app: LedgerApplication, store: StoreConfig, settings: KafkaSettings, name: str,
                 *, batch_max: int = BATCH_MAX) -> None:
        self.app, self.store, self.settings, self.name = app, store, settings, name
        self.batch_max = batch_max
        self.projector = Projector(app, Database(store), [name])
        self.backoff = Backoff()
        self.applied = 0
        self.consumer: KafkaConsumer  # opened by run()

    def run(self, stop: threading.Event) -> int:
        self.settings.ensure_topics(self.settings.events_topic)
        group = self.settings.projection_group_prefix + self.name
        self.consumer = self.settings.consumer(group, max_poll_records=self.batch_max)
        self.consumer.subscribe([self.settings.events_topic], listener=SeekToStoredPositions(self))
        log.info("projecting %s from %s as group %s", self.name, self.settings.events_topic, group)
        try:
            while not stop.is_set():
                self.step(stop)
        finally:
            self.consumer.close(autocommit=False)
            self.projector.db.close()
        return self.applied

    def step(self, stop: threading.Event) -> None:
        polled = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
        pending = dict(polled)
        try:
            for partition, records in polled.items():
                self.applied += self.projector.apply(batch_of(partition, records))
                del pending[partition]
        except TRANSIENT as error:
            log.warning("projection %s paused (%s): %s", self.name, type(error).__name__, error)
            assigned = self.consumer.assignment()
            for partition, records in pending.items():
                if partition in assigned:  # read again; the stored position skips what was applied
                    self.consumer.seek(partition, records[0].offset)
            self.reopen()
            self.backoff.pause(stop)
            return
        self.backoff.reset()
        self.commit_informative(polled)

    def seek_stored(self, partition: TopicPartition) -> None:
        position = self.projector.positions(source_name(partition))[self.name]
        self.consumer.seek(partition, position)

    def reopen(self) -> None:
        """A fresh connection once the database is back; until then the next step fails and pauses again."""
        with contextlib.suppress(sqlite3.Error, psycopg.Error):
            self.projector.db.close()
        try:
            self.projector = Projector(self.app, Database(self.store), [self.name])
        except TRANSIENT as error:
            log.warning("read-model database still unavailable: %s", error)

    def commit_informative(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Group offsets for lag tools; the read-model transaction is the real position."""
        if not polled:
            return
        offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in polled.items()}
        try:
            self.consumer.commit(offsets, timeout_ms=5000)
        except KafkaError as error:
            log.info("informative offset commit failed: %s", error)
