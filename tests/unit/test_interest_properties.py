"""Properties of the interest engine over random debts and dates (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import dates
from ledger.interest import invoice_interest, regime_for
from ledger.rates import load_rate_tables
from ledger.state import InvoiceState

TABLES = load_rate_tables()
UK = regime_for({"kind": "statutory"}, "business", "GB-ENG")
EU = regime_for({"kind": "statutory"}, "business", "EU-DE")
due_dates = st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 6, 30))


def invoice(amount: int, due: date, reductions: list[tuple[int, date]] | None = None) -> InvoiceState:
    state = InvoiceState("X-1", amount, due.isoformat(), due.isoformat(), [], [], 1, "")
    state.reductions = [{"kind": "payment", "ref": f"p{i}", "amount": a, "on": d.isoformat(), "until": None}
                        for i, (a, d) in enumerate(reductions or [])]
    return state


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10**9), due=due_dates, late=st.integers(1, 180))
def test_an_unpaid_uk_debt_accrues_one_period_at_the_due_dates_rate(amount: int, due: date, late: int) -> None:
    as_of = due + timedelta(days=late)
    figure = invoice_interest(invoice(amount, due), UK, "GBP", as_of.isoformat(), TABLES)
    rate = TABLES.uk.row_for(due.isoformat()).statutory_percent
    expected = (Decimal(amount) * rate / 100 * late / 365).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert [(p.days, p.rate_percent, p.principal) for p in figure.periods] == [(late, rate, amount)]
    assert figure.interest == int(expected)


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(1, 10**9), due=due_dates, late=st.integers(1, 180),
       paid=st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 180)), max_size=4))
def test_eu_periods_tile_the_late_days_within_half_years_and_follow_the_principal(
    amount: int, due: date, late: int, paid: list[tuple[int, int]]
) -> None:
    as_of = due + timedelta(days=late)
    payments = [(a, due + timedelta(days=d)) for a, d in paid]
    if sum(a for a, _ in payments) > amount:
        payments = []
    state = invoice(amount, due, payments)
    figure = invoice_interest(state, EU, "EUR", as_of.isoformat(), TABLES)
    owed_days = [d for d in range(1, late + 1) if state.outstanding((due + timedelta(days=d - 1)).isoformat()) > 0]
    assert sum(p.days for p in figure.periods) == len(owed_days)
    for period in figure.periods:
        assert period.start[:4] == period.end[:4] and (period.start[5:7] <= "06") == (period.end[5:7] <= "06")
        for offset in range(period.days):  # the principal owed at the start of every day of the period
            assert state.outstanding(dates.add_days(period.start, offset - 1)) == period.principal
        assert period.rate_percent == TABLES.eu.row_for(period.start).statutory_percent
