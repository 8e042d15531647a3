"""United States: New York and California statutory interest and New York's freelance double damages, by hand.

Interest is simple, actual days / 365, from the day after the due date, rounded half-up once per invoice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.rates import load_rate_tables
from ledger.us_rules import us_rule_for

TABLES = load_rate_tables()


def us_contract(
    jurisdiction: str,
    total: int,
    *,
    supplier_kind: str = "business",
    client_kind: str = "business",
    signed_on: date = date(2026, 1, 2),
    late_payment: dict[str, Any] | None = None,
) -> Contract:
    money = {"amount": total, "currency": "USD"}
    return Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=signed_on,
        title="Design work",
        supplier={"name": "Sam Rivera", "email": "sam@example.com", "kind": supplier_kind},
        client={"name": "Client Inc", "email": "ap@example.com", "kind": client_kind},
        currency="USD",
        total=money,
        jurisdiction=jurisdiction,
        milestones=[{"key": "m", "title": "M", "amount": money, "due": "on_signing"}],
        late_payment=late_payment or {"kind": "statutory"},
    )


def invoice(c: Contract, number: str, amount: int, due_on: date) -> None:
    c.issue_invoice(
        number=number,
        occurred_on=date(2026, 1, 2),
        due_on=due_on,
        lines=[{"description": "Work", "amount": {"amount": amount, "currency": "USD"}}],
    )


def test_new_york_charges_9_percent_simple_on_a_contract_debt_citing_cplr_5004() -> None:
    c = us_contract("US-NY", 500_000)
    invoice(c, "NY-1", 500_000, date(2026, 3, 31))
    claim = statement_of_claim(c, "2026-06-29", TABLES)
    # 2026-04-01..2026-06-29 = 30 (April) + 31 (May) + 29 (June) = 90 days
    # 500000 cents * 9 / 100 * 90 / 365 = 405,000,000 / 36,500 = 11095.89... -> 11096 cents (USD 110.96)
    (figure,) = claim.invoices
    assert [(p.start, p.end, p.days, p.rate_percent) for p in figure.periods] == [
        ("2026-04-01", "2026-06-29", 90, Decimal(9))
    ]
    assert (claim.principal, claim.interest, claim.compensation, claim.total) == (500_000, 11_096, 0, 511_096)
    assert claim.regime.kind == "us_statutory" and "CPLR 5004" in claim.regime.basis
    assert "CPLR 5004" in figure.periods[0].source


def test_a_late_freelance_payment_in_new_york_earns_double_damages_under_the_freelance_isnt_free_act() -> None:
    c = us_contract("US-NY", 200_000, supplier_kind="individual")
    invoice(c, "FIFA-1", 200_000, date(2026, 3, 31))
    c.record_payment(payment_id="late", occurred_on=date(2026, 4, 30), amount={"amount": 200_000, "currency": "USD"})
    claim = statement_of_claim(c, "2026-06-29", TABLES)
    # Paid 30 days late: interest 2026-04-01..2026-04-30 = 30 days at 9 %:
    # 200000 * 9 / 100 * 30 / 365 = 54,000,000 / 36,500 = 1479.45... -> 1479 cents.
    # Double damages: an additional amount equal to the 2,000.00 not paid by the due date = 200000 cents.
    (figure,) = claim.invoices
    assert (figure.late_debt, figure.interest, figure.compensation) == (200_000, 1_479, 200_000)
    assert (claim.principal, claim.total) == (0, 201_479)
    assert "Freelance Isn't Free Act" in claim.regime.basis and "Article 44-A" in claim.regime.basis
    assert "Local Law 140 of 2016" in claim.regime.basis and "CPLR 5004" in claim.regime.basis
    assert claim.regime.compensation_label == "Double damages"
    assert "double damages" in figure.compensation_basis and "USD 2,000.00" in figure.compensation_basis


def test_no_double_damages_for_a_business_supplier_under_800_dollars_or_before_the_state_act() -> None:
    for c in (
        us_contract("US-NY", 200_000),  # a business supplier, not a freelancer
        us_contract("US-NY", 79_999, supplier_kind="individual"),  # under USD 800
        us_contract("US-NY", 200_000, supplier_kind="individual", signed_on=date(2024, 8, 27)),
    ):
        invoice(c, "X", 79_999, date(2026, 3, 31))
        claim = statement_of_claim(c, "2026-04-10", TABLES)
        assert claim.compensation == 0 and "Freelance" not in claim.regime.basis


def test_an_individual_client_in_new_york_owes_the_2_percent_consumer_debt_rate() -> None:
    c = us_contract("US-NY", 500_000, client_kind="individual")
    invoice(c, "NY-2", 500_000, date(2026, 3, 31))
    # 90 days at 2 %: 500000 * 2 / 100 * 90 / 365 = 90,000,000 / 36,500 = 2465.75... -> 2466
    claim = statement_of_claim(c, "2026-06-29", TABLES)
    assert claim.interest == 2_466 and "consumer debt" in claim.regime.basis


def test_california_charges_10_percent_simple_after_breach_citing_civil_code_3289() -> None:
    c = us_contract("US-CA", 300_000)
    invoice(c, "CA-1", 300_000, date(2026, 1, 15))
    claim = statement_of_claim(c, "2026-04-15", TABLES)
    # 2026-01-16..2026-04-15 = 16 (January) + 28 (February) + 31 (March) + 15 (April) = 90 days
    # 300000 * 10 / 100 * 90 / 365 = 270,000,000 / 36,500 = 7397.26... -> 7397 cents (USD 73.97)
    assert (claim.principal, claim.interest, claim.compensation, claim.total) == (300_000, 7_397, 0, 307_397)
    assert claim.regime.kind == "us_statutory" and "Civil Code section 3289(b)" in claim.regime.basis


def test_another_state_applies_a_contractual_rate_and_says_no_statutory_rate_is_known_only_without_one() -> None:
    c = us_contract("US-TX", 365_000, late_payment={"kind": "contractual", "annual_rate_percent": "12.00"})
    invoice(c, "TX-1", 365_000, date(2026, 1, 31))
    # 10 days at 12 %: 365000 * 12 / 100 * 10 / 365 = 1200 exactly
    assert statement_of_claim(c, "2026-02-10", TABLES).interest == 1_200
    rule = us_rule_for("US-TX")
    assert rule.annual_rate_percent is None and rule.citation == "no statutory rate known to this ledger for US-TX"


def test_the_us_rules_carry_their_citations_and_sources() -> None:
    ny, ca = us_rule_for("US-NY"), us_rule_for("US-CA")
    assert (ny.annual_rate_percent, ca.annual_rate_percent) == (Decimal(9), Decimal(10))
    assert ny.sources and ca.sources and ny.freelance[0].sources
    assert ny.freelance[0].default_due_days == 30 and ny.freelance[0].threshold_minor == 80_000
    assert "SC-100" in ca.demand_before_filing
