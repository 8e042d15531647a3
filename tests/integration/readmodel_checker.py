"""An independent recomputation of every read model from the raw event records.

Written from the event payloads (``app.chain_records``) and the definitions in
the README, without importing ``projections``: if the projections and this
checker agree after a random workload, both read the log the same way.
Reminder stages come from the domain's own ``ledger.views.reminders_due``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from ledger.views import reminders_due


@dataclass
class Invoice:
    number: str
    amount: int
    issued_on: str
    due_on: str
    voided_on: str | None = None
    # [kind, amount, on, until, ref]
    reductions: list[list[Any]] = field(default_factory=list)

    def left(self, day: str | None) -> int:
        if day is not None and (self.issued_on > day or (self.voided_on and self.voided_on <= day)):
            return 0
        if day is None and self.voided_on:
            return 0
        return self.amount - sum(r[1] for r in self.reductions if active(r, day))


def active(reduction: list[Any], day: str | None) -> bool:
    _, _, on, until, _ = reduction
    if day is None:
        return until is None
    return on <= day and (until is None or until > day)


@dataclass
class Folded:
    contract_id: str
    account_id: str = ""
    client: dict[str, Any] = field(default_factory=dict)
    currency: str = ""
    total: int = 0
    version: int = 0
    head: str = ""
    recorded_at: str = ""
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, dict[str, int]] = field(default_factory=dict)
    promises: list[dict[str, Any]] = field(default_factory=list)
    licence: dict[str, str | None] = field(default_factory=lambda: {"granted_on": None, "expires_on": None, "perpetual_on": None})
    extensions: list[tuple[str, str]] = field(default_factory=list)


def fold(app: LedgerApplication, contract_id: UUID) -> Folded:
    folded = Folded(str(contract_id))
    for record in app.chain_records(contract_id):
        apply(folded, record.event_type, record.payload, record.occurred_on)
        folded.version, folded.head, folded.recorded_at = record.version, record.hash, record.recorded_at
    return folded


def apply(c: Folded, kind: str, p: dict[str, Any], on: str) -> None:
    if kind == "ContractSigned":
        c.account_id, c.client, c.currency, c.total = p["account_id"], p["client"], p["currency"], p["total"]
    elif kind == "ContractAmended":
        c.total = p["total"]
    elif kind == "InvoiceIssued":
        c.invoices[p["number"]] = Invoice(p["number"], p["amount"], on, p["due_on"])
    elif kind == "InvoiceVoided":
        c.invoices[p["number"]].voided_on = on
    elif kind == "CreditNoteIssued":
        c.invoices[p["number"]].reductions.append(["credit", p["amount"], on, None, p["credit_note_number"]])
    elif kind == "PaymentReceived":
        c.payments[p["payment_id"]] = p["allocations"]
        for number, share in p["allocations"].items():
            c.invoices[number].reductions.append(["payment", share, on, None, p["payment_id"]])
    elif kind == "PaymentReversed":
        for number in c.payments[p["payment_id"]]:
            for r in c.invoices[number].reductions:
                if r[0] == "payment" and r[4] == p["payment_id"]:
                    r[3] = on
    elif kind == "DebtWrittenOff":
        for number, share in p["allocations"].items():
            c.invoices[number].reductions.append(["write_off", share, on, None, "w"])
    elif kind == "PaymentPromised":
        c.promises.append({"on": on, "by": p["promised_by"], "amount": p["amount"], "numbers": p["invoice_numbers"]})
    elif kind == "LicenceGranted":
        c.licence.update(granted_on=on, expires_on=p["expires_on"])
    elif kind == "LicenceExtended":
        c.extensions.append((on, p["expires_on"]))
    elif kind == "LicenceMadePerpetual":
        c.licence["perpetual_on"] = on


def key_of(client: dict[str, Any]) -> str:
    number = (client.get("company_number") or "").replace(" ", "").upper()
    return f"co-{number}" if number else client["email"].strip().lower()


def days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def bucket_of(late: int) -> str:
    return "current" if late <= 0 else "1-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 else "90+"


def expected_contract(app: LedgerApplication, c: Folded, as_of: str) -> dict[str, Any]:
    """The index row as of ``as_of``: invoices issued and not voided by then, reductions in force that day."""
    live = [i for i in c.invoices.values() if i.issued_on <= as_of and not (i.voided_on and i.voided_on <= as_of)]
    sums = {kind: sum(r[1] for i in live for r in i.reductions if r[0] == kind and active(r, as_of))
            for kind in ("payment", "credit", "write_off")}
    open_ = [i for i in c.invoices.values() if i.left(as_of) > 0]
    return {
        "id": c.contract_id, "account_id": c.account_id, "client_key": key_of(c.client), "value": c.total,
        "invoiced": sum(i.amount for i in live), "paid": sums["payment"], "credited": sums["credit"],
        "written_off": sums["write_off"], "outstanding": sum(i.left(as_of) for i in open_),
        "overdue": sum(i.left(as_of) for i in open_ if i.due_on < as_of),
        "next_due_on": min((i.due_on for i in open_), default=None), "version": c.version, "fingerprint": c.head,
        "last_event_at": datetime.fromisoformat(c.recorded_at.replace("Z", "+00:00")),
        "status": app.summary(c.account_id, UUID(c.contract_id), date.fromisoformat(as_of))["status"],
    }


def expected_aging(contracts: list[Folded], as_of: str) -> list[tuple[Any, ...]]:
    rows = []
    for c in contracts:
        for i in c.invoices.values():
            left = i.left(as_of)
            if left > 0:
                late = max(0, days(i.due_on, as_of))
                rows.append((c.contract_id, i.number, key_of(c.client), left, i.due_on, late, bucket_of(late)))
    return sorted(rows)


def expected_reminders(app: LedgerApplication, contracts: list[Folded], as_of: str) -> list[tuple[Any, ...]]:
    rows = []
    for c in contracts:
        contract = app.get_contract(c.account_id, UUID(c.contract_id))
        for item in reminders_due(contract, as_of):
            rows.append((c.contract_id, item["invoice_number"], item["stage"], item["stage_due_on"], c.head))
    return sorted(rows)


def day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def cleared_on_if_paid(i: Invoice, as_of: str) -> str | None:
    """What the client's record showed on ``as_of``: None unless the invoice was live, cleared and a payment in force
    that day; else the day it was cleared (walking back day by day to when its balance last reached zero)."""
    live = i.issued_on <= as_of and not (i.voided_on and i.voided_on <= as_of)
    if not live or i.left(as_of) != 0 or not any(r[0] == "payment" and active(r, as_of) for r in i.reductions):
        return None
    cleared = as_of
    while cleared > i.issued_on and i.left(day_before(cleared)) == 0:
        cleared = day_before(cleared)
    return cleared



def promise_outcome(c: Folded, promise: dict[str, Any], as_of: str) -> str:
    """Kept once payments dated inside the promise's window, and still standing on ``as_of``, cover it."""
    numbers = promise["numbers"] or list(c.invoices)
    window_end = min(promise["by"], as_of)
    paid_in = sum(r[1] for n in numbers for r in c.invoices[n].reductions
                  if r[0] == "payment" and promise["on"] <= r[2] <= window_end and (r[3] is None or r[3] > as_of))
    return "kept" if paid_in >= promise["amount"] else "broken" if promise["by"] < as_of else "pending"


