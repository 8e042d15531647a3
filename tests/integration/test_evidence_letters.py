"""The letter before action by client and jurisdiction, an EU bundle, and replay of an old schema offline."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import uuid4

from pypdf import PdfReader

from application.service import LedgerApplication
from evidence.export import export_bundle
from evidence.replay import contract_from_records
from evidence.verify import verify_bundle
from tests.factories import as_command, signing

ACCOUNT = "acct-letters"
NOW = datetime(2025, 8, 1, 12, tzinfo=UTC)


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def contract(app: LedgerApplication, *, currency: str, jurisdiction: str, client_kind: str,
             invoices: list[tuple[int, date]]) -> str:
    total = sum(amount for amount, _ in invoices)
    result = app.sign_contract(ACCOUNT, signing({"occurred_on": date(2025, 1, 2), "title": "Design work", "supplier": {"name": "Studio Ltd", "email": "s@studio.example", "address": "1 Lane, Leeds"}, "client": {"name": "Pat Client", "email": "pat@example.com", "kind": client_kind, "address": "2 Road, York"}, "currency": currency, "total": money(total, currency), "jurisdiction": jurisdiction, "milestones": [{"key": f"m{i}", "title": f"Stage {i}", "amount": money(a, currency), "due": "on_signing"}
                    for i, (a, _) in enumerate(invoices)]}), idempotency_key=str(uuid4()))
    for index, (_, due) in enumerate(invoices):
        app.execute(ACCOUNT, result.contract_id, as_command("issue_invoice", {"occurred_on": date(2025, 1, 2), "milestone_keys": [f"m{index}"], "due_on": due}),
                    idempotency_key=f"{result.contract_id}-inv-{index}")
    return result.contract_id


def letter_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdf = archive.read("letter-before-action.pdf")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_individual_in_england_gets_30_days_under_the_pre_action_protocol(app: LedgerApplication) -> None:
    contract_id = contract(app, currency="GBP", jurisdiction="GB-ENG", client_kind="individual",
                           invoices=[(150_000, date(2025, 6, 15))])
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=date(2025, 8, 1), generated_at=NOW)
    text = letter_text(bundle.data)
    assert "within 30 days" in text and "2025-08-31" in text  # 2025-08-01 + 30 days
    assert "Pre-Action Protocol for Debt Claims" in text
    assert bundle.manifest["claim"]["interest"] == 0 and bundle.manifest["claim"]["total"] == 150_000


def test_a_business_in_the_eu_gets_14_days_and_two_late_invoices_earn_40_euro_each(app: LedgerApplication) -> None:
    contract_id = contract(app, currency="EUR", jurisdiction="EU-DE", client_kind="business",
                           invoices=[(500_000, date(2025, 6, 10)), (200_000, date(2025, 6, 20))])
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=date(2025, 7, 20), generated_at=NOW)
    assert verify_bundle(bundle.data).ok
    # as in the unit test: 20 days at 11.15 % + 20 days at 10.15 % on 5,000.00; 10 + 20 days on 2,000.00
    a = Decimal(500000) * Decimal("11.15") / 100 * 20 / 365 + Decimal(500000) * Decimal("10.15") / 100 * 20 / 365
    b = Decimal(200000) * Decimal("11.15") / 100 * 10 / 365 + Decimal(200000) * Decimal("10.15") / 100 * 20 / 365
    interest = sum(int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for x in (a, b))
    claim = bundle.manifest["claim"]
    assert (claim["interest"], claim["compensation"], claim["total"]) == (interest, 8_000, 700_000 + interest + 8_000)
    text = letter_text(bundle.data)
    assert "within 14 days" in text and "2025-08-03" in text and "EUR 7,155.59" in text


def test_a_v1_communication_without_counterpart_replays_offline_through_its_upcaster(app: LedgerApplication) -> None:
    contract_id = contract(app, currency="GBP", jurisdiction="GB-ENG", client_kind="business",
                           invoices=[(10_000, date(2025, 6, 15))])
    app.execute(ACCOUNT, contract_id, as_command("log_communication", {"occurred_on": date(2025, 6, 20), "direction": "inbound", "channel": "email", "summary": "Will pay"}),
                idempotency_key="comm-1")
    records = app.event_records(ACCOUNT, contract_id)
    last = records[-1]
    old = replace(last, schema_version=1, payload={k: v for k, v in last.payload.items() if k != "counterpart"})
    rebuilt = contract_from_records([*records[:-1], old])
    assert rebuilt.communications[-1]["counterpart"] is None
    assert rebuilt.communications[-1]["summary"] == "Will pay"


def test_a_letter_outside_england_and_wales_cites_no_english_pre_action_rules(app: LedgerApplication) -> None:
    contract_id = contract(app, currency="EUR", jurisdiction="EU-FR", client_kind="business",
                           invoices=[(100_000, date(2025, 6, 10))])
    text = letter_text(export_bundle(app, ACCOUNT, contract_id, as_of=date(2025, 7, 20), generated_at=NOW).data)
    assert "Pre-Action" not in text and "Enclosed: the statement of account" in text
