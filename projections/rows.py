"""Rows of every read model, computed from one contract's state: pure, no I/O.

A projection replaces all rows of each contract a batch touched, so a row is a
function of the contract at a version: applying the same batch again gives the
same rows. Amounts that depend on a date are stored as *dated entries*
(``on``, ``until``, ``amount``): the outstanding balance of an invoice on day D
is the sum of its entries with ``on <= D`` and (``until`` is null or
``until > D``), so a query answers any ``as_of`` in SQL.
"""

from __future__ import annotations

from typing import Any

from ledger.contract import Contract
from ledger.dates import add_days, days_between
from ledger.reminders import letter_response_days
from ledger.state import InvoiceState

FAR_FUTURE = "9999-12-31"


def client_key(client: dict[str, Any]) -> str:
    """The client across contracts: the company number if given, else the email, normalised."""
    number = (client.get("company_number") or "").replace(" ", "").upper()
    return f"co-{number}" if number else client["email"].strip().lower()


def earliest(first: str | None, second: str | None) -> str | None:
    present = [d for d in (first, second) if d is not None]
    return min(present) if present else None


def invoice_entries(invoice: InvoiceState) -> list[tuple[str, str | None, int]]:
    """(on, until, amount) whose active sum on any date is the invoice's outstanding balance that day."""
    entries = [(invoice.issued_on, invoice.voided_on, invoice.amount)]
    for reduction in invoice.reductions:
        entries.append((reduction["on"], earliest(reduction["until"], invoice.voided_on), -reduction["amount"]))
    return entries


def entry_rows(contract: Contract) -> list[tuple[Any, ...]]:
    cid = str(contract.id)
    return [(cid, i.number, on, until, amount) for i in contract.invoices.values() for on, until, amount in invoice_entries(i)]


def contract_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    """The contracts index: terms and identity, plus dated entries and status intervals for any ``as_of``."""
    cid, client = str(contract.id), contract.client
    all_invoiced = int(all(m.invoice_number is not None for m in contract.milestones.values()))
    row = (
        cid, contract.account_id, client_key(client), client["name"], client["email"].strip().lower(), contract.title,
        contract.currency, contract.total, all_invoiced, contract.signed_on, contract.modified_on.isoformat(),
        contract.version, contract.chain_head,
    )
    return {"rm_contracts": [row], "rm_contract_entries": contract_entries(contract),
            "rm_contract_intervals": status_intervals(contract)}


def contract_entries(contract: Contract) -> list[tuple[Any, ...]]:
    """Per invoice: "invoiced" while issued and not voided, and each reduction (payment, credit, write_off) by kind."""
    cid, account = str(contract.id), contract.account_id
    rows: list[tuple[Any, ...]] = []
    for invoice in contract.invoices.values():
        head = (cid, account, invoice.number, invoice.due_on)
        rows.append((*head, "invoiced", invoice.issued_on, invoice.voided_on, invoice.amount))
        for r in invoice.reductions:
            rows.append((*head, r["kind"], r["on"], earliest(r["until"], invoice.voided_on), r["amount"]))
    return rows


def status_intervals(contract: Contract) -> list[tuple[Any, ...]]:
    """[start, end) of each state that outranks the money in ``Contract.status``: closed, in claim, dispute, pause."""
    cid = str(contract.id)
    rows: list[tuple[str, str, str, str | None]] = []
    if contract.closed_on is not None:
        rows.append((cid, "closed", contract.closed_on, None))
    rows += [(cid, "in_claim", c["on"], None) for c in contract.claims if c["judgment"] is None]
    rows += [(cid, "in_dispute", d.opened_on, d.resolved_on) for d in contract.disputes.values()]
    rows += [(cid, "work_paused", p["paused_on"], p["resumed_on"]) for p in contract.work_pauses]
    return rows


def aging_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    cid, client = str(contract.id), contract.client
    invoices = [
        (cid, i.number, contract.account_id, client_key(client), client["name"], contract.currency, i.amount,
         i.issued_on, i.due_on, i.voided_on, i.issued_hash, i.issued_version)
        for i in contract.invoices.values()
    ]
    return {"rm_aging_invoices": invoices, "rm_aging_entries": entry_rows(contract)}


def hold_rows(contract: Contract) -> list[tuple[Any, ...]]:
    """Intervals [start, end) when a dispute or an unbroken promise holds reminders; number None = every invoice."""
    cid, holds = str(contract.id), list[tuple[Any, ...]]()
    for dispute in contract.disputes.values():
        numbers: list[str | None] = list(dispute.invoice_numbers) or [None]
        for number in numbers:
            holds.append((cid, number, "dispute", dispute.opened_on, dispute.resolved_on))
    for promise in contract.promises:
        until = add_days(promise["promised_by"], 1)
        covered: list[str | None] = list(promise["invoice_numbers"]) or [None]
        for number in covered:
            holds.append((cid, number, "promise", promise["on"], until))
    return holds


def reminder_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    cid, client = str(contract.id), contract.client
    offsets = ",".join(str(o) for o in contract.reminder_policy["offsets_days"])
    response_days = letter_response_days(client["kind"], contract.jurisdiction)
    invoices = [
        (cid, i.number, contract.account_id, client_key(client), client["name"], contract.currency, i.due_on, offsets,
         response_days, contract.chain_head, contract.version)
        for i in contract.invoices.values()
    ]
    sent = [(cid, i.number, r["stage"], r["on"]) for i in contract.invoices.values() for r in i.reminders]
    return {"rm_reminder_invoices": invoices, "rm_reminder_entries": entry_rows(contract),
            "rm_reminders_sent": sent, "rm_reminder_holds": hold_rows(contract)}


def settled_by_payment_on(invoice: InvoiceState) -> str | None:
    """The day a live invoice's balance reached zero, when at least one payment (not reversed) helped."""
    if invoice.voided_on or invoice.outstanding() != 0 or not invoice.reduced(None, "payment"):
        return None
    return invoice.paid_in_full_on()


def promise_paid(contract: Contract, promise: dict[str, Any]) -> int:
    """Payments (not reversed) value-dated from the promise to its date, on the invoices it covers."""
    covered = promise["invoice_numbers"] or list(contract.invoices)
    return sum(
        r["amount"]
        for number in covered
        for r in contract.invoices[number].reductions
        if r["kind"] == "payment" and r["until"] is None and promise["on"] <= r["on"] <= promise["promised_by"]
    )


def client_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    cid, client = str(contract.id), contract.client
    key, account = client_key(client), contract.account_id
    invoices = []
    for i in contract.invoices.values():
        settled = settled_by_payment_on(i)
        late = days_between(i.due_on, settled) if settled else None
        invoices.append((cid, i.number, account, key, client["name"], contract.currency, i.due_on, settled, late))
    promises = [
        (cid, index, account, key, p["on"], p["promised_by"], p["amount"], promise_paid(contract, p))
        for index, p in enumerate(contract.promises)
    ]
    return {"rm_client_contracts": [(cid, account, key, client["name"])], "rm_client_invoices": invoices, "rm_client_entries": entry_rows(contract), "rm_client_promises": promises}


def licence_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    """The licence as granted, and each extension with the day it was agreed (so any ``as_of`` has its expiry)."""
    cid, licence, client = str(contract.id), contract.licence, contract.client
    row = (cid, contract.account_id, client_key(client), client["name"], contract.title, contract.licence_terms["kind"],
           licence.granted_on, licence.expires_on, licence.perpetual_on)
    extensions = [(cid, x["on"], x["expires_on"]) for x in licence.extensions]
    return {"rm_licences": [row], "rm_licence_extensions": extensions}
