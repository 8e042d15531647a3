"""The command consumer against a real broker: applied, idempotent, and dead letters for what is refused."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import marshmallow
import pytest
from kafka import KafkaConsumer, TopicPartition

from application.service import LedgerApplication
from consumers.backoff import Backoff
from consumers.command_consumer import CommandConsumer
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from schemas.commands import COMMAND_SCHEMAS, LogCommunicationSchema
from tests.factories import as_command, money, signing, terms
from tests.kafka import command, in_thread, produce, read_topic, wait_until

ACCOUNT = "acct-kafka"
THIRD = 100_000  # EUR 1,000.00: the factory's milestone amount


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def signed_and_invoiced(app: LedgerApplication, account_id: str = ACCOUNT) -> UUID:
    """A EUR contract with its advance invoiced: 100,000 outstanding."""
    result = app.sign_contract(account_id, signing(terms()), idempotency_key=f"sign-{uuid4()}")
    contract_id = UUID(result.contract_id)
    app.execute(account_id, contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                idempotency_key=f"invoice-{uuid4()}")
    return contract_id


def payment(payment_id: str, amount: int, currency: str = "EUR") -> dict[str, Any]:
    return {"payment_id": payment_id, "occurred_on": "2026-01-10", "amount": money(amount, currency)}


@pytest.fixture
def store_app(store: StoreConfig) -> Iterator[LedgerApplication]:
    """The application on each store (SQLite and PostgreSQL); the consumer opens its own on the same store."""
    application = LedgerApplication(store, create_tables=True)
    yield application
    application.close()


def test_a_payment_command_produced_to_the_commands_topic_shows_up_in_the_contract_summary(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    contract_id = signed_and_invoiced(store_app)
    message = command("pay-1", ACCOUNT, "record_payment", contract_id, payment("bank-1", 40_000))
    produce(kafka_settings, kafka_settings.commands_topic, [(str(contract_id).encode(), message)])

    def paid() -> int:
        return int(store_app.summary(ACCOUNT, contract_id, date(2026, 2, 1))["paid"]["amount"])

    with in_thread(CommandConsumer(LedgerApplication(store_app.store), kafka_settings).run):
        wait_until(lambda: paid() == 40_000)
    summary = store_app.summary(ACCOUNT, contract_id, date(2026, 2, 1))
    assert summary["outstanding"]["amount"] == THIRD - 40_000


def test_the_same_message_produced_three_times_records_one_payment(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    contract_id = signed_and_invoiced(store_app)
    message = command("pay-once", ACCOUNT, "record_payment", contract_id, payment("bank-once", 25_000))
    marker = command("after", ACCOUNT, "log_communication", contract_id,
                     {"occurred_on": "2026-01-11", "direction": "outbound", "channel": "email", "summary": "thanks"})
    key = str(contract_id).encode()
    produce(kafka_settings, kafka_settings.commands_topic, [(key, message)] * 3 + [(key, marker)])

    consumer = CommandConsumer(LedgerApplication(store_app.store), kafka_settings)
    with in_thread(consumer.run):
        wait_until(lambda: store_app.get_contract(ACCOUNT, contract_id).version == 4)
    types = [r.event_type for r in store_app.chain_records(contract_id)]
    assert types == ["ContractSigned", "InvoiceIssued", "PaymentReceived", "CommunicationLogged"]
    assert store_app.summary(ACCOUNT, contract_id, date(2026, 2, 1))["paid"]["amount"] == 25_000
    assert (consumer.counts.applied, consumer.counts.replayed, consumer.counts.dead_lettered) == (2, 2, 0)


def bad_messages(contract_id: UUID, foreign_id: UUID) -> list[tuple[str, bytes]]:
    """(expected error code, value): one of each kind the consumer must refuse."""
    cid = str(contract_id)
    return [
        ("invalid_json", b'{"message_id": "broken'),
        ("invalid_envelope", b'["not", "an", "object"]'),
        ("unknown_type", command("bad-type", ACCOUNT, "transfer_funds", cid, {})),
        ("validation_error", command("bad-schema", ACCOUNT, "record_payment", cid,
                                     {"payment_id": "x", "occurred_on": "2026-01-10", "amount": {"amount": "12", "currency": "EUR"}})),
        ("contract_not_found", command("bad-owner", ACCOUNT, "record_payment", foreign_id, payment("bank-f", 1_000))),
        # zero is refused by the command schema (PositiveMoney, as the document states), before the domain's own check
        ("validation_error", command("bad-zero", ACCOUNT, "record_payment", cid, payment("bank-zero", 0))),
        ("currency_mismatch", command("bad-currency", ACCOUNT, "record_payment", cid, payment("bank-usd", 1_000, "USD"))),
        ("overpayment", command("bad-over", ACCOUNT, "record_payment", cid, payment("bank-over", 10 * THIRD))),
        ("already_exists", command("bad-dup-payment", ACCOUNT, "record_payment", cid, payment("good-1", 1_000))),
        ("idempotency_conflict", command("good-1", ACCOUNT, "record_payment", cid, payment("good-1-other", 2_000))),
        ("invalid_transition", command("bad-accept", ACCOUNT, "accept_milestone", cid,
                                       {"key": "prototype", "occurred_on": "2026-01-12"})),
    ]


def test_each_kind_of_bad_message_lands_in_the_dead_letter_topic_while_good_ones_around_it_apply_in_order(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    contract_id = signed_and_invoiced(store_app)
    foreign_id = signed_and_invoiced(store_app, account_id="someone-else")
    foreign_version = store_app.get_contract("someone-else", foreign_id).version
    bad = bad_messages(contract_id, foreign_id)
    key = str(contract_id).encode()
    messages: list[tuple[bytes | None, bytes]] = []
    for index, (_code, value) in enumerate(bad, start=1):
        messages.append((key, command(f"good-{index}", ACCOUNT, "record_payment", contract_id,
                                      payment(f"good-{index}", 1_000))))
        messages.append((key, value))
    messages.append((key, command("good-last", ACCOUNT, "record_payment", contract_id, payment("good-last", 1_000))))
    produce(kafka_settings, kafka_settings.commands_topic, messages, headers=[("trace", b"t-1")])

    with in_thread(CommandConsumer(LedgerApplication(store_app.store), kafka_settings).run):
        letters = read_topic(kafka_settings, kafka_settings.dlq_topic, len(bad))
        wait_until(lambda: store_app.get_contract(ACCOUNT, contract_id).version == 2 + len(bad) + 1)

    assert [dict(r.headers)["error_code"].decode() for r in letters] == [code for code, _ in bad]
    assert [r.value for r in letters] == [value for _, value in bad]
    source_offsets = [int(dict(r.headers)["source_offset"]) for r in letters]
    assert source_offsets == sorted(source_offsets)
    for letter in letters:
        headers = dict(letter.headers)
        assert letter.key == key
        assert headers["trace"] == b"t-1"
        assert headers["source_topic"].decode() == kafka_settings.commands_topic
        assert headers["error_message"]
    records = list(store_app.chain_records(contract_id))
    assert [r.payload.get("payment_id") for r in records[2:]] == [f"good-{i}" for i in range(1, len(bad) + 1)] + ["good-last"]
    assert store_app.summary(ACCOUNT, contract_id, date(2026, 2, 1))["paid"]["amount"] == 1_000 * (len(bad) + 1)
    assert store_app.get_contract("someone-else", foreign_id).version == foreign_version


def test_a_contract_can_be_signed_over_kafka_with_the_id_the_message_names(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    contract_id = uuid4()
    message = command("sign-over-kafka", ACCOUNT, "sign_contract", contract_id, jsonable(terms()))
    produce(kafka_settings, kafka_settings.commands_topic, [(str(contract_id).encode(), message)] * 2)
    with in_thread(CommandConsumer(LedgerApplication(store_app.store), kafka_settings).run):
        wait_until(lambda: contract_id in store_app.repository)
    assert [r.event_type for r in store_app.chain_records(contract_id)] == ["ContractSigned"]
    assert store_app.get_contract(ACCOUNT, contract_id).total == 3 * THIRD


def committed_offset(settings: KafkaSettings, partition: int) -> int | None:
    probe = KafkaConsumer(**settings.common(), group_id=settings.consumer_group, enable_auto_commit=False)
    try:
        return probe.committed(TopicPartition(settings.commands_topic, partition))
    finally:
        probe.close(autocommit=False)


def test_a_store_that_stays_unavailable_is_retried_never_dead_lettered_and_no_offset_is_committed_past_it(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    contract_id = signed_and_invoiced(app)
    key = str(contract_id).encode()
    consumer = CommandConsumer(LedgerApplication(sqlite_store), kafka_settings, backoff=Backoff(first_s=0.1, max_s=0.5))
    with in_thread(consumer.run):
        produce(kafka_settings, kafka_settings.commands_topic,
                [(key, command("before", ACCOUNT, "record_payment", contract_id, payment("bank-a", 1_000)))])
        wait_until(lambda: app.get_contract(ACCOUNT, contract_id).version == 3)
        first = read_topic(kafka_settings, kafka_settings.commands_topic, 1)[0]
        wait_until(lambda: committed_offset(kafka_settings, first.partition) == first.offset + 1)
        # An exclusive lock held longer than the store's lock timeout: every write fails with StoreUnavailable.
        lock = sqlite3.connect(sqlite_store.sqlite_path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            produce(kafka_settings, kafka_settings.commands_topic,
                    [(key, command("during", ACCOUNT, "record_payment", contract_id, payment("bank-b", 2_000)))])
            wait_until(lambda: consumer.counts.retried >= 1, timeout_s=30)
            assert committed_offset(kafka_settings, first.partition) == first.offset + 1
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        wait_until(lambda: app.get_contract(ACCOUNT, contract_id).version == 4)
        wait_until(lambda: committed_offset(kafka_settings, first.partition) == first.offset + 2)
    assert consumer.counts.dead_lettered == 0
    assert [r.payload.get("payment_id") for r in app.chain_records(contract_id)][2:] == ["bank-a", "bank-b"]


class LooseCommunicationSchema(LogCommunicationSchema):
    """Lets an unknown field through to the application: a schema bug the consumer must survive."""

    class Meta:
        unknown = marshmallow.INCLUDE


def test_a_message_whose_handling_raises_an_unexpected_error_is_dead_lettered_as_internal_error_and_the_next_applies(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    contract_id = signed_and_invoiced(app)
    key = str(contract_id).encode()
    note = {"occurred_on": "2026-01-11", "direction": "outbound", "channel": "email", "summary": "thanks"}
    poison = command("poison", ACCOUNT, "log_communication", contract_id, {**note, "surprise": True})
    good = command("after-poison", ACCOUNT, "log_communication", contract_id, note)
    produce(kafka_settings, kafka_settings.commands_topic, [(key, poison), (key, good)])

    schemas = {**COMMAND_SCHEMAS, "log_communication": LooseCommunicationSchema}
    consumer = CommandConsumer(LedgerApplication(sqlite_store), kafka_settings, schemas)
    with in_thread(consumer.run):
        letters = read_topic(kafka_settings, kafka_settings.dlq_topic, 1, timeout_s=30)
        wait_until(lambda: app.get_contract(ACCOUNT, contract_id).version == 3, timeout_s=30)

    assert [(dict(r.headers)["error_code"], r.value) for r in letters] == [(b"internal_error", poison)]
    assert b"TypeError" in dict(letters[0].headers)["error_message"]
    assert [r.event_type for r in app.chain_records(contract_id)] == ["ContractSigned", "InvoiceIssued",
                                                                      "CommunicationLogged"]
    assert (consumer.counts.applied, consumer.counts.dead_lettered, consumer.counts.retried) == (1, 1, 0)


def test_a_value_too_large_to_produce_again_is_dead_lettered_without_it_and_the_next_message_applies(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    contract_id = signed_and_invoiced(app)
    key = str(contract_id).encode()
    huge = b"x" * 1_200_000  # over the 1 MB the consumer accepts, and over the producer's request limit
    big_key = b"k" * 100_000  # with a value under 1 MB, still over the producer's 1 MiB request limit
    under = b"y" * 990_000
    producer = kafka_settings.producer(max_request_size=5_000_000)
    try:
        producer.send(kafka_settings.commands_topic, key=key, value=huge).get(timeout=30)
        producer.send(kafka_settings.commands_topic, key=big_key, value=under).get(timeout=30)
    finally:
        producer.close(timeout=5)
    produce(kafka_settings, kafka_settings.commands_topic,
            [(key, command("after-huge", ACCOUNT, "record_payment", contract_id, payment("bank-h", 1_000)))])

    consumer = CommandConsumer(LedgerApplication(sqlite_store), kafka_settings)
    with in_thread(consumer.run):
        letters = read_topic(kafka_settings, kafka_settings.dlq_topic, 2, timeout_s=30)
        wait_until(lambda: app.get_contract(ACCOUNT, contract_id).version == 3, timeout_s=30)

    assert sorted(len(r.key) for r in letters) == sorted([len(key), len(big_key)])
    for letter in letters:
        original = huge if letter.key == key else under
        headers = dict(letter.headers)
        assert letter.value is None
        assert headers["error_code"] == b"invalid_json"
        assert headers["value_dropped"] == b"true"
        assert headers["original_value_bytes"] == str(len(original)).encode()
        assert headers["original_value_sha256"].decode() == hashlib.sha256(original).hexdigest()
    assert app.summary(ACCOUNT, contract_id, date(2026, 2, 1))["paid"]["amount"] == 1_000
    assert consumer.counts.retried == 0
