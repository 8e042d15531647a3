"""US bundles: the statement of claim and the letter follow the state's rule, and the bundle verifies offline."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from application.service import LedgerApplication
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger import clock
from tests.factories import as_command, signing

ACCOUNT = "acct-us"


def dollars(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def us_app(tmp_path: Path, jurisdiction: str, supplier_kind: str) -> tuple[LedgerApplication, str]:
    """USD 2,000.00 invoiced 2026-03-17 on 14 days' terms (due 2026-03-31)."""
    app = LedgerApplication(StoreConfig(f"sqlite:///{tmp_path}/ledger.db"), create_tables=True)
    with clock.fixed_clock(lambda: datetime(2026, 3, 2, 17, tzinfo=UTC)):
        contract_id = app.sign_contract(ACCOUNT, signing({"occurred_on": date(2026, 3, 2), "title": "Illustrations", "supplier": {"name": "Sam Rivera", "email": "sam@example.com", "kind": supplier_kind}, "client": {"name": "Client Inc", "email": "ap@client.example"}, "currency": "USD", "total": dollars(200_000), "jurisdiction": jurisdiction, "payment_terms_days": 14, "milestones": [{"key": "all", "title": "All", "amount": dollars(200_000), "due": "on_signing"}], "late_payment": {"kind": "statutory"}}), idempotency_key="sign").contract_id
    with clock.fixed_clock(lambda: datetime(2026, 3, 17, 17, tzinfo=UTC)):
        app.execute(
            ACCOUNT,
            contract_id,
            as_command("issue_invoice", {"occurred_on": date(2026, 3, 17), "milestone_keys": ["all"]}),
            idempotency_key="inv",
        )
    return app, str(contract_id)


def texts(app: LedgerApplication, contract_id: str, as_of: date) -> tuple[bytes, str, str]:
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=as_of, generated_at=datetime(2026, 7, 1, tzinfo=UTC))
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        pdf, letter = archive.read("bundle.pdf"), archive.read("letter-before-action.pdf")
    read = lambda data: " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())  # noqa: E731
    return bundle.data, read(pdf), read(letter)


def test_a_new_york_freelancer_claims_9_percent_and_double_damages_in_the_bundle_and_the_letter(tmp_path: Path) -> None:
    app, contract_id = us_app(tmp_path, "US-NY", "individual")
    try:
        data, pdf, letter = texts(app, contract_id, date(2026, 6, 29))
    finally:
        app.close()
    # 2026-04-01..06-29 = 90 days at 9 % on 2,000.00: 200000 * 9 / 100 * 90 / 365 = 4438.36 -> USD 44.38;
    # double damages: USD 2,000.00 more. Total 2,000.00 + 44.38 + 2,000.00 = 4,044.38.
    for text in (pdf, letter):
        assert "USD 4,044.38" in text and "USD 44.38" in text
        assert "CPLR 5004" in text and "Freelance Isn't Free Act" in text and "Double damages" in text
    assert verify_bundle(data).ok


def test_a_california_letter_is_the_demand_small_claims_asks_for_and_cites_civil_code_3289(tmp_path: Path) -> None:
    app, contract_id = us_app(tmp_path, "US-CA", "business")
    try:
        data, pdf, letter = texts(app, contract_id, date(2026, 6, 29))
    finally:
        app.close()
    # 90 days at 10 % on 2,000.00: 200000 * 10 / 100 * 90 / 365 = 4931.51 -> USD 49.32; no fixed compensation.
    assert "USD 2,049.32" in letter and "Civil Code section 3289(b)" in letter
    assert "SC-100" in letter and "this letter is that demand" in letter
    assert "Civil Code section 3289(b)" in pdf
    assert verify_bundle(data).ok
