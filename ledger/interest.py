"""Late-payment interest and fixed compensation, per invoice, as of a date.

Pure functions in ``Decimal``. The regime comes from the contract's
``late_payment`` terms, the client's kind and the jurisdiction:

- ``none``: nothing; ``contractual``: simple interest at the contract's annual rate;
- ``statutory`` with a business client in ``GB-*``: Late Payment of Commercial Debts
  (Interest) Act 1998 — 8 % over the reference rate of the half-year in which the
  debt fell due, fixed for the life of the debt (s.4(2)); GBP 40 / 70 / 100 per debt;
- ``statutory`` with a business client in ``EU-*``: Directive 2011/7/EU — ECB MRO
  rate + 8 points, each half-year at its own rate; EUR 40 per late invoice;
- ``statutory`` with an individual client (statutory interest is business to business
  only) or in any other jurisdiction (no statutory engine here): nothing, and the basis
  says why.

Interest is simple, actual days / 365, on the principal outstanding at the start of
each day, from the day after the due date to ``as_of`` inclusive; a new period starts
whenever the principal or the rate changes, so every figure shows its working. The
sum per invoice is rounded half-up to the minor unit once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger import dates
from ledger.rates import RateTables
from ledger.state import InvoiceState

DAYS_PER_YEAR = Decimal(365)
UK_COMPENSATION_BANDS = ((100_000, 4_000), (1_000_000, 7_000))  # pence: under £1,000 -> £40; under £10,000 -> £70
UK_COMPENSATION_TOP = 10_000  # £100 for £10,000 or more
EU_COMPENSATION = 4_000  # EUR 40 per late invoice (Art. 6)

BASIS = {
    "none": "The contract provides for no late-payment interest; none is claimed.",
    "contractual": "Simple interest at the contractual rate of {rate}% a year, actual days / 365, on the principal "
                   "outstanding from the day after each due date. No fixed compensation is claimed under the contract.",
    "uk_statutory": "Late Payment of Commercial Debts (Interest) Act 1998: simple interest at 8% over the Bank of England "
                    "reference rate for the half-year in which each debt fell due, fixed for the life of the debt (s.4(2); "
                    "SI 2002/1675 art. 4), actual days / 365, from the day after the due date; fixed compensation of "
                    "GBP 40, 70 or 100 per debt by its size (s.5A).",
    "eu_statutory": "Late Payment Directive 2011/7/EU: simple interest at the ECB main refinancing operations rate plus "
                    "8 percentage points, each half-year at its own reference rate (Art. 2(6)-(7), 3(2)), actual days / "
                    "365, from the day after the due date; fixed compensation of EUR 40 per late invoice (Art. 6; CJEU "
                    "C-78/22).",
    "consumer": "Statutory late-payment interest applies between businesses only (UK Late Payment of Commercial Debts "
                "(Interest) Act 1998; Directive 2011/7/EU). The client is an individual, so no statutory interest or "
                "compensation is claimed; the contract sets no contractual rate.",
    "no_statutory_engine": "The contract refers to statutory late-payment interest, but this ledger has no statutory "
                           "interest engine for jurisdiction {jurisdiction}; no interest is computed (local remedies, "
                           "e.g. court interest or a freelance-protection statute, must be claimed separately). "
                           "Contractual interest would apply if the contract set a rate.",
}


@dataclass(frozen=True)
class Regime:
    kind: str  # none, contractual, uk_statutory, eu_statutory, consumer, no_statutory_engine
    basis: str
    contractual_rate: Decimal | None = None


def regime_for(late_payment: dict[str, Any], client_kind: str, jurisdiction: str) -> Regime:
    """Which rules apply to a contract: the single place that decides it."""
    kind = late_payment.get("kind", "none")
    if kind == "contractual":
        rate = Decimal(late_payment["annual_rate_percent"])
        return Regime("contractual", BASIS["contractual"].format(rate=rate), rate)
    if kind != "statutory":
        return Regime("none", BASIS["none"])
    if client_kind != "business":
        return Regime("consumer", BASIS["consumer"])
    if jurisdiction.startswith("GB"):
        return Regime("uk_statutory", BASIS["uk_statutory"])
    if jurisdiction.startswith("EU"):
        return Regime("eu_statutory", BASIS["eu_statutory"])
    return Regime("no_statutory_engine", BASIS["no_statutory_engine"].format(jurisdiction=jurisdiction))


@dataclass(frozen=True)
class InterestPeriod:
    """One stretch of days with the same principal and rate: the working behind a figure."""

    start: str  # first day of interest (inclusive)
    end: str  # last day (inclusive)
    days: int
    principal: int  # minor units outstanding during the period
    rate_percent: Decimal
    interest: Decimal  # unrounded, in minor units
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "days": self.days, "principal": self.principal,
                "rate_percent": str(self.rate_percent), "interest": str(self.interest), "source": self.source}


@dataclass(frozen=True)
class InvoiceInterest:
    number: str
    due_on: str
    amount: int
    late_debt: int  # what was unpaid at the end of the due date (sizes the UK fixed sum)
    outstanding: int  # principal outstanding on ``as_of``
    periods: tuple[InterestPeriod, ...]
    interest: int  # minor units, rounded half-up once
    compensation: int
    compensation_basis: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "due_on": self.due_on, "amount": self.amount, "late_debt": self.late_debt,
                "outstanding": self.outstanding, "periods": [p.to_dict() for p in self.periods],
                "interest": self.interest, "compensation": self.compensation,
                "compensation_basis": self.compensation_basis}


RateAt = Callable[[str], tuple[Decimal, str]]


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_interest(principal: int, rate_percent: Decimal, days: int) -> Decimal:
    return Decimal(principal) * rate_percent / Decimal(100) * Decimal(days) / DAYS_PER_YEAR


def invoice_interest(
    invoice: InvoiceState, regime: Regime, currency: str, as_of: str, tables: RateTables
) -> InvoiceInterest:
    """Interest and compensation on one invoice as of ``as_of``, with every period shown."""
    rate_at, split_half_years = rate_source(regime, invoice.due_on, tables)
    periods = accrual_periods(invoice, as_of, rate_at, split_half_years) if rate_at else ()
    # The debt that fell due unpaid (or came back unpaid after a reversal) sizes the fixed sum.
    late_debt = max([invoice.outstanding(invoice.due_on), *(p.principal for p in periods)]) if as_of > invoice.due_on else 0
    compensation, why = compensation_for(regime, currency, late_debt)
    return InvoiceInterest(
        number=invoice.number, due_on=invoice.due_on, amount=invoice.amount, late_debt=late_debt,
        outstanding=invoice.outstanding(as_of), periods=periods,
        interest=round_minor(sum((p.interest for p in periods), Decimal(0))),
        compensation=compensation, compensation_basis=why,
    )


def rate_source(regime: Regime, due_on: str, tables: RateTables) -> tuple[RateAt | None, bool]:
    """The rate for a day under the regime, and whether half-year boundaries start new periods."""
    if regime.kind == "contractual" and regime.contractual_rate is not None:
        fixed = regime.contractual_rate
        return (lambda day: (fixed, "contract: late_payment.annual_rate_percent")), False
    if regime.kind == "uk_statutory":
        # Fixed at the due date for the life of the debt (s.4(2)); looked up only if some principal is late.
        return (lambda day: (tables.uk.row_for(due_on).statutory_percent, tables.uk.row_for(due_on).source)), False
    if regime.kind == "eu_statutory":
        return (lambda day: (tables.eu.row_for(day).statutory_percent, tables.eu.row_for(day).source)), True
    return None, False


def accrual_periods(invoice: InvoiceState, as_of: str, rate_at: RateAt, split_half_years: bool) -> tuple[InterestPeriod, ...]:
    first = dates.add_days(invoice.due_on, 1)
    if first > as_of or invoice.is_voided(as_of):
        return ()
    starts = sorted(period_starts(invoice, first, as_of, split_half_years))
    periods: list[InterestPeriod] = []
    for index, start in enumerate(starts):
        end = dates.add_days(starts[index + 1], -1) if index + 1 < len(starts) else as_of
        principal = invoice.outstanding(dates.add_days(start, -1))  # owed at the start of the day
        if principal <= 0:
            continue
        rate, source = rate_at(start)
        merge_or_append(periods, start, end, principal, rate, source)
    return tuple(periods)


def period_starts(invoice: InvoiceState, first: str, as_of: str, split_half_years: bool) -> set[str]:
    """Days on which the principal (the day after a payment, credit or reversal) or the rate may change."""
    starts = {first}
    for reduction in invoice.reductions:
        for day in (reduction["on"], reduction["until"]):
            if day:
                starts.add(dates.add_days(day, 1))
    if split_half_years:
        for year in range(int(first[:4]), int(as_of[:4]) + 1):
            starts |= {f"{year}-01-01", f"{year}-07-01"}
    return {day for day in starts if first <= day <= as_of}


def merge_or_append(periods: list[InterestPeriod], start: str, end: str, principal: int, rate: Decimal, source: str) -> None:
    days = dates.days_between(start, end) + 1
    last = periods[-1] if periods else None
    if last and (last.principal, last.rate_percent, last.source) == (principal, rate, source) \
            and dates.add_days(last.end, 1) == start:
        days += last.days
        start = last.start
        periods.pop()
    periods.append(InterestPeriod(start, end, days, principal, rate, period_interest(principal, rate, days), source))


def compensation_for(regime: Regime, currency: str, late_debt: int) -> tuple[int, str]:
    if late_debt <= 0 or regime.kind not in ("uk_statutory", "eu_statutory"):
        return 0, ""
    if regime.kind == "uk_statutory":
        if currency != "GBP":
            return 0, f"the Act's fixed sums are in sterling; not converted into {currency}"
        for limit, amount in UK_COMPENSATION_BANDS:
            if late_debt < limit:
                return amount, f"debt under GBP {limit // 100:,}: fixed sum GBP {amount // 100}"
        return UK_COMPENSATION_TOP, "debt of GBP 10,000 or more: fixed sum GBP 100"
    if currency != "EUR":
        return 0, f"EUR 40 under Art. 6 is not converted into {currency}"
    return EU_COMPENSATION, "EUR 40 per late invoice (Art. 6)"
