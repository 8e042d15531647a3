"""Worked examples of late-payment interest, computed by hand with Decimal literals.

Rates used (from the shipped tables, quoted here so the arithmetic stands alone):
UK statutory 2025 H1 = 4.75 + 8 = 12.75 %, 2025 H2 = 4.25 + 8 = 12.25 %, 2026 H1 = 3.75 + 8 = 11.75 %;
EU statutory 2025 H1 = 3.15 + 8 = 11.15 %, 2025 H2 = 2.15 + 8 = 10.15 %.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import uuid4

import pytest

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.errors import RatesUnavailable
from ledger.rates import RateRow, RateTable, RateTables, load_rate_tables

TABLES = load_rate_tables()


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def contract(currency: str, jurisdiction: str, client_kind: str = "business",
             late_payment: dict[str, Any] | None = None) -> Contract:
    money = {"amount": 100, "currency": currency}
    return Contract.sign(
        contract_id=uuid4(), account_id="acct", occurred_on=date(2025, 1, 2), title="Work",
        supplier={"name": "Supplier Ltd", "email": "s@example.com"},
        client={"name": "Client", "email": "c@example.com", "kind": client_kind},
        currency=currency, total=money, jurisdiction=jurisdiction,
        milestones=[{"key": "m", "title": "M", "amount": money, "due": "on_signing"}],
        late_payment=late_payment or {"kind": "statutory"},
    )


def invoice(c: Contract, number: str, amount: int, due_on: date) -> None:
    c.issue_invoice(number=number, occurred_on=date(2025, 1, 2), due_on=due_on,
                    lines=[{"description": "Work", "amount": {"amount": amount, "currency": c.currency}}])


def test_a_uk_debt_of_9999_99_keeps_the_rate_fixed_at_its_due_date_across_the_half_year_and_earns_70_pounds() -> None:
    c = contract("GBP", "GB-ENG")
    invoice(c, "UK-1", 999_999, date(2025, 6, 15))
    claim = statement_of_claim(c, "2025-08-14", TABLES)
    # 2025-06-16..2025-08-14 = 15 (June) + 31 (July) + 14 (August) = 60 days, all at 12.75 % (H1 2025, the due date's)
    # although the reference rate fell to 4.25 (12.25 %) on 1 July 2025.
    expected_interest = half_up(Decimal("999999") * Decimal("12.75") / Decimal(100) * Decimal(60) / Decimal(365))
    assert expected_interest == 20959  # 7649992.35 / 365 = 20958.8831...
    (figure,) = claim.invoices
    assert [(p.start, p.end, p.days, p.rate_percent) for p in figure.periods] == [
        ("2025-06-16", "2025-08-14", 60, Decimal("12.75"))
    ]
    assert "uk_late_payment_reference.csv line 20" in figure.periods[0].source
    assert (claim.principal, claim.interest, claim.compensation) == (999_999, expected_interest, 7_000)
    assert claim.total == 999_999 + 20_959 + 7_000


def test_a_uk_debt_of_10000_pounds_earns_100_pounds_fixed_compensation() -> None:
    c = contract("GBP", "GB-ENG")
    invoice(c, "UK-2", 1_000_000, date(2025, 6, 15))
    claim = statement_of_claim(c, "2025-08-14", TABLES)
    expected_interest = half_up(Decimal("1000000") * Decimal("12.75") / Decimal(100) * Decimal(60) / Decimal(365))
    assert expected_interest == 20959  # 7650000 / 365 = 20958.9041...
    assert (claim.principal, claim.interest, claim.compensation, claim.total) == (
        1_000_000, expected_interest, 10_000, 1_000_000 + 20_959 + 10_000)
    assert claim.regime.kind == "uk_statutory" and "s.4(2)" in claim.regime.basis


def test_an_eu_business_debt_of_two_invoices_accrues_each_half_year_at_its_own_rate_and_40_euro_each() -> None:
    c = contract("EUR", "EU-DE")
    invoice(c, "EU-A", 500_000, date(2025, 6, 10))
    invoice(c, "EU-B", 200_000, date(2025, 6, 20))
    claim = statement_of_claim(c, "2025-07-20", TABLES)
    # EU-A: 06-11..06-30 = 20 days at 11.15 %, then 07-01..07-20 = 20 days at 10.15 %
    a = Decimal("500000") * Decimal("11.15") / 100 * 20 / 365 + Decimal("500000") * Decimal("10.15") / 100 * 20 / 365
    # EU-B: 06-21..06-30 = 10 days at 11.15 %, then 20 days at 10.15 %
    b = Decimal("200000") * Decimal("11.15") / 100 * 10 / 365 + Decimal("200000") * Decimal("10.15") / 100 * 20 / 365
    assert (half_up(a), half_up(b)) == (5836, 1723)  # 3054.79 + 2780.82; 610.96 + 1112.33
    first, second = claim.invoices
    assert [(p.start, p.end, p.days, p.rate_percent) for p in first.periods] == [
        ("2025-06-11", "2025-06-30", 20, Decimal("11.15")), ("2025-07-01", "2025-07-20", 20, Decimal("10.15"))]
    assert [(p.days, p.rate_percent) for p in second.periods] == [(10, Decimal("11.15")), (20, Decimal("10.15"))]
    assert (first.interest, second.interest) == (5836, 1723)
    assert (first.compensation, second.compensation) == (4_000, 4_000)
    assert claim.total == 700_000 + 5_836 + 1_723 + 8_000


def test_a_part_payment_starts_a_new_period_on_the_reduced_principal() -> None:
    c = contract("GBP", "GB-ENG")
    invoice(c, "UK-3", 300_000, date(2026, 3, 31))
    c.record_payment(payment_id="p1", occurred_on=date(2026, 4, 30), amount={"amount": 100_000, "currency": "GBP"})
    claim = statement_of_claim(c, "2026-05-30", TABLES)
    # 04-01..04-30: 30 days on 3,000.00 at 11.75 %; 05-01..05-30: 30 days on 2,000.00 at 11.75 %
    exact = Decimal("300000") * Decimal("11.75") / 100 * 30 / 365 + Decimal("200000") * Decimal("11.75") / 100 * 30 / 365
    assert half_up(exact) == 4829  # 2897.26 + 1931.51
    (figure,) = claim.invoices
    assert [(p.start, p.end, p.days, p.principal) for p in figure.periods] == [
        ("2026-04-01", "2026-04-30", 30, 300_000), ("2026-05-01", "2026-05-30", 30, 200_000)]
    assert (claim.principal, claim.interest, claim.compensation, claim.total) == (200_000, 4829, 7_000, 211_829)


def test_a_reversed_payment_puts_the_principal_back_from_the_day_after_the_reversal() -> None:
    c = contract("GBP", "GB-ENG")
    invoice(c, "UK-4", 100_000, date(2026, 3, 31))
    c.record_payment(payment_id="p1", occurred_on=date(2026, 4, 10), amount={"amount": 100_000, "currency": "GBP"})
    c.reverse_payment(payment_id="p1", occurred_on=date(2026, 4, 20), reason="cheque bounced")
    claim = statement_of_claim(c, "2026-04-30", TABLES)
    (figure,) = claim.invoices
    # 04-01..04-10: 10 days owed; 04-11..04-20 paid; 04-21..04-30: 10 days owed again
    assert [(p.start, p.end, p.days) for p in figure.periods] == [
        ("2026-04-01", "2026-04-10", 10), ("2026-04-21", "2026-04-30", 10)]
    assert figure.interest == half_up(Decimal("100000") * Decimal("11.75") / 100 * 20 / 365)  # 643.84 -> 644


def test_a_contractual_rate_of_1_5_percent_a_month_is_stated_as_18_percent_a_year_and_has_no_fixed_sum() -> None:
    annual = Decimal("1.5") * 12
    assert annual == Decimal("18.0")
    c = contract("GBP", "GB-ENG", late_payment={"kind": "contractual", "annual_rate_percent": "18.00"})
    invoice(c, "C-1", 120_000, date(2026, 1, 31))
    claim = statement_of_claim(c, "2026-03-02", TABLES)
    # 2026-02-01..2026-03-02 = 28 + 2 = 30 days
    expected = half_up(Decimal("120000") * annual / 100 * 30 / 365)
    assert expected == 1775  # 648000 / 365 = 1775.34...
    assert (claim.interest, claim.compensation, claim.total) == (1775, 0, 120_000 + 1775)
    assert claim.regime.kind == "contractual" and "18.00%" in claim.regime.basis


def test_a_consumer_client_gets_no_statutory_interest_or_compensation() -> None:
    c = contract("GBP", "GB-ENG", client_kind="individual")
    invoice(c, "I-1", 120_000, date(2025, 6, 15))
    claim = statement_of_claim(c, "2025-08-14", TABLES)
    assert (claim.principal, claim.interest, claim.compensation, claim.total) == (120_000, 0, 0, 120_000)
    assert claim.regime.kind == "consumer" and "individual" in claim.regime.basis


def test_an_individual_client_still_owes_contractual_interest() -> None:
    c = contract("GBP", "GB-ENG", client_kind="individual",
                 late_payment={"kind": "contractual", "annual_rate_percent": "18.00"})
    invoice(c, "I-2", 120_000, date(2026, 1, 31))
    assert statement_of_claim(c, "2026-03-02", TABLES).interest == 1775


def test_a_us_state_without_a_known_rule_says_no_statutory_rate_is_known_and_claims_no_interest() -> None:
    c = contract("USD", "US-TX")
    invoice(c, "US-1", 120_000, date(2025, 6, 15))
    claim = statement_of_claim(c, "2025-08-14", TABLES)
    assert (claim.interest, claim.compensation, claim.total) == (0, 0, 120_000)
    assert claim.regime.kind == "no_statutory_engine" and "No statutory rate known" in claim.regime.basis
    assert "US-TX" in claim.regime.basis


def test_a_us_contract_with_a_contractual_rate_accrues_it() -> None:
    c = contract("USD", "US-CA", late_payment={"kind": "contractual", "annual_rate_percent": "10.00"})
    invoice(c, "US-2", 365_000, date(2026, 1, 31))
    # 10 days at 10 % on 3,650.00: 365000 * 0.10 * 10 / 365 = 1000 exactly
    assert statement_of_claim(c, "2026-02-10", TABLES).interest == 1000


def test_no_late_payment_terms_means_no_interest_and_an_invoice_not_yet_due_is_not_claimed() -> None:
    c = contract("GBP", "GB-ENG", late_payment={"kind": "none"})
    invoice(c, "N-1", 50_000, date(2025, 6, 15))
    invoice(c, "N-2", 70_000, date(2025, 9, 15))
    claim = statement_of_claim(c, "2025-08-14", TABLES)
    assert (claim.principal, claim.interest, claim.compensation, claim.not_yet_due) == (50_000, 0, 0, 70_000)


def test_an_eu_date_past_the_end_of_the_rate_table_is_refused_by_strict_tables_not_guessed() -> None:
    c = contract("EUR", "EU-FR")
    invoice(c, "EU-Z", 100_000, date(2026, 12, 1))
    with pytest.raises(RatesUnavailable) as caught:
        statement_of_claim(c, "2027-01-10", load_rate_tables(strict=True))
    assert caught.value.code == "rates_unavailable" and caught.value.details["day"] == "2027-01-01"
    assert caught.value.details["verified_through"] == "2026-07-01"


def test_a_uk_due_date_before_the_rate_table_starts_is_refused() -> None:
    c = contract("GBP", "GB-ENG")
    c.issue_invoice(number="OLD", occurred_on=date(2025, 1, 2), due_on=date(2025, 1, 2),
                    lines=[{"description": "x", "amount": {"amount": 100, "currency": "GBP"}}])
    tables = load_rate_tables()
    assert tables.uk.row_for("2016-01-01").statutory_percent == Decimal("8.50")
    with pytest.raises(RatesUnavailable):
        tables.uk.row_for("2015-12-31")


def test_small_uk_debts_earn_40_pounds() -> None:
    c = contract("GBP", "GB-SCT")
    invoice(c, "S-1", 99_999, date(2025, 6, 15))
    assert statement_of_claim(c, "2025-06-16", TABLES).compensation == 4_000


def test_an_invoice_paid_on_time_needs_no_rate_even_before_the_tables_start() -> None:
    c = contract("GBP", "GB-ENG")
    c.issue_invoice(number="EARLY", occurred_on=date(2025, 1, 2), due_on=date(2025, 1, 2),
                    lines=[{"description": "x", "amount": {"amount": 100, "currency": "GBP"}}])
    c.record_payment(payment_id="p", occurred_on=date(2025, 1, 2), amount={"amount": 100, "currency": "GBP"})
    empty = RateTables(uk=RateTable("uk", (RateRow("2030-01-01", "2030-06-30", Decimal(0), Decimal(8), "x"),)),
                       eu=TABLES.eu)
    claim = statement_of_claim(c, "2025-08-14", empty)
    assert (claim.principal, claim.interest, claim.compensation, claim.invoices) == (0, 0, 0, ())
