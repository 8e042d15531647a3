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
from ledger.records import NAMESPACE

DEMO_CONTRACT_ID = uuid5(NAMESPACE, "demo/web-portal")
AS_OF = date(2026, 8, 10)
THIRD = 400_000  # GBP 4,000.00 in pence

CONTRACT_TERMS: dict[str, Any] = {
    "occurred_on": date(2026, 3, 2),
    "title": "Customer web portal",
    "reference": "NW-2026-014",
    "supplier": {"name": "Ada Byte Studio Ltd", "email": "accounts@adabyte.example",
                 "address": "4 Loom Street, Manchester M1 2AB", "kind": "business", "company_number": "09876543"},
    "client": {"name": "Northwind Trading Ltd", "email": "finance@northwind.example",
               "address": "12 Harbour Road, Bristol BS1 4QA", "kind": "business", "company_number": "01234567"},
    "currency": "GBP",
    "total": {"amount": 3 * THIRD, "currency": "GBP"},
    "jurisdiction": "GB-ENG",
    "payment_terms_days": 14,
    "milestones": [
        {"key": "advance", "title": "Advance on signing", "amount": {"amount": THIRD, "currency": "GBP"}, "due": "on_signing"},
        {"key": "prototype", "title": "Clickable prototype accepted", "amount": {"amount": THIRD, "currency": "GBP"},
         "due": "on_acceptance"},
        {"key": "delivery", "title": "Portal delivered to production", "amount": {"amount": THIRD, "currency": "GBP"},
         "due": "on_acceptance"},
    ],
    "late_payment": {"kind": "statutory"},
    "licence": {"kind": "time_limited", "months": 12, "perpetual_on_final_payment": True},
}


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


# (command, args) after signing, in the order they happened.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("issue_invoice", {"occurred_on": date(2026, 3, 2), "milestone_keys": ["advance"]}),
    ("record_payment", {"occurred_on": date(2026, 3, 10), "payment_id": "bank-7731", "amount": money(THIRD),
                        "method": "transfer", "reference": "NORTHWIND ADV"}),
    ("deliver_milestone", {"occurred_on": date(2026, 4, 15), "key": "prototype",
                           "description": "Clickable prototype at https://proto.adabyte.example/northwind",
                           "proof_links": ["https://proto.adabyte.example/northwind"]}),
    ("accept_milestone", {"occurred_on": date(2026, 4, 20), "key": "prototype", "note": "Approved by J. Patel by email"}),
    ("issue_invoice", {"occurred_on": date(2026, 4, 20), "milestone_keys": ["prototype"]}),
    ("record_payment", {"occurred_on": date(2026, 5, 1), "payment_id": "bank-8120", "amount": money(THIRD),
                        "method": "transfer", "reference": "NORTHWIND PROTO"}),
    ("deliver_milestone", {"occurred_on": date(2026, 6, 15), "key": "delivery",
                           "description": "Portal live at https://portal.northwind.example; source handed over",
                           "proof_links": ["https://portal.northwind.example"]}),
    ("grant_licence", {"occurred_on": date(2026, 6, 15), "scope": "Use of the portal software, 12 months"}),
    ("accept_milestone", {"occurred_on": date(2026, 6, 19), "key": "delivery", "note": "Sign-off meeting"}),
    ("issue_invoice", {"occurred_on": date(2026, 6, 19), "milestone_keys": ["delivery"]}),
    ("record_reminder_sent", {"occurred_on": date(2026, 7, 3), "invoice_numbers": ["INV-000003"], "stage": "friendly",
                              "channel": "email"}),
    ("record_reminder_sent", {"occurred_on": date(2026, 7, 13), "invoice_numbers": ["INV-000003"], "stage": "firm",
                              "channel": "email"}),
    ("record_reminder_sent", {"occurred_on": date(2026, 7, 23), "invoice_numbers": ["INV-000003"],
                              "stage": "final_notice", "channel": "email"}),
    ("record_reminder_sent", {"occurred_on": date(2026, 8, 2), "invoice_numbers": ["INV-000003"],
                              "stage": "letter_before_action", "channel": "certified_mail",
                              "tracking_reference": "RM-LBA-55501234GB"}),
]


def recorded_at(day: date) -> datetime:
    """The story is recorded as it happens: at 17:00 UTC on each event's date."""
    return datetime.combine(day, time(17, 0), tzinfo=UTC)


def run_story(
    app: LedgerApplication,
    account_id: str,
    contract_id: UUID = DEMO_CONTRACT_ID,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
) -> UUID:
    with clock.fixed_clock(partial(recorded_at, CONTRACT_TERMS["occurred_on"])):
        app.sign_contract(account_id, f"story-{contract_id}-sign", contract_id=contract_id, **CONTRACT_TERMS)
    if on_step:
        on_step("sign_contract", CONTRACT_TERMS)
    for index, (command, args) in enumerate(STEPS):
        with clock.fixed_clock(partial(recorded_at, args["occurred_on"])):
            app.execute(account_id, contract_id, command, args, idempotency_key=f"story-{contract_id}-{index}")
        if on_step:
            on_step(command, args)
    return contract_id
