"""Group commit on both stores: a refused command in a group, a conflict in a group, HTTP threads sharing saves.

The Kafka tests produce every message to one partition (one key) before the
consumer starts, so its first poll holds them all; the counts of groups saved
and fallen back say which path ran. Expected results are computed from the
stored events (the event at a result's version must be the command's own, with
the result's hash), never from the code under test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.group_commit import Prepared
from application.idempotency import CommandResult
from application.service import LedgerApplication
from consumers.command_consumer import CommandConsumer
from consumers.settings import KafkaSettings
from infrastructure.requests import REQUEST_ID
from infrastructure.store import StoreConfig
from ledger.commands import ContractCommand
from ledger.errors import CurrencyMismatch, LedgerError
from tests.factories import as_command, money, signing, terms
from tests.kafka import command, fresh_settings, in_thread, produce, read_topic, wait_until

ACCOUNT = "acct-group"
KEY = b"one-partition"


def note(summary: str) -> dict[str, Any]:
    """A log_communication payload as a message carries it (JSON: the date as text)."""
    return {"occurred_on": "2026-02-01", "direction": "inbound", "channel": "email", "summary": summary}


def logged(summary: str) -> ContractCommand:
    """The same command, typed, for calls into the application."""
    return as_command("log_communication", {**note(summary), "occurred_on": date(2026, 2, 1)})


def sign(app: LedgerApplication) -> UUID:
    return UUID(app.sign_contract(ACCOUNT, signing(terms()), idempotency_key=f"sign-{uuid4()}").contract_id)


def summaries(app: LedgerApplication, contract_id: UUID) -> list[str]:
    return [r.payload["summary"] for r in app.chain_records(contract_id) if r.event_type == "CommunicationLogged"]


def check_result_is_its_own_event(app: LedgerApplication, result: CommandResult, summary: str) -> None:
    """The stored event at the result's version is this command's, and its hash is the result's fingerprint."""
    [record] = [r for r in app.chain_records(UUID(result.contract_id)) if r.version == result.version]
    assert record.payload.get("summary") == summary
    assert record.hash == result.fingerprint


def retry(app: LedgerApplication, contract_id: UUID, key: str, summary: str) -> CommandResult:
    return app.execute(ACCOUNT, contract_id, logged(summary), idempotency_key=key)


@pytest.fixture
def store_app(store: StoreConfig) -> Iterator[LedgerApplication]:
    application = LedgerApplication(store, create_tables=True)
    yield application
    application.close()


