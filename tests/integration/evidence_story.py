"""The demo story plus what a real dispute adds: a document, a promise, a work pause, a part payment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from ledger import clock
from ledger_cli.story import run_story
from tests.factories import as_command

AS_OF = date(2026, 8, 20)
EMAIL = b"From: finance@northwind.example\nSubject: Re: INV-000003\n\nWe will pay next week.\n"


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


def extra_steps(email_hash: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("log_communication", {"occurred_on": date(2026, 8, 3), "direction": "inbound", "channel": "email",
                               "summary": "Client admits the debt and says it will pay next week",
                               "counterpart": "J. Patel", "attachment_hashes": [email_hash]}),
        ("record_promise", {"occurred_on": date(2026, 8, 3), "amount": gbp(400_000), "promised_by": date(2026, 8, 10),
                            "invoice_numbers": ["INV-000003"]}),
        ("pause_work", {"occurred_on": date(2026, 8, 11), "reason": "Arrears on INV-000003"}),
        ("record_payment", {"occurred_on": date(2026, 8, 14), "payment_id": "bank-9001", "amount": gbp(100_000),
                            "method": "transfer", "reference": "NORTHWIND PART"}),
    ]


def run_dispute_story(app: LedgerApplication, account_id: str) -> tuple[UUID, str]:
    """Returns the contract id and the SHA-256 of the attached email."""
    contract_id = run_story(app, account_id)
    store = AttachmentStore(app.store)
    try:
        email_hash = store.put(account_id, EMAIL)
    finally:
        store.close()
    for index, (command, args) in enumerate(extra_steps(email_hash)):
        moment = datetime.combine(args["occurred_on"], datetime.min.time(), tzinfo=UTC)
        with clock.fixed_clock(lambda moment=moment: moment):
            app.execute(account_id, contract_id, as_command(command, args), idempotency_key=f"dispute-{index}")
    return contract_id, email_hash
