"""Fill an event store fast with realistic contract histories (for rebuild benchmarks and the kill test).

Contracts are built in memory and saved many at a time (one transaction per
``save`` of ``per_save`` contracts), the fastest way the library writes. Each
contract tells a varied story (paid, late, reminded, promised, disputed) so
every read model has rows; about 20 events per contract.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from application.service import LedgerApplication
from ledger.contract import Contract
from tests.factories import money, terms

CLIENT_COUNT = 40


def story(contract: Contract, n: int) -> None:
    """About 19 events: the three-thirds schedule with payments, reminders, a promise and sometimes a dispute."""
    day = date(2026, 1, 5) + timedelta(days=n % 60)
    step = lambda days: day + timedelta(days=days)  # noqa: E731
    contract.issue_invoice(number=f"A-{n}", occurred_on=step(0), milestone_keys=["advance"])
    contract.record_payment(payment_id=f"pa-{n}", occurred_on=step(3 + n % 20), amount=money(100_000))
    for offset, key in ((20, "prototype"), (50, "delivery")):
        contract.deliver_milestone(key=key, occurred_on=step(offset), description="work")
        contract.accept_milestone(key=key, occurred_on=step(offset + 2))
        contract.issue_invoice(number=f"{key[0].upper()}-{n}", occurred_on=step(offset + 2), milestone_keys=[key])
    contract.record_reminder_sent(occurred_on=step(36), invoice_numbers=[f"P-{n}"], stage="friendly", channel="email")
    contract.record_promise(occurred_on=step(40), amount=money(50_000), promised_by=step(45))
    contract.record_payment(payment_id=f"pp-{n}", occurred_on=step(44 + n % 5), amount=money(100_000))
    if n % 3 == 0:
        contract.open_dispute(dispute_id=f"d-{n}", occurred_on=step(70), reason="quality", invoice_numbers=[f"D-{n}"])
    if n % 5 == 0:
        contract.grant_licence(occurred_on=step(52))
    for stage, offset in (("friendly", 66), ("firm", 76), ("final_notice", 86)):
        contract.record_reminder_sent(occurred_on=step(offset), invoice_numbers=[f"D-{n}"], stage=stage, channel="email")
    contract.log_communication(occurred_on=step(87), direction="inbound", channel="phone", summary="will pay")
    if n % 2 == 0:
        contract.record_payment(payment_id=f"pd-{n}", occurred_on=step(90), amount=money(100_000))


def new_contract(account_id: str, n: int) -> Contract:
    client: dict[str, Any] = {"name": f"Client {n % CLIENT_COUNT}", "email": f"ap{n % CLIENT_COUNT}@client.example",
                              "kind": "business"}
    licence = {"kind": "time_limited", "months": 6} if n % 5 == 0 else None
    contract = Contract.sign(contract_id=uuid4(), account_id=account_id,
                             **terms(occurred_on=date(2026, 1, 5) + timedelta(days=n % 60), client=client, licence=licence))
    story(contract, n)
    return contract


def seed(app: LedgerApplication, events: int, *, account_id: str = "bench", per_save: int = 50) -> int:
    """Record at least ``events`` contract events; return how many were recorded."""
    recorded, n = 0, 0
    while recorded < events:
        batch = [new_contract(account_id, n + i) for i in range(per_save)]
        n += per_save
        recorded += sum(len(c.pending_events) for c in batch)
        app.save(*batch)
    return recorded
