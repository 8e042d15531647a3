"""Late-payment interest and fixed compensation, per invoice, as of a date.

Pure functions in ``Decimal``. The regime comes from the contract's
``late_payment`` terms, the client's kind and the jurisdiction:

- ``none``: nothing; ``contractual``: simple interest at the contract's annual rate;
- ``statutory`` with a business client in ``GB-*``: Late Payment of Commercial Debts
  (Interest) Act 1998 — 8 % over the reference rate of the half-year in which the
  debt fell due, fixed for the life of the debt (s.4(2)); GBP 40 / 70 / 100 per debt;
- ``statutory`` with a business client in ``EU-*``: Directive 2011/7/EU — ECB MRO
  rate + 8 points, each half-year at its own rate; EUR 40 per late invoice;
- ``statutory`` with an individual client in ``GB-*``/``EU-*`` (statutory interest is
  business to business only) or in a jurisdiction with no engine here: nothing, and the
  basis says why;
- ``US-*``: the state's rule from ``ledger.us_rules`` (New York CPLR 5004 9 %, California
  Civil Code §3289(b) 10 %, simple, from the day after the due date), plus double damages
  under New York's Freelance Isn't Free Act for an individual freelancer's contract of
  USD 800 or more; other states: "no statutory rate known", contractual interest still applies.

Interest is simple, actual days / 365, on the principal outstanding at the start of
each day, from the day after the due date to ``as_of`` inclusive; a new period starts
whenever the principal or the rate changes, so every figure shows its working. The
sum per invoice is rounded half-up to the minor unit once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger import dates
from ledger.money import format_minor
from ledger.rates import RateRow, RateTables
from ledger.state import InvoiceState
from ledger.us_rules import UsRule, freelance_rule_for, us_rule_for

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
    "us_statutory": "{citation}: simple interest at {rate}% a year, actual days / 365, on the principal outstanding "
                    "from the day after each due date (the date of breach).",
    "us_no_rate": "No statutory rate known: this ledger holds no statutory interest rule for {jurisdiction}, so no "
                  "statutory interest is computed; contractual interest applies where the contract sets a rate.",
    "us_freelance": "{citation}: payment is due on the agreed date or, if none was agreed, within 30 days of "
                    "completion; for late or non-payment the freelancer claims double damages, an additional amount "
                    "equal to what was not paid by the due date.",
}


@dataclass(frozen=True)
class Regime:
    kind: str  # none, contractual, uk_statutory, eu_statutory, us_statutory, consumer, no_statutory_engine
    basis: str
    contractual_rate: Decimal | None = None  # the one fixed annual rate (contractual, or a US state's statutory rate)
    rate_source: str | None = None  # what the fixed rate is cited as, when not the contract
    damages_multiple: int = 0  # 2: double damages on what was not paid by the due date (a freelance statute)
    compensation_label: str = "Fixed compensation"
    damages_citation: str = ""


@dataclass(frozen=True)
class Engagement:
    """What, besides the late-payment terms, a US rule looks at: who supplies, in which currency, how much, when."""

    supplier_kind: str = "business"
    currency: str = ""
    total: int = 0
    signed_on: str = ""


def regime_for(late_payment: dict[str, Any], client_kind: str, jurisdiction: str,
               engagement: Engagement | None = None) -> Regime:
    """Which rules apply to a contract: the single place that decides it."""
    kind = late_payment.get("kind", "none")
    if jurisdiction.startswith("US") and kind != "none":
        return us_regime(late_payment, client_kind, jurisdiction, engagement or Engagement())
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


def us_regime(late_payment: dict[str, Any], client_kind: str, jurisdiction: str, engagement: Engagement) -> Regime:
    rule = us_rule_for(jurisdiction)
    freelance = freelance_rule_for(rule, supplier_kind=engagement.supplier_kind, currency=engagement.currency,
                                   total=engagement.total, signed_on=engagement.signed_on)
    regime = us_interest(late_payment, client_kind, rule)
    if freelance is None:
        return regime
    return replace(regime, basis=regime.basis + " " + BASIS["us_freelance"].format(citation=freelance.citation),
                   damages_multiple=freelance.damages_multiple, compensation_label="Double damages",
                   damages_citation=f"{freelance.name}: double damages")


def us_interest(late_payment: dict[str, Any], client_kind: str, rule: UsRule) -> Regime:
    if late_payment.get("kind") == "contractual":
        rate = Decimal(late_payment["annual_rate_percent"])
        return Regime("contractual", BASIS["contractual"].format(rate=rate), rate)
    consumer = client_kind != "business" and rule.consumer_rate_percent is not None
    statutory = rule.consumer_rate_percent if consumer else rule.annual_rate_percent
    if statutory is None:
        return Regime("no_statutory_engine", BASIS["us_no_rate"].format(jurisdiction=rule.jurisdiction))
    citation = rule.consumer_citation if consumer else rule.citation
    return Regime("us_statutory", BASIS["us_statutory"].format(citation=citation, rate=statutory), statutory,
                  rate_source=citation)


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
    provisional: str | None = None  # "provisional: rate verified through D" when the rate was carried forward

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "days": self.days, "principal": self.principal,
                "rate_percent": str(self.rate_percent), "interest": str(self.interest), "source": self.source,
                "provisional": self.provisional}


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


RateAt = Callable[[str], "Rate"]


@dataclass(frozen=True)
class Rate:
    percent: Decimal
    source: str
    provisional: str | None = None


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
    if regime.kind in ("contractual", "us_statutory") and regime.contractual_rate is not None:
        fixed = Rate(regime.contractual_rate, regime.rate_source or "contract: late_payment.annual_rate_percent")
        return (lambda day: fixed), False
    if regime.kind == "uk_statutory":
        # Fixed at the due date for the life of the debt (s.4(2)); looked up only if some principal is late.
        return (lambda day: table_rate(tables.uk.row_for(due_on))), False
    if regime.kind == "eu_statutory":
        return (lambda day: table_rate(tables.eu.row_for(day))), True
    return None, False


def table_rate(row: RateRow) -> Rate:
    return Rate(row.statutory_percent, row.source, row.provisional)


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
        merge_or_append(periods, start, end, principal, rate_at(start))
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


def merge_or_append(periods: list[InterestPeriod], start: str, end: str, principal: int, rate: Rate) -> None:
    days = dates.days_between(start, end) + 1
    last = periods[-1] if periods else None
    if last and (last.principal, last.rate_percent, last.source) == (principal, rate.percent, rate.source) \
            and dates.add_days(last.end, 1) == start:
        days += last.days
        start = last.start
        periods.pop()
    periods.append(InterestPeriod(start, end, days, principal, rate.percent,
                                  period_interest(principal, rate.percent, days), rate.source, rate.provisional))


def compensation_for(regime: Regime, currency: str, late_debt: int) -> tuple[int, str]:
    if late_debt > 0 and regime.damages_multiple:
        extra = late_debt * (regime.damages_multiple - 1)
        return extra, f"{regime.damages_citation}: an additional {format_minor(extra, currency)}, equal to what was " \
                      "not paid by the due date"
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
