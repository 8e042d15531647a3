"""Read models fed from the events topic equal the ones built from the local log."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from application.service import LedgerApplication
from consumers.projection_consumer import KafkaProjection
from consumers.relay import EventRelay
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from projections.db import Database
from projections.projector import tracking_rows
from projections.runner import Runner
from tests.factories import as_command, money, signing, terms
from tests.kafka import in_thread, wait_until

ACCOUNT = "acct-projection"


def record_contracts(app: LedgerApplication, count: int) -> list[UUID]:
    """Signed contracts with an invoice and a part payment each: 3 events per contract."""
    ids = []
    for n in range(count):
        contract_id = UUID(app.sign_contract(ACCOUNT, signing(terms()), idempotency_key=f"sign-{uuid4()}").contract_id)
        app.execute(ACCOUNT, contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                    idempotency_key=f"inv-{contract_id}")
        app.execute(ACCOUNT, contract_id, as_command("record_payment", {"payment_id": f"p-{n}", "occurred_on": date(2026, 1, 9),
                                                             "amount": money(1_000 + n)}), idempotency_key=f"pay-{contract_id}")
        ids.append(contract_id)
    return ids


def kafka_events_applied(store: StoreConfig, name: str) -> int:
    db = Database(store)
    try:
        return sum(r["events_applied"] for r in tracking_rows(db) if r["projection"] == name and r["source"] != "log")
    finally:
        db.close()


def rows(store: StoreConfig, table: str) -> list[tuple]:
    db = Database(store)
    try:
        return db.fetchall(f"SELECT * FROM {table} ORDER BY 1")
    finally:
        db.close()


def test_a_read_model_fed_from_the_events_topic_resumes_from_its_tracked_offsets_and_equals_the_log_built_one(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    record_contracts(app, 30)
    with in_thread(EventRelay(app, kafka_settings, Database(sqlite_store)).run):
        with in_thread(KafkaProjection(LedgerApplication(sqlite_store), sqlite_store, kafka_settings, "contracts").run):
            wait_until(lambda: kafka_events_applied(sqlite_store, "contracts") == 90)
        record_contracts(app, 10)  # recorded while the projection is stopped
        restarted = KafkaProjection(LedgerApplication(sqlite_store), sqlite_store, kafka_settings, "contracts")
        with in_thread(restarted.run):
            wait_until(lambda: kafka_events_applied(sqlite_store, "contracts") == 120)
    assert restarted.applied == 30, "the restarted projection starts from its stored offsets, not from the beginning"
    from_kafka = rows(sqlite_store, "rm_contracts")
    assert len(from_kafka) == 40

    runner = Runner(sqlite_store, ["contracts"], app=app)
    runner.rebuild("contracts")
    runner.close()
    assert rows(sqlite_store, "rm_contracts") == from_kafka
