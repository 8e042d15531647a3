"""Court fees from the fee table and the particulars' shortening, worked by hand."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.filing import PARTICULARS_LIMIT, SEE_BUNDLE, court_fee, fee_table, filing_for
from ledger.rates import load_rate_tables


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (1, 3500),
        (30000, 3500),
        (30001, 5000),
        (100000, 7000),
        (300000, 11500),
        (500001, 45500),
        (1000000, 45500),
        (1000001, 50000),  # 5% of GBP 10,000.01 = 500.0005, rounded down to the penny
        (1234567, 61728),  # 5% of GBP 12,345.67 = 617.2835
        (20000000, 1000000),
        (20000001, 1000000),
        (10**10, 1000000),
    ],
)
def test_the_court_fee_follows_the_band_of_the_claim_including_interest(amount: int, fee: int) -> None:
    found = court_fee(amount, "GBP", "GB-ENG")
    assert found is not None and found["amount"] == fee
    assert found["effective_from"] == fee_table()["effective_from"] and "EX50" in found["source"]
    assert found["online"] == (amount < 10_000_000)


def test_no_fee_is_given_outside_england_and_wales_or_in_another_currency() -> None:
    assert court_fee(50000, "EUR", "GB-ENG") is None
    assert court_fee(50000, "GBP", "EU-DE") is None
    assert court_fee(50000, "USD", "US-CA") is None


def test_a_claim_too_long_for_the_form_is_shortened_and_says_the_full_statement_is_in_the_bundle() -> None:
    gbp = lambda amount: {"amount": amount, "currency": "GBP"}  # noqa: E731
    contract = Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=date(2025, 1, 6),
        title="T" * 200,
        reference="R" * 100,
        supplier={"name": "S" * 200, "email": "s@example.com"},
        client={"name": "C" * 200, "email": "c@example.com", "kind": "business"},
        currency="GBP",
        total=gbp(30 * 100_000),
        jurisdiction="GB-ENG",
        late_payment={"kind": "statutory"},
        milestones=[{"key": f"m{n}", "title": "Stage", "amount": gbp(100_000), "due": "on_signing"} for n in range(30)],
    )
    for n in range(30):
        contract.issue_invoice(
            number=f"INV-{n:04d}", occurred_on=date(2025, 1, 6), milestone_keys=[f"m{n}"], due_on=date(2025, 2, 5)
        )
    filing = filing_for(contract, statement_of_claim(contract, "2025-03-07", load_rate_tables()))
    assert len(filing.statement) > PARTICULARS_LIMIT >= len(filing.particulars)
    assert filing.particulars.endswith(SEE_BUNDLE) and "INV-0029" in filing.statement
    assert "30 invoices due from 2025-02-05 to 2025-02-05" in filing.particulars
    # 30 x GBP 1,000 unpaid for 30 days at 8% + Bank Rate on 2024-12-31 (4.75%) = 12.75%:
    # 3,000,000 x 12.75% x 30 / 365 = 31,438.36 pence; daily 3,000,000 x 12.75% / 365 = 1,047.95 -> 1,048
    assert filing.daily_interest == 1048
    assert "GBP 10.48 a day" in filing.particulars


def test_a_new_york_claim_states_the_cplr_rate_and_basis_and_has_no_english_court_fee() -> None:
    usd = lambda amount: {"amount": amount, "currency": "USD"}  # noqa: E731
    contract = Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=date(2026, 1, 2),
        title="Brand identity",
        supplier={"name": "Studio LLC", "email": "s@example.com", "kind": "business"},
        client={"name": "Client Inc", "email": "c@example.com", "kind": "business"},
        currency="USD",
        total=usd(1_000_000),
        jurisdiction="US-NY",
        late_payment={"kind": "statutory"},
        milestones=[{"key": "m", "title": "Identity", "amount": usd(1_000_000), "due": "on_signing"}],
    )
    contract.issue_invoice(number="INV-1", occurred_on=date(2026, 1, 2), milestone_keys=["m"], due_on=date(2026, 1, 31))
    filing = filing_for(contract, statement_of_claim(contract, "2026-03-02", load_rate_tables()))
    # USD 10,000.00 at 9% from 2026-02-01 to 2026-03-02 (30 days): 1,000,000 x 0.09 x 30 / 365 = 7,397.26 cents;
    # a day: 1,000,000 x 0.09 / 365 = 246.58 -> 247 cents.
    assert (filing.claim.interest, filing.daily_interest, filing.court_fee) == (7397, 247, None)
    assert "statutory interest under N.Y. CPLR 5001" in filing.particulars and "9% a year" in filing.particulars
    assert "USD 73.97 to 2026-03-02" in filing.particulars and "USD 2.47 a day" in filing.particulars
