"""bundle.pdf and the letter say only what was true on the as-of date, in words that fit the record."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pypdf import PdfReader

from application.service import LedgerApplication
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger import clock
from tests.factories import as_command, signing
from tests.integration.evidence_story import run_dispute_story

ACCOUNT = "acct-as-of"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def sqlite_app(sqlite_store: StoreConfig) -> Iterator[LedgerApplication]:
    app = LedgerApplication(sqlite_store, create_tables=True)
    yield app
    app.close()


def pdf_text(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pdf = archive.read(name)
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def extended_story(app: LedgerApplication) -> UUID:
    """The dispute story (part payment bank-9001 on 2026-08-14) and a licence extension on 2026-08-16."""
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    with clock.fixed_clock(lambda: datetime(2026, 8, 16, tzinfo=UTC)):
        app.execute(ACCOUNT, contract_id, as_command("extend_licence", {"occurred_on": date(2026, 8, 16),
                    "expires_on": date(2027, 12, 31), "reason": "goodwill"}), idempotency_key="extend")
    return contract_id


def test_the_licence_line_shows_the_expiry_agreed_by_the_as_of_date(sqlite_app: LedgerApplication) -> None:
    contract_id = extended_story(sqlite_app)
    after = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=date(2026, 8, 20), generated_at=GENERATED_AT)
    before = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=date(2026, 8, 15), generated_at=GENERATED_AT)
    # granted 2026-06-15 for 12 months; extended on 2026-08-16 to 2027-12-31
    assert "valid until 2027-12-31" in pdf_text(after.data, "bundle.pdf")
    assert "valid until 2027-06-15" in pdf_text(before.data, "bundle.pdf")


def test_a_bundle_as_of_a_past_date_shows_nothing_that_happened_after_it(sqlite_app: LedgerApplication) -> None:
    contract_id = extended_story(sqlite_app)
    bundle = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=date(2026, 8, 12), generated_at=GENERATED_AT)
    assert verify_bundle(bundle.data).ok
    text = pdf_text(bundle.data, "bundle.pdf")
    for later in ("bank-9001", "NORTHWIND PART", "2026-08-14", "2026-08-16", "2027-12-31", "goodwill"):
        assert later not in text, later
    assert "bank-8120" in text and "Work paused" in text  # 2026-05-01 and 2026-08-11: before the date
    assert "E-19, E-20" in text  # the events after the date are named as left out
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        chronology = archive.read("chronology.csv").decode()
    assert "2026-08-14" not in chronology and "2026-08-11" in chronology


def test_milestones_delivered_or_accepted_after_the_as_of_date_are_not_shown_as_such(
    sqlite_app: LedgerApplication,
) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    # the story delivers "delivery" on 2026-06-15 and accepts it on 2026-06-19, invoicing it the same day
    bundle = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=date(2026, 6, 16), generated_at=GENERATED_AT)
    text = pdf_text(bundle.data, "bundle.pdf")
    assert "2026-06-19" not in text and "INV-000003" not in text
    assert "2026-06-15" in text  # delivered before the date


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def late_contract(app: LedgerApplication, currency: str, jurisdiction: str) -> UUID:
    result = app.sign_contract(ACCOUNT, signing({"occurred_on": date(2025, 1, 2), "title": "Design work", "supplier": {"name": "Studio Ltd", "email": "s@studio.example"}, "client": {"name": "Pat Client", "email": "pat@example.com", "kind": "business"}, "currency": currency, "total": money(100_000, currency), "jurisdiction": jurisdiction, "milestones": [{"key": "m", "title": "Stage", "amount": money(100_000, currency), "due": "on_signing"}], "late_payment": {"kind": "statutory"}}), idempotency_key=str(uuid4()))
    app.execute(ACCOUNT, result.contract_id, as_command("issue_invoice", {"occurred_on": date(2025, 1, 2), "milestone_keys": ["m"], "due_on": date(2025, 6, 10)}),
                idempotency_key=f"{result.contract_id}-inv")
    return UUID(str(result.contract_id))


def letter(app: LedgerApplication, contract_id: UUID) -> str:
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=date(2025, 7, 20), generated_at=GENERATED_AT)
    return " ".join(pdf_text(bundle.data, "letter-before-action.pdf").split())


def test_an_eu_letter_says_the_rate_changes_each_half_year_and_a_uk_one_that_it_stays(
    sqlite_app: LedgerApplication,
) -> None:
    eu = letter(sqlite_app, late_contract(sqlite_app, "EUR", "EU-DE"))
    uk = letter(sqlite_app, late_contract(sqlite_app, "GBP", "GB-ENG"))
    assert "at the statutory rate for each half-year" in eu and "at the same rate" not in eu
    assert "at the same rate" in uk


def test_a_letter_mentions_reminders_only_when_some_were_recorded(sqlite_app: LedgerApplication) -> None:
    contract_id = late_contract(sqlite_app, "GBP", "GB-ENG")
    assert "reminder" not in letter(sqlite_app, contract_id)
    sqlite_app.execute(ACCOUNT, contract_id, as_command("record_reminder_sent", {"occurred_on": date(2025, 6, 20), "invoice_numbers": ["INV-000001"], "stage": "friendly",
                        "channel": "email"}), idempotency_key="rem-1")
    assert "despite our reminder of 2025-06-20" in letter(sqlite_app, contract_id)
