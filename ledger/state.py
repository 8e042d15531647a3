"""Mutable state held by the Contract aggregate, and what is derived from it as of a date.

Dates are ISO strings (``YYYY-MM-DD``), compared as strings, which orders them
correctly. Every list here is append-only while the aggregate lives; "removing"
something (a reversed payment, a voided invoice) is a date set on its record,
so any past date can still be answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MilestoneState:
    key: str
    title: str
    amount: int
    due: str
    due_date: str | None
    status: str = "pending"  # pending, delivered, accepted, rejected
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    accepted_on: str | None = None
    invoice_number: str | None = None


@dataclass
class InvoiceState:
    number: str
    amount: int
    issued_on: str
    due_on: str
    milestone_keys: list[str]
    lines: list[dict[str, Any]]
    issued_version: int
    issued_hash: str
    voided_on: str | None = None
    void_reason: str | None = None
    # Each reduction: {"kind": payment|credit|write_off, "ref", "amount", "on", "until"}
    # ``until`` is the date a payment was reversed (the reduction stops counting).
    reductions: list[dict[str, Any]] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)

    def reduced(self, as_of: str | None, kind: str | None = None) -> int:
        return sum(
            r["amount"]
            for r in self.reductions
            if (kind is None or r["kind"] == kind)
            and (as_of is None or r["on"] <= as_of)
            and (r["until"] is None or (as_of is not None and r["until"] > as_of))
        )

    def is_issued(self, as_of: str | None) -> bool:
        return as_of is None or self.issued_on <= as_of

    def is_voided(self, as_of: str | None) -> bool:
        return self.voided_on is not None and (as_of is None or self.voided_on <= as_of)

    def outstanding(self, as_of: str | None = None) -> int:
        if not self.is_issued(as_of) or self.is_voided(as_of):
            return 0
        return self.amount - self.reduced(as_of)

    def state(self, as_of: str | None = None) -> str:
        if self.is_voided(as_of):
            return "voided"
        if not self.is_issued(as_of):
            return "not_issued"
        left = self.outstanding(as_of)
        if left == self.amount:
            return "open"
        if left > 0:
            return "part_paid"
        if self.reduced(as_of, "payment"):
            return "paid"
        if self.reduced(as_of, "credit"):
            return "credited"
        return "written_off"

    def fits(self, amount: int, on: str) -> bool:
        """Would a reduction of ``amount`` on ``on`` keep the balance >= 0 on every later date?"""
        checkpoints = {on} | {r["on"] for r in self.reductions if r["on"] > on}
        checkpoints |= {r["until"] for r in self.reductions if r["until"] and r["until"] > on}
        return all(self.outstanding(day) - amount >= 0 for day in checkpoints) and self.outstanding() >= amount

    def paid_in_full_on(self) -> str | None:
        """The date the balance reached zero by payments (for days-late figures), if it has."""
        if self.outstanding() != 0 or self.voided_on:
            return None
        dates = [r["on"] for r in self.reductions if r["until"] is None]
        return max(dates) if dates else None


@dataclass
class PaymentState:
    payment_id: str
    amount: int
    value_date: str
    method: str
    reference: str | None
    allocations: dict[str, int]
    reversed_on: str | None = None
    reversal_reason: str | None = None


@dataclass
class DisputeState:
    dispute_id: str
    opened_on: str
    invoice_numbers: list[str]
    reason: str
    resolved_on: str | None = None
    outcome: str | None = None


@dataclass
class LicenceState:
    kind: str = "none"  # none, time_limited, perpetual
    granted_on: str | None = None
    expires_on: str | None = None  # as granted; extensions are kept with their dates
    perpetual_on: str | None = None
    extensions: list[dict[str, Any]] = field(default_factory=list)

    def expiry(self, as_of: str) -> str | None:
        """The expiry in force on ``as_of``: an extension counts from the day it was agreed."""
        agreed = [x["expires_on"] for x in self.extensions if x["on"] <= as_of]
        return agreed[-1] if agreed else self.expires_on

    def latest_expiry(self) -> str:
        return self.extensions[-1]["expires_on"] if self.extensions else (self.expires_on or "")

    def status(self, as_of: str) -> str:
        if self.perpetual_on and self.perpetual_on <= as_of:
            return "perpetual"
        if not self.granted_on or self.granted_on > as_of:
            return "not_granted"
        expiry = self.expiry(as_of)
        if expiry and expiry < as_of:
            return "expired"
        return "valid"


@dataclass
class StatementLine:
    on: str
    version: int
    kind: str  # invoice, void, credit_note, payment, reversal, write_off
    reference: str
    description: str
    debit: int
    credit: int

    def to_dict(self, balance: int) -> dict[str, Any]:
        return {
            "date": self.on,
            "version": self.version,
            "kind": self.kind,
            "reference": self.reference,
            "description": self.description,
            "debit": self.debit,
            "credit": self.credit,
            "balance": balance,
        }


def statement_rows(lines: list[StatementLine], as_of: str) -> list[dict[str, Any]]:
    """Debits and credits up to ``as_of`` in date order (ties in record order), with a running balance."""
    balance = 0
    rows = []
    for line in sorted((x for x in lines if x.on <= as_of), key=lambda x: (x.on, x.version)):
        balance += line.debit - line.credit
        rows.append(line.to_dict(balance))
    return rows


STATE_CLASSES: tuple[type, ...] = (
    MilestoneState,
    InvoiceState,
    PaymentState,
    DisputeState,
    LicenceState,
    StatementLine,
)
