"""``ledger consume``: the consumer group on ``ledger.commands``.

Guarantees:
1. An offset is committed only after every message before it in its partition
   was recorded (or replayed) in the event store, or dead-lettered with the
   dead-letter produce acknowledged by the broker.
2. A transient failure (``StoreUnavailable``, ``VersionConflict``, a raw
   database connection error, a broker error while producing a dead letter) is
   never dead-lettered: the partition is rewound to the failed message and
   retried after a bounded, growing pause; nothing after it is committed meanwhile.
3. Any other exception is a dead letter with code ``internal_error``: a poison
   message never blocks its partition.
4. Redelivery after a crash is harmless: ``message_id`` is the idempotency key.
5. Group commit: the commands of one poll on different contracts are loaded and
   applied one by one, then saved in ONE transaction (``application.group_commit``).
   Anything else (a message that is not a command, a signing, a command the
   ledger refuses, a store error) first saves the group so far, then runs alone
   exactly as without grouping. A second command on a contract is applied to
   the contract object the first left; a second invoice of one account (which
   shares its number sequence) first saves the group so far: results and order
   are those of one-at-a-time execution.
   When the group's save fails (a conflict with another writer, a store error),
   nothing of it was stored and each of its commands runs alone. Offsets are
   committed after the poll's groups are durable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import InvalidRecordError, KafkaError, MessageSizeTooLargeError
from kafka.structs import OffsetAndMetadata

from application.group_commit import Prepared
from application.service import LedgerApplication
from consumers.backoff import Backoff
from consumers.commands import CommandHandler
from consumers.dead_letters import TRANSIENT, DeadLetter, dead_letter_record, from_unexpected
from consumers.settings import KafkaSettings
from ledger.commands import IssueInvoice, SignContract
from ledger.contract import Contract
from schemas.commands import COMMAND_SCHEMAS

log = logging.getLogger(__name__)
BATCH_MAX = 200
POLL_TIMEOUT_MS = 500
ACK_TIMEOUT_S = 15.0
COMMIT_TIMEOUT_MS = 10_000


@dataclass
class Counts:
    applied: int = 0
    replayed: int = 0
    dead_lettered: int = 0
    retried: int = 0
    groups_saved: int = 0
    groups_fallen_back: int = 0
    by_code: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    """Commands of one poll prepared and not saved yet.

    Commands on one contract (of one account) are applied in order to the same contract object; an account's
    invoice-number sequence is claimed by at most one command of the group (it is loaded from the store). A
    command refused after it changed its shared contract object (no command does: guards run before events)
    spoils the group: it is then not saved, and each of its commands runs alone.
    """

    records: list[ConsumerRecord] = field(default_factory=list)
    prepared: list[Prepared] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    contracts: dict[str, Contract] = field(default_factory=dict)
    spoiled: bool = False
    locks: ExitStack = field(default_factory=ExitStack)  # each contract's lock, from its load to the group's save

    def add(self, record: ConsumerRecord, prepared: Prepared, keys: set[str]) -> None:
        self.records.append(record)
        self.prepared.append(prepared)
        self.keys |= keys
        self.contracts[str(prepared.contract.id)] = prepared.contract

    def take(self) -> tuple[list[ConsumerRecord], list[Prepared], bool, ExitStack]:
        taken = self.records, self.prepared, self.spoiled, self.locks
        self.records, self.prepared, self.keys, self.contracts, self.spoiled = [], [], set(), {}, False
        self.locks = ExitStack()
        return taken


def group_keys(account_id: str, command: object) -> set[str]:
    """What a command claims that another command of the group must not: its account's invoice numbers."""
    return {f"invoices:{account_id}"} if isinstance(command, IssueInvoice) else set()