def test_a_refused_command_in_a_poll_is_dead_lettered_alone_and_the_others_are_saved_as_one_group(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    good = [sign(store_app) for _ in range(3)]
    refused_on = sign(store_app)
    before = [(r.version, r.hash) for r in store_app.chain_records(refused_on)]
    messages = [command(f"g-{n}", ACCOUNT, "log_communication", c, note(f"g-{n}")) for n, c in enumerate(good)]
    usd: dict[str, Any] = {"payment_id": "usd-1", "occurred_on": "2026-02-01", "amount": money(1_000, "USD")}
    messages.insert(2, command("refused", ACCOUNT, "record_payment", refused_on, usd))
    produce(kafka_settings, kafka_settings.commands_topic, [(KEY, m) for m in messages])

    consumer = CommandConsumer(LedgerApplication(store_app.store), kafka_settings)
    with in_thread(consumer.run):
        wait_until(lambda: consumer.counts.applied == 3 and consumer.counts.dead_lettered == 1)
    letters = read_topic(kafka_settings, kafka_settings.dlq_topic, 1)

    # g-0, g-1 saved as one group before the refused message, g-2 after it: two groups, none fell back.
    assert (consumer.counts.groups_saved, consumer.counts.groups_fallen_back) == (2, 0)
    assert [(dict(r.headers)["error_code"], r.value) for r in letters] == [(b"currency_mismatch", messages[2])]
    assert [(r.version, r.hash) for r in store_app.chain_records(refused_on)] == before  # state unchanged
    for n, contract_id in enumerate(good):
        assert summaries(store_app, contract_id) == [f"g-{n}"]
        replayed = retry(store_app, contract_id, f"g-{n}", f"g-{n}")  # a retry of each key replays its result
        assert replayed.replayed
        check_result_is_its_own_event(store_app, replayed, f"g-{n}")
    with pytest.raises(CurrencyMismatch):  # the refused key recorded nothing: its retry is refused the same way
        store_app.execute(ACCOUNT, refused_on, as_command("record_payment", {**usd, "occurred_on": date(2026, 2, 1)}),
                          idempotency_key="refused")
    assert [(r.version, r.hash) for r in store_app.chain_records(refused_on)] == before


class InterferingApp(LedgerApplication):
    """The consumer's application; before its first group save, another writer records on one of the group's contracts."""

    name = "Ledger"  # the same tables as the other applications (the library names them after the class)
    other: LedgerApplication
    target: UUID | None = None
    saved_first: bool | None = None

    def save_prepared(self, group: list[Prepared]) -> bool:
        if self.target is not None and len(group) > 1:
            retry(self.other, self.target, "other-writer", "other-writer")  # another process' view of the store
            self.target = None
            self.saved_first = super().save_prepared(group)
            return self.saved_first
        return super().save_prepared(group)


def test_a_conflict_in_a_group_falls_back_and_every_command_is_recorded_once_with_its_own_result(
    store_app: LedgerApplication, kafka_settings: KafkaSettings
) -> None:
    contracts = [sign(store_app) for _ in range(4)]
    produce(kafka_settings, kafka_settings.commands_topic,
            [(KEY, command(f"c-{n}", ACCOUNT, "log_communication", c, note(f"c-{n}"))) for n, c in enumerate(contracts)])
    app = InterferingApp(store_app.store)
    app.other, app.target = LedgerApplication(store_app.store), contracts[1]
    consumer = CommandConsumer(app, kafka_settings)
    with in_thread(consumer.run):
        wait_until(lambda: consumer.counts.applied == 4)
    app.other.close()

    assert app.saved_first is False  # the other writer's event made the group's save conflict: nothing stored
    assert (consumer.counts.groups_saved, consumer.counts.groups_fallen_back) == (0, 1)
    assert consumer.counts.dead_lettered == 0
    assert summaries(store_app, contracts[1]) == ["other-writer", "c-1"]  # retried after the other writer's event
    for n, contract_id in enumerate(contracts):
        assert summaries(store_app, contract_id).count(f"c-{n}") == 1
        replayed = retry(store_app, contract_id, f"c-{n}", f"c-{n}")
        assert replayed.replayed
        check_result_is_its_own_event(store_app, replayed, f"c-{n}")
        assert store_app.verify(ACCOUNT, contract_id).ok


def test_a_save_of_several_commands_is_one_transaction_and_keeps_each_request_id(store_app: LedgerApplication) -> None:
    contracts = [sign(store_app) for _ in range(3)]
    prepared = []
    for n, contract_id in enumerate(contracts):
        token = REQUEST_ID.set(f"req-{n}")
        try:
            prepared.append(store_app.prepare(ACCOUNT, contract_id, logged(f"r-{n}"),
                                              idempotency_key=f"r-{n}"))
        finally:
            REQUEST_ID.reset(token)
    before = store_app.recorder.max_notification_id() or 0
    assert store_app.save_prepared(prepared)
    notifications = store_app.recorder.select_notifications(before + 1, 100)
    assert len(notifications) == 6  # each command: its event and its idempotency record
    for n, contract_id in enumerate(contracts):
        [stored] = [s for s in notifications if s.originator_id == contract_id]
        assert store_app.decode_state(stored)["request_id"] == f"req-{n}"
        check_result_is_its_own_event(store_app, prepared[n].result, f"r-{n}")
        assert retry(store_app, contract_id, f"r-{n}", f"r-{n}") == CommandResult(
            **prepared[n].result.to_dict(), replayed=True)


def test_a_group_whose_save_conflicts_stores_nothing_of_any_of_its_commands(store_app: LedgerApplication) -> None:
    contracts = [sign(store_app) for _ in range(3)]
    prepared = [store_app.prepare(ACCOUNT, c, logged(f"x-{n}"), idempotency_key=f"x-{n}")
                for n, c in enumerate(contracts)]
    other = LedgerApplication(store_app.store)  # another process' view of the store
    retry(other, contracts[2], "between", "between")  # lands between the group's load and its save
    other.close()
    before = store_app.recorder.max_notification_id()
    assert store_app.save_prepared(prepared) is False
    assert store_app.recorder.max_notification_id() == before
    assert [summaries(store_app, c) for c in contracts] == [[], [], ["between"]]


class SizingApp(LedgerApplication):
    """Notes the size of each group save; with ``conflict_once``, another writer beats the first group of several."""

    name = "Ledger"
    sizes: list[int]
    conflict_once: LedgerApplication | None = None

    def save_prepared(self, group: list[Prepared]) -> bool:
        self.sizes.append(len(group))
        if self.conflict_once is not None and len(group) > 1:
            retry(self.conflict_once, group[-1].contract.id, "other-writer", "other-writer")
            self.conflict_once = None
        return super().save_prepared(group)


@pytest.mark.parametrize("conflict", [False, True], ids=["saved", "conflict"])
def test_http_threads_on_different_contracts_share_saves_and_each_gets_its_own_result(
    store: StoreConfig, conflict: bool
) -> None:
    app = SizingApp(store, create_tables=True, group_commit=True)
    app.sizes = []
    other = LedgerApplication(store)
    app.conflict_once = other if conflict else None
    threads, per_thread = 6, 5
    contracts = [sign(app) for _ in range(threads)]
    results: dict[str, CommandResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            key = f"t{t}-{i}"
            try:
                results[key] = retry(app, contracts[t], key, key)
            except LedgerError as error:  # pragma: no cover - reported below
                errors.append(error)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    other.close()

    assert errors == []
    assert max(app.sizes) > 1, "concurrent threads must have shared at least one save"
    for t, contract_id in enumerate(contracts):
        recorded = [s for s in summaries(app, contract_id) if s != "other-writer"]
        assert recorded == [f"t{t}-{i}" for i in range(per_thread)]  # each once, in the thread's order
        assert app.verify(ACCOUNT, contract_id).ok
    for key, result in results.items():
        assert not result.replayed
        check_result_is_its_own_event(app, result, key)
    if conflict:
        assert sum(s.count("other-writer") for s in (summaries(app, c) for c in contracts)) == 1
    app.close()


def test_a_summary_after_group_commit_matches_one_written_alone(store: StoreConfig) -> None:
    """Same commands, one application saving in groups and one saving alone: the same summaries."""
    grouped, alone = LedgerApplication(store, create_tables=True, group_commit=True), LedgerApplication(store)
    pay = {"payment_id": "p-1", "occurred_on": date(2026, 1, 10), "amount": money(40_000)}
    figures = []
    for app in (grouped, alone):
        contract_id = sign(app)
        app.execute(ACCOUNT, contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5),
                    "milestone_keys": ["advance"]}), idempotency_key=f"i-{contract_id}")
        app.execute(ACCOUNT, contract_id, as_command("record_payment", pay), idempotency_key=f"p-{contract_id}")
        summary = app.summary(ACCOUNT, contract_id, date(2026, 2, 1))
        figures.append((summary["paid"], summary["outstanding"]))
    grouped.close()
    alone.close()
    assert figures[0] == figures[1]