def expected_clients(contracts: list[Folded], as_of: str) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for c in contracts:
        entry = result.setdefault(key_of(c.client), {"late": [], "to_pay": [], "arrears": {}, "unpaid": {},
                                                     "unpaid_count": 0, "kept": 0, "broken": 0, "pending": 0})
        for i in c.invoices.values():
            cleared = cleared_on_if_paid(i, as_of)
            if cleared is not None:
                entry["late"].append(days(i.due_on, cleared))
                entry["to_pay"].append(days(i.issued_on, cleared))
            if i.left(as_of) > 0:  # issued by then, not voided, something outstanding: due or not
                entry["unpaid_count"] += 1
                entry["unpaid"][c.currency] = entry["unpaid"].get(c.currency, 0) + i.left(as_of)
            if i.due_on < as_of and i.left(as_of) > 0:
                entry["arrears"][c.currency] = entry["arrears"].get(c.currency, 0) + i.left(as_of)
        for promise in c.promises:
            if promise["on"] <= as_of:  # a promise not yet made is not counted at all
                entry[promise_outcome(c, promise, as_of)] += 1
    return result


def expected_licences(contracts: list[Folded], as_of: str) -> list[tuple[Any, ...]]:
    """(contract, granted, expiry in force on ``as_of``, perpetual, status): an extension counts from its own date."""
    rows = []
    for c in contracts:
        lic = c.licence
        agreed = [expiry for on, expiry in c.extensions if on <= as_of]
        expires = agreed[-1] if agreed else lic["expires_on"]
        if lic["perpetual_on"] and lic["perpetual_on"] <= as_of:
            status = "perpetual"
        elif not lic["granted_on"] or lic["granted_on"] > as_of:
            status = "not_granted"
        elif expires and expires < as_of:
            status = "expired"
        else:
            status = "valid"
        rows.append((c.contract_id, lic["granted_on"], expires, lic["perpetual_on"], status))
    return sorted(rows)