def partition_of(record: ConsumerRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


class Rewind(Exception):
    """Raised inside a batch to stop it and re-read from the first unfinished message."""


class CommandConsumer:
    def __init__(self, app: LedgerApplication, settings: KafkaSettings, schemas: Mapping[str, Any] = COMMAND_SCHEMAS,
                 *, batch_max: int = BATCH_MAX, backoff: Backoff | None = None, group_commit: bool = True) -> None:
        """``group_commit=False`` runs each command alone (the benchmark's same-run baseline)."""
        self.handler = CommandHandler(app, schemas)
        self.group_commit = group_commit
        self.settings = settings
        self.batch_max = batch_max
        self.backoff = backoff or Backoff()
        self.counts = Counts()
        self.consumer: KafkaConsumer  # opened by run()
        self.producer: KafkaProducer | None = None  # opened on first dead letter, renewed after a broker failure

    def run(self, stop: threading.Event) -> Counts:
        """Consume until ``stop`` is set; close the clients on the way out."""
        self.settings.ensure_topics(self.settings.commands_topic, self.settings.dlq_topic)
        self.consumer = self.settings.consumer(self.settings.consumer_group, self.settings.commands_topic,
                                               max_poll_records=self.batch_max)
        log.info("consuming %s as group %s", self.settings.commands_topic, self.settings.consumer_group)
        try:
            while not stop.is_set():
                self.poll_once(stop)
        finally:
            self.consumer.close(autocommit=False)
            self.drop_producer(timeout_s=5)
        return self.counts

    def poll_once(self, stop: threading.Event) -> None:
        batch = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
        done: dict[TopicPartition, int] = {}
        group = Group()
        try:
            for records in batch.values():
                for record in records:
                    self.take(record, group, done)
            self.flush(group, done)
        except Rewind:
            self.rewind(batch, done)
            self.commit(done)
            self.backoff.pause(stop)
            return
        self.commit(done)
        self.backoff.reset()

    def take(self, record: ConsumerRecord, group: Group, done: dict[TopicPartition, int]) -> None:
        """Add the record's command to the group, or save the group and run the record alone."""
        if not (self.group_commit and self.prepare_into(record, group, done)):
            self.flush(group, done)
            self.process(record)
            done[partition_of(record)] = record.offset + 1

    def prepare_into(self, record: ConsumerRecord, group: Group, done: dict[TopicPartition, int]) -> bool:
        """Load and apply the record's command into the group; False when it must run alone."""
        try:
            envelope, command = self.handler.parse(record.value)
        except Exception:  # noqa: BLE001 - not a command: run alone, process() dead-letters it as it always did
            return False
        if isinstance(command, SignContract) or envelope.contract_id is None:
            return False
        contract = group.contracts.get(str(envelope.contract_id))
        keys = group_keys(envelope.account_id, command)
        foreign = contract is not None and contract.account_id != envelope.account_id  # refused alone, below
        if keys & group.keys or foreign:
            self.flush(group, done)  # the group so far first: this command must see its effects
            contract = None
        app = self.handler.app
        if contract is None:  # writers change the cached contract in place: hold its lock until the group is saved
            group.locks.enter_context(app.contract_locks.hold(str(envelope.contract_id)))
        earlier = len(contract.pending_events) if contract is not None else 0
        try:
            prepared = app.prepare(envelope.account_id, envelope.contract_id, command,
                                   idempotency_key=envelope.message_id, contract=contract)
        except Exception:  # noqa: BLE001 - refused, store error or bug: run alone, exactly as without grouping
            if contract is None:
                app.forget_unsaved(envelope.contract_id)  # it may hold a half-done change: the next load rebuilds it
            elif len(contract.pending_events) != earlier:
                group.spoiled = True  # changed half-way: the group's object of this contract is not to be saved
            return False
        group.add(record, prepared, keys)
        return True

    def flush(self, group: Group, done: dict[TopicPartition, int]) -> None:
        """Save the group in one transaction; if that fails nothing was stored: run each of its commands alone."""
        records, prepared, spoiled, locks = group.take()
        with locks:
            saved = bool(records) and self.save_group(prepared, spoiled)
        if not records:
            return
        if saved:
            self.counts.applied += len(records)
            self.counts.groups_saved += 1
            for record in records:
                done[partition_of(record)] = record.offset + 1
            return
        self.counts.groups_fallen_back += 1
        log.info("a group of %d commands was not saved (a conflict or a store error): each runs alone", len(records))
        for record in records:
            self.process(record)
            done[partition_of(record)] = record.offset + 1

    def save_group(self, prepared: list[Prepared], spoiled: bool) -> bool:
        """True when the group is durable; else nothing of it was stored and its cached contracts are dropped."""
        app = self.handler.app
        try:
            saved = not spoiled and app.save_prepared(prepared)
        except Exception:  # a bug in the group's save: nothing was stored; alone, each is dead-lettered or recorded
            log.exception("the save of a group of %d commands failed unexpectedly", len(prepared))
            saved = False
        if not saved:
            for contract_id in {str(p.contract.id) for p in prepared}:
                app.forget_unsaved(contract_id)  # their cached objects hold the group's unsaved changes
        return saved

    def process(self, record: ConsumerRecord) -> None:
        try:
            result = self.handler.handle(record.value)
        except TRANSIENT as error:
            self.counts.retried += 1
            log.warning("transient failure at %s/%s@%s, will retry: %s", record.topic, record.partition,
                        record.offset, error)
            raise Rewind from error
        except DeadLetter as dead:
            self.dead_letter(dead, record)
            return
        except Exception as error:  # a poison message must not block its partition: dead-letter it, loudly
            log.exception("unexpected error at %s/%s@%s", record.topic, record.partition, record.offset)
            self.dead_letter(from_unexpected(error), record)
            return
        if result.replayed:
            self.counts.replayed += 1
        else:
            self.counts.applied += 1

    def dead_letter(self, dead: DeadLetter, record: ConsumerRecord) -> None:
        try:
            self.produce_letter(dead, record, drop_value=False)
        except (MessageSizeTooLargeError, InvalidRecordError) as error:
            # The record itself is refused, not the broker unreachable: retrying it would block the partition.
            log.warning("dead letter refused (%s): producing it without its value", error)
            self.produce_letter(dead, record, drop_value=True)
        self.counts.dead_lettered += 1
        self.counts.by_code[dead.code] = self.counts.by_code.get(dead.code, 0) + 1
        log.info("dead-lettered %s/%s@%s: %s %s", record.topic, record.partition, record.offset, dead.code,
                 dead.message)

    def produce_letter(self, dead: DeadLetter, record: ConsumerRecord, *, drop_value: bool) -> None:
        """Produce the dead letter and wait for the acknowledgement; a broker failure rewinds."""
        letter = dead_letter_record(dead, record, drop_value=drop_value)
        try:
            self.producer = self.producer or self.settings.producer()
            future = self.producer.send(self.settings.dlq_topic, key=letter.key, value=letter.value,
                                        headers=letter.headers)
            future.get(timeout=ACK_TIMEOUT_S)
        except (MessageSizeTooLargeError, InvalidRecordError) as error:
            if drop_value:  # even without its value (a huge key or headers): keep the message, retry, say so
                log.error("dead letter refused even without its value, will retry: %s", error)
                raise Rewind from error
            raise
        except KafkaError as error:
            log.warning("dead-letter produce failed, will retry: %s", error)
            self.drop_producer()  # a broker restart breaks an idempotent producer for good
            raise Rewind from error

    def drop_producer(self, timeout_s: float = 0) -> None:
        if self.producer is not None:
            self.producer.close(timeout=timeout_s)
            self.producer = None

    def rewind(self, batch: dict[TopicPartition, list[ConsumerRecord]], done: dict[TopicPartition, int]) -> None:
        assigned = self.consumer.assignment()  # a partition revoked meanwhile is re-read by its new owner
        for partition, records in batch.items():
            first_unfinished = done.get(partition, records[0].offset)
            if first_unfinished <= records[-1].offset and partition in assigned:
                self.consumer.seek(partition, first_unfinished)

    def commit(self, done: dict[TopicPartition, int]) -> None:
        if not done:
            return
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in done.items()}
        try:
            self.consumer.commit(offsets, timeout_ms=COMMIT_TIMEOUT_MS)
        except KafkaError as error:
            # Not fatal: the work is recorded; a later commit covers it, or a redelivery replays idempotently.
            log.warning("offset commit failed: %s", error)