def signed_and_invoiced(app: LedgerApplication, account_id: str) -> UUID:
    """A EUR contract with its advance invoiced: 100,000 outstanding."""
    contract_id = UUID(app.sign_contract(account_id, signing(terms()), idempotency_key=f"sign-{uuid4()}").contract_id)
    app.execute(account_id, contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5),
                "milestone_keys": ["advance"]}), idempotency_key=f"invoice-{uuid4()}")
    return contract_id


def interleaved(account_id: str, x: UUID, y: UUID) -> list[tuple[str, UUID, str, dict[str, Any]]]:
    """Several commands per contract in one poll; the second payment on y overpays only after the first is applied."""
    def pay(payment_id: str, amount: int) -> dict[str, Any]:
        return {"payment_id": payment_id, "occurred_on": "2026-01-10", "amount": money(amount)}

    return [(f"{account_id}-1", x, "log_communication", note("a")), (f"{account_id}-2", y, "record_payment", pay("p1", 60_000)),
            (f"{account_id}-3", x, "record_payment", pay("p1", 60_000)), (f"{account_id}-4", y, "record_payment", pay("p2", 60_000)),
            (f"{account_id}-5", x, "log_communication", note("b")), (f"{account_id}-6", y, "log_communication", note("c")),
            (f"{account_id}-7", x, "record_payment", pay("p3", 30_000))]


