"""Statement of claim: principal outstanding + interest + fixed compensation = total claimed.

Computed from the contract's own state as of a date, so the bundle, the API and
the offline verifier (which rebuilds the contract from ``events.jsonl``) all
reach the same figures by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.contract import Contract
from ledger.interest import Engagement, InvoiceInterest, Regime, invoice_interest, regime_for
from ledger.rates import RateTables


@dataclass(frozen=True)
class Claim:
    contract_id: str
    as_of: str
    currency: str
    regime: Regime
    invoices: tuple[InvoiceInterest, ...]  # every invoice that has been late, oldest due first
    principal: int  # outstanding on invoices past their due date
    interest: int
    compensation: int
    not_yet_due: int  # outstanding but not yet due: shown, not claimed

    @property
    def provisional(self) -> tuple[str, ...]:
        """Why a figure is provisional ("provisional: rate verified through D"), once each; empty when exact."""
        return tuple(sorted({p.provisional for i in self.invoices for p in i.periods if p.provisional}))

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.compensation

    def totals(self) -> dict[str, Any]:
        return {"currency": self.currency, "principal": self.principal, "interest": self.interest,
                "compensation": self.compensation, "total": self.total, "not_yet_due": self.not_yet_due}

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "as_of": self.as_of, **self.totals(), "regime": self.regime.kind,
                "basis": self.regime.basis, "invoices": [i.to_dict() for i in self.invoices],
                "provisional": bool(self.provisional), "provisional_notes": list(self.provisional),
                "compensation_label": self.regime.compensation_label}


def statement_of_claim(contract: Contract, as_of: str, tables: RateTables) -> Claim:
    engagement = Engagement(contract.supplier.get("kind", "business"), contract.currency, contract.total,
                            contract.signed_on)
    regime = regime_for(contract.late_payment, contract.client["kind"], contract.jurisdiction, engagement)
    live = [i for i in contract.invoices.values() if i.is_issued(as_of) and not i.is_voided(as_of)]
    live.sort(key=lambda i: (i.due_on, i.issued_on, i.issued_version))
    figures = [invoice_interest(i, regime, contract.currency, as_of, tables) for i in live]
    late = tuple(f for f in figures if f.late_debt > 0)
    overdue = sum(i.outstanding(as_of) for i in live if i.due_on < as_of)
    return Claim(
        contract_id=str(contract.id),
        as_of=as_of,
        currency=contract.currency,
        regime=regime,
        invoices=late,
        principal=overdue,
        interest=sum(f.interest for f in late),
        compensation=sum(f.compensation for f in late),
        not_yet_due=sum(i.outstanding(as_of) for i in live if i.due_on >= as_of),
    )
