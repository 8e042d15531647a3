"""Past a series' verified-through date the last known rate carries forward, and the claim says so."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.errors import RatesUnavailable
from ledger.rates import SERIES_FILE, load_rate_tables, read_table_texts, tables_from_texts


def uk_contract() -> Contract:
    money = {"amount": 100_000, "currency": "GBP"}
    c = Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=date(2026, 11, 2),
        title="Work",
        supplier={"name": "Supplier Ltd", "email": "s@example.com"},
        client={"name": "Client Ltd", "email": "c@example.com"},
        currency="GBP",
        total=money,
        jurisdiction="GB-ENG",
        milestones=[{"key": "m", "title": "M", "amount": money, "due": "on_signing"}],
        late_payment={"kind": "statutory"},
    )
    c.issue_invoice(
        number="UK-27",
        occurred_on=date(2026, 12, 3),
        due_on=date(2027, 1, 2),
        lines=[{"description": "Work", "amount": money}],
    )
    return c


def test_the_packaged_series_are_verified_through_mid_2026_and_exact_to_the_end_of_2026() -> None:
    tables = load_rate_tables()
    assert (tables.uk.verified_through, tables.eu.verified_through) == ("2026-06-30", "2026-07-01")
    assert (tables.uk.exact_through, tables.eu.exact_through) == ("2026-12-31", "2026-12-31")
    assert tables.uk.row_for("2026-12-31").provisional is None


def test_a_uk_claim_for_a_debt_due_in_2027_carries_the_last_bank_rate_forward_and_is_provisional() -> None:
    claim = statement_of_claim(uk_contract(), "2027-01-05", load_rate_tables())
    # Bank Rate in force on 2026-06-30 (verified through) = 3.75, carried forward: 3.75 + 8 = 11.75 %.
    # 2027-01-03..2027-01-05 = 3 days: 100000 * 11.75 / 100 * 3 / 365 = 3,525,000 / 36,500 = 96.57... -> 97 pence
    (figure,) = claim.invoices
    (period,) = figure.periods
    assert (period.start, period.end, period.days, str(period.rate_percent)) == ("2027-01-03", "2027-01-05", 3, "11.75")
    assert claim.interest == 97 and claim.compensation == 7_000  # GBP 1,000.00 is in the GBP 70 band
    assert claim.provisional == ("provisional: rate verified through 2026-06-30",)
    assert "provisional: rate verified through 2026-06-30" in period.source
    data = claim.to_dict()
    assert data["provisional"] is True and data["provisional_notes"] == [
        "provisional: rate verified through 2026-06-30"
    ]


def test_an_exact_claim_is_not_provisional() -> None:
    claim = statement_of_claim(uk_contract(), "2026-12-31", load_rate_tables())
    assert claim.provisional == () and claim.to_dict()["provisional"] is False


def test_strict_tables_refuse_the_carried_forward_rate() -> None:
    with pytest.raises(RatesUnavailable) as caught:
        statement_of_claim(uk_contract(), "2027-01-05", load_rate_tables(strict=True))
    assert caught.value.code == "rates_unavailable" and "strict" in caught.value.message
    assert caught.value.details["day"] == "2027-01-02"


def test_a_reference_row_that_needs_a_rate_after_the_verified_through_date_is_refused() -> None:
    texts = read_table_texts()
    earlier = texts[SERIES_FILE].replace(
        "uk_bank_rate,uk_bank_rate_changes.csv,2026-06-30", "uk_bank_rate,uk_bank_rate_changes.csv,2026-06-29"
    )
    with pytest.raises(RatesUnavailable) as caught:
        tables_from_texts({**texts, SERIES_FILE: earlier})
    assert caught.value.message.startswith(
        "uk_late_payment_reference.csv line 23: the half-year from 2026-07-01 needs the rate on 2026-06-30"
    )


def test_a_directory_without_verified_through_dates_counts_each_table_as_verified_to_its_last_row() -> None:
    texts = {k: v for k, v in read_table_texts().items() if k != SERIES_FILE}
    tables = tables_from_texts(texts)
    assert (tables.uk.verified_through, tables.eu.verified_through) == ("2026-06-30", "2026-07-01")


def test_an_eu_debt_across_the_new_year_is_exact_in_2026_and_provisional_from_1_january_2027() -> None:
    money = {"amount": 365_000, "currency": "EUR"}
    c = Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=date(2026, 11, 2),
        title="Work",
        supplier={"name": "S GmbH", "email": "s@example.com"},
        client={"name": "C SA", "email": "c@example.com"},
        currency="EUR",
        total=money,
        jurisdiction="EU-DE",
        milestones=[{"key": "m", "title": "M", "amount": money, "due": "on_signing"}],
        late_payment={"kind": "statutory"},
    )
    c.issue_invoice(
        number="EU-27",
        occurred_on=date(2026, 11, 2),
        due_on=date(2026, 12, 21),
        lines=[{"description": "Work", "amount": money}],
    )
    claim = statement_of_claim(c, "2027-01-10", load_rate_tables())
    # 2026-12-22..31 = 10 days at 2.40 + 8 = 10.40 % (exact): 365000 * 10.40 / 100 * 10 / 365 = 1040
    # 2027-01-01..10 = 10 days at 10.40 % carried forward (ECB rate verified through 2026-07-01): 1040 more
    (figure,) = claim.invoices
    assert [(p.start, p.end, str(p.rate_percent), p.provisional) for p in figure.periods] == [
        ("2026-12-22", "2026-12-31", "10.40", None),
        ("2027-01-01", "2027-01-10", "10.40", "provisional: rate verified through 2026-07-01"),
    ]
    assert claim.interest == 2_080 and claim.provisional == ("provisional: rate verified through 2026-07-01",)