def history(app: LedgerApplication, contract_id: UUID) -> list[tuple[int, str, Any]]:
    return [(r.version, r.event_type, r.payload.get("summary") or r.payload.get("payment_id"))
            for r in app.chain_records(contract_id)]


def test_several_commands_per_contract_in_one_poll_give_the_results_and_order_of_one_at_a_time(
    store_app: LedgerApplication, kafka_broker: str
) -> None:
    outcomes: list[dict[str, Any]] = []
    for account_id, group_commit in (("acct-grouped", True), ("acct-alone", False)):
        settings = fresh_settings(kafka_broker)
        settings.ensure_topics(settings.commands_topic, settings.dlq_topic)
        x, y = signed_and_invoiced(store_app, account_id), signed_and_invoiced(store_app, account_id)
        messages = interleaved(account_id, x, y)
        produce(settings, settings.commands_topic,
                [(KEY, command(key, account_id, kind, c, payload)) for key, c, kind, payload in messages])
        consumer = CommandConsumer(LedgerApplication(store_app.store), settings, group_commit=group_commit)
        with in_thread(consumer.run):
            wait_until(lambda: consumer.counts.applied == 6 and consumer.counts.dead_lettered == 1)  # noqa: B023
        letters = read_topic(settings, settings.dlq_topic, 1)
        replays: list[tuple[bool, Any, list[str]]] = []
        for key, contract_id, kind, payload in messages:
            typed = as_command(kind, {**payload, "occurred_on": date.fromisoformat(payload["occurred_on"])})
            try:
                result = store_app.execute(account_id, contract_id, typed, idempotency_key=key)
                replays.append((result.replayed, result.version, result.events))
            except LedgerError as error:
                replays.append((False, error.code, []))
        outcomes.append({"x": history(store_app, x), "y": history(store_app, y), "replays": replays,
                         "letters": [(dict(r.headers)["error_code"], json.loads(r.value)["message_id"]) for r in letters],
                         "groups": consumer.counts.groups_saved})
    grouped, alone = outcomes
    assert grouped["groups"] == 2 and alone["groups"] == 0  # [1, 2, 3] saved, 4 refused alone, [5, 6, 7] saved
    assert grouped["letters"] == [(b"overpayment", "acct-grouped-4")]
    assert alone["letters"] == [(b"overpayment", "acct-alone-4")]
    assert {k: v for k, v in grouped.items() if k not in ("letters", "groups")} == {
        k: v for k, v in alone.items() if k not in ("letters", "groups")}
    assert [r[0] for r in grouped["replays"]] == [True, True, True, False, True, True, True]
