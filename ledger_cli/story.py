"""The classic story: staged payments, the last third never paid.

Used by ``ledger demo`` and by the tests, with fixed dates and a fixed
recording clock, so every run records the same events with the same hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from application.service import LedgerApplication
from ledger import clock
from ledger.commands import (
    AcceptMilestone,
    Command,
    ContractCommand,
    DeliverMilestone,
    GrantLicence,
    IssueInvoice,
    RecordPayment,
    RecordReminderSent,
    SignContract,
)
from ledger.money import Money
from ledger.records import NAMESPACE

DEMO_CONTRACT_ID = uuid5(NAMESPACE, "demo/web-portal")
AS_OF = date(2026, 8, 10)
THIRD = 400_000  # GBP 4,000.00 in pence

GBP = "GBP"


def money(amount: int) -> Money:
    return Money(amount, GBP)


def milestone(key: str, title: str, due: str) -> dict[str, Any]:
    return {"key": key, "title": title, "amount": {"amount": THIRD, "currency": GBP}, "due": due}


SIGNING = SignContract(
    occurred_on=date(2026, 3, 2),
    title="Customer web portal",
    reference="NW-2026-014",
    supplier={"name": "Ada Byte Studio Ltd", "email": "accounts@adabyte.example",
              "address": "4 Loom Street, Manchester M1 2AB", "kind": "business", "company_number": "09876543"},
    client={"name": "Northwind Trading Ltd", "email": "finance@northwind.example",
            "address": "12 Harbour Road, Bristol BS1 4QA", "kind": "business", "company_number": "01234567"},
    currency=GBP,
    total=money(3 * THIRD),
    jurisdiction="GB-ENG",
    payment_terms_days=14,
    milestones=[
        milestone("advance", "Advance on signing", "on_signing"),
        milestone("prototype", "Clickable prototype accepted", "on_acceptance"),
        milestone("delivery", "Portal delivered to production", "on_acceptance"),
    ],
    late_payment={"kind": "statutory"},
    licence={"kind": "time_limited", "months": 12, "perpetual_on_final_payment": True},
)
OVERDUE_INVOICE = ["INV-000003"]

# The commands after signing, in the order they happened.
STEPS: list[ContractCommand] = [
    IssueInvoice(occurred_on=date(2026, 3, 2), milestone_keys=["advance"]),
    RecordPayment(occurred_on=date(2026, 3, 10), payment_id="bank-7731", amount=money(THIRD), method="transfer",
                  reference="NORTHWIND ADV"),
    DeliverMilestone(occurred_on=date(2026, 4, 15), key="prototype",
                     description="Clickable prototype at https://proto.adabyte.example/northwind",
                     proof_links=["https://proto.adabyte.example/northwind"]),
    AcceptMilestone(occurred_on=date(2026, 4, 20), key="prototype", note="Approved by J. Patel by email"),
    IssueInvoice(occurred_on=date(2026, 4, 20), milestone_keys=["prototype"]),
    RecordPayment(occurred_on=date(2026, 5, 1), payment_id="bank-8120", amount=money(THIRD), method="transfer",
                  reference="NORTHWIND PROTO"),
    DeliverMilestone(occurred_on=date(2026, 6, 15), key="delivery",
                     description="Portal live at https://portal.northwind.example; source handed over",
                     proof_links=["https://portal.northwind.example"]),
    GrantLicence(occurred_on=date(2026, 6, 15), scope="Use of the portal software, 12 months"),
    AcceptMilestone(occurred_on=date(2026, 6, 19), key="delivery", note="Sign-off meeting"),
    IssueInvoice(occurred_on=date(2026, 6, 19), milestone_keys=["delivery"]),
    RecordReminderSent(occurred_on=date(2026, 7, 3), invoice_numbers=OVERDUE_INVOICE, stage="friendly",
                       channel="email"),
    RecordReminderSent(occurred_on=date(2026, 7, 13), invoice_numbers=OVERDUE_INVOICE, stage="firm", channel="email"),
    RecordReminderSent(occurred_on=date(2026, 7, 23), invoice_numbers=OVERDUE_INVOICE, stage="final_notice",
                       channel="email"),
    RecordReminderSent(occurred_on=date(2026, 8, 2), invoice_numbers=OVERDUE_INVOICE, stage="letter_before_action",
                       channel="certified_mail", tracking_reference="RM-LBA-55501234GB"),
]


def recorded_at(day: date) -> datetime:
    """The story is recorded as it happens: at 17:00 UTC on each event's date."""
    return datetime.combine(day, time(17, 0), tzinfo=UTC)


def run_story(
    app: LedgerApplication,
    account_id: str,
    contract_id: UUID = DEMO_CONTRACT_ID,
    on_step: Callable[[Command], None] | None = None,
) -> UUID:
    with clock.fixed_clock(partial(recorded_at, SIGNING.occurred_on)):
        app.sign_contract(account_id, SIGNING, idempotency_key=f"story-{contract_id}-sign", contract_id=contract_id)
    if on_step:
        on_step(SIGNING)
    for index, command in enumerate(STEPS):
        with clock.fixed_clock(partial(recorded_at, command.occurred_on)):
            app.execute(account_id, contract_id, command, idempotency_key=f"story-{contract_id}-{index}")
        if on_step:
            on_step(command)
    return contract_id
