"""A ready-to-file money claim: what an online money claim form asks for, computed from the statement of claim.

Parties, the amount, the interest with its daily rate and basis, the court fee
from a fee table kept as data (``court_fees_eaw.json``: its source and date are
in the file), and particulars of claim within the online service's limit of
1,080 characters. When the whole statement does not fit, the particulars are
shortened and say that the full statement is in the evidence bundle
(``particulars-of-claim.txt``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from ledger.claim import Claim
from ledger.contract import Contract
from ledger.money import format_minor

PARTICULARS_LIMIT = 1080
STATEMENT_FILE = "particulars-of-claim.txt"
FEE_TABLE = "court_fees_eaw.json"
SEE_BUNDLE = f" The full statement of claim is in the evidence bundle ({STATEMENT_FILE})."
INTEREST_LAW = {
    "uk_statutory": "statutory interest under the Late Payment of Commercial Debts (Interest) Act 1998",
    "eu_statutory": "statutory interest under the Late Payment Directive 2011/7/EU as transposed",
    "contractual": "contractual interest",
}


@cache
def fee_table() -> dict[str, Any]:
    return dict(json.loads(resources.files(__package__).joinpath(FEE_TABLE).read_text(encoding="utf-8")))


def court_fee(amount: int, currency: str, jurisdiction: str) -> dict[str, Any] | None:
    """The issue fee for a money claim of ``amount`` (claim plus interest), or None where the table does not apply."""
    table = fee_table()
    if jurisdiction not in table["jurisdictions"] or currency != table["currency"]:
        return None
    band = next(b for b in table["bands"] if b["up_to"] is None or amount <= b["up_to"])
    if "percent" in band:
        fee = int((Decimal(amount) * Decimal(band["percent"]) / 100).quantize(Decimal(1), rounding=ROUND_DOWN))
        rule = f"{band['percent']}% of the claim, rounded down to the penny"
    else:
        fee, rule = band["fee"], "fixed fee for the band"
    return {
        "amount": fee,
        "claim_amount": amount,
        "band_up_to": band["up_to"],
        "rule": rule,
        "source": table["source"],
        "effective_from": table["effective_from"],
        "online": amount < table["online_limit_below"],
    }


def daily_interest(claim: Claim) -> Decimal:
    """What interest adds each day from the as-of date: each outstanding invoice at its current rate / 365."""
    total = Decimal(0)
    for invoice in claim.invoices:
        if invoice.periods and invoice.outstanding > 0:
            total += Decimal(invoice.outstanding) * invoice.periods[-1].rate_percent / 100 / 365
    return total


@dataclass(frozen=True)
class Filing:
    contract_id: str
    as_of: str
    jurisdiction: str
    currency: str
    claimant: dict[str, Any]
    defendant: dict[str, Any]
    claim: Claim
    daily_interest: int  # minor units a day, rounded half-up
    court_fee: dict[str, Any] | None
    statement: str  # the full statement of claim (in the bundle)
    particulars: str  # at most PARTICULARS_LIMIT characters

    @property
    def amount(self) -> int:
        """The fixed amount claimed before interest: principal and fixed compensation."""
        return self.claim.principal + self.claim.compensation

    def to_dict(self) -> dict[str, Any]:
        claim, fee = self.claim, self.court_fee
        rates = sorted({str(p.rate_percent) for i in claim.invoices for p in i.periods})
        starts = [i.periods[0].start for i in claim.invoices if i.periods]
        return {
            "contract_id": self.contract_id,
            "as_of": self.as_of,
            "jurisdiction": self.jurisdiction,
            "currency": self.currency,
            "claimant": self.claimant,
            "defendant": self.defendant,
            "principal": claim.principal,
            "compensation": claim.compensation,
            "amount": self.amount,
            "interest": {
                "amount": claim.interest,
                "regime": claim.regime.kind,
                "basis": claim.regime.basis,
                "annual_rates_percent": rates,
                "from": min(starts) if starts else None,
                "to": self.as_of,
                "daily_amount": self.daily_interest,
            },
            "court_fee": fee,
            "total": claim.total + (fee["amount"] if fee else 0),
            "particulars": self.particulars,
            "particulars_characters": len(self.particulars),
            "full_statement_in_bundle": self.particulars != self.statement,
            "statement_file": STATEMENT_FILE,
        }


def party(details: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": details["name"],
        "email": details.get("email"),
        "address": details.get("address"),
        "kind": details.get("kind", "business"),
    }


def filing_for(contract: Contract, claim: Claim) -> Filing:
    daily = int(daily_interest(claim).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    fee = court_fee(claim.total, contract.currency, contract.jurisdiction)
    statement = statement_text(contract, claim, daily, detail=True)
    return Filing(
        str(contract.id),
        claim.as_of,
        contract.jurisdiction,
        contract.currency,
        party(contract.supplier),
        party(contract.client),
        claim,
        daily,
        fee,
        statement,
        particulars_text(contract, claim, daily, statement),
    )


def particulars_text(contract: Contract, claim: Claim, daily: int, statement: str) -> str:
    if len(statement) <= PARTICULARS_LIMIT:
        return statement
    brief = statement_text(contract, claim, daily, detail=False)
    room = PARTICULARS_LIMIT - len(SEE_BUNDLE)
    if len(brief) > room:  # only the names and title can make it this long: cut them, keep every figure
        brief = statement_text(contract, claim, daily, detail=False, names=40)
    return brief[:room].rstrip() + SEE_BUNDLE


def clip(text: str, limit: int | None) -> str:
    text = " ".join(text.split())  # line breaks and runs of spaces in names become single spaces
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def statement_text(contract: Contract, claim: Claim, daily: int, *, detail: bool, names: int | None = None) -> str:
    def money(amount: int) -> str:
        return format_minor(amount, contract.currency)

    title = clip(contract.title, names) + (f" (ref. {clip(contract.reference, names)})" if contract.reference else "")
    parts = [
        f"1. The Claimant, {clip(contract.supplier['name'], names)}, and the Defendant, "
        f"{clip(contract.client['name'], names)}, made a written contract for {title} signed on "
        f"{contract.signed_on}.",
        f"2. {invoices_sentence(claim, money, detail)}",
        f"3. {interest_sentence(claim, money, daily)}",
    ]
    if claim.compensation:
        parts.append(f"4. The Claimant claims {compensation_words(claim)} of {money(claim.compensation)}.")
    amount = money(claim.principal + claim.compensation)
    parts.append(
        f"{len(parts) + 1}. The Claimant claims {amount}, interest of {money(claim.interest)} to "
        f"{claim.as_of} and further interest at {money(daily)} a day until judgment or payment: "
        f"{money(claim.total)} in all."
        if claim.interest
        else f"{len(parts) + 1}. The Claimant claims {amount} and no interest: {money(claim.total)} in all."
    )
    return " ".join(parts)


def invoices_sentence(claim: Claim, money: Any, detail: bool) -> str:
    owed = f"{money(claim.principal)} is due and unpaid"
    if not claim.invoices:
        return f"Under the contract {owed}."
    if detail:
        listed = "; ".join(
            f"{i.number} for {money(i.amount)} due {i.due_on}, {money(i.outstanding)} unpaid" for i in claim.invoices
        )
        return f"The Claimant invoiced the Defendant ({listed}). {owed[0].upper()}{owed[1:]}."
    first, last = claim.invoices[0], claim.invoices[-1]
    span = f"due from {first.due_on} to {last.due_on}" if len(claim.invoices) > 1 else f"due {first.due_on}"
    count = f"{len(claim.invoices)} invoice{'s' if len(claim.invoices) > 1 else ''}"
    return f"The Claimant invoiced the Defendant ({count} {span}). {owed[0].upper()}{owed[1:]}."


def compensation_words(claim: Claim) -> str:
    regime = claim.regime
    if regime.damages_citation:
        return f"{regime.compensation_label.lower()} ({regime.damages_citation})"
    cited = {"uk_statutory": " (s.5A of the 1998 Act)", "eu_statutory": " (Art. 6 of Directive 2011/7/EU)"}
    return regime.compensation_label.lower() + cited.get(regime.kind, "")


def interest_law(claim: Claim) -> str | None:
    if claim.regime.kind == "us_statutory":
        return f"statutory interest under {claim.regime.rate_source}"
    return INTEREST_LAW.get(claim.regime.kind)


def interest_sentence(claim: Claim, money: Any, daily: int) -> str:
    law = interest_law(claim)
    if law is None:
        reason = {
            "none": "the contract provides for none",
            "consumer": "the Defendant is not a business",
            "no_statutory_engine": "no statutory rule is known for this jurisdiction",
        }[claim.regime.kind]
        return f"Interest: none is claimed ({reason}); basis: {claim.regime.kind.replace('_', ' ')}."
    rates = sorted({p.rate_percent for i in claim.invoices for p in i.periods})
    shown = " and ".join(f"{r}%" for r in rates) if len(rates) <= 2 else f"rates from {rates[0]}% to {rates[-1]}%"
    return (
        f"Interest: the Claimant claims {law} at {shown} a year, simple, from the day after each due date: "
        f"{money(claim.interest)} to {claim.as_of}, {money(daily)} a day after that."
    )
