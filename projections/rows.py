"""Rows of every read model, computed from one contract's state: pure, no I/O.

A projection replaces all rows of each contract a batch touched, so a row is a
function of the contract at a version: applying the same batch again gives the
same rows. Amounts that depend on a date are stored as *dated entries*
(``on``, ``until``, ``amount``): the outstanding balance of an invoice on day D
is the sum of its entries with ``on <= D`` and (``until`` is null or
``until > D``), so a query answers any ``as_of`` in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.contract import Contract
from ledger.dates import add_days, days_between
from ledger.reminders import letter_response_days
from ledger.state import InvoiceState

FAR_FUTURE = "9999-12-31"
BEFORE_ANY_DAY = "0001-01-01"


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
    row = (
        cid, contract.account_id, client_key(client), client["name"], client["email"].strip().lower(), contract.title,
        contract.currency, contract.total, contract.signed_on, contract.modified_on.isoformat(),
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
    """[start, end) of each state that outranks the money in ``Contract.status`` (closed, in claim until the
    judgment's date, dispute, pause), and of "all_invoiced", which "settled" needs."""
    cid = str(contract.id)
    rows: list[tuple[str, str, str, str | None]] = []
    if contract.closed_on is not None:
        rows.append((cid, "closed", contract.closed_on, None))
    rows += [(cid, "in_claim", c["on"], c["judgment"]["on"] if c["judgment"] else None) for c in contract.claims]
    rows += [(cid, "in_dispute", d.opened_on, d.resolved_on) for d in contract.disputes.values()]
    rows += [(cid, "work_paused", p["paused_on"], p["resumed_on"]) for p in contract.work_pauses]
    return rows + [(cid, "all_invoiced", start, end) for start, end in all_invoiced_intervals(contract)]


def all_invoiced_intervals(contract: Contract) -> list[tuple[str, str | None]]:
    """[start, end) in which every milestone had a live invoice (``Contract.milestone_invoiced``): that only changes
    on the day an invoice is issued or voided, so testing each such day finds every interval."""
    changes = {BEFORE_ANY_DAY} | {i.issued_on for i in contract.invoices.values()}
    changes |= {i.voided_on for i in contract.invoices.values() if i.voided_on}
    return intervals_where(sorted(changes), lambda day: all(contract.milestone_invoiced(k, day) for k in contract.milestones))


def intervals_where(days: list[str], holds: Callable[[str], Any]) -> list[tuple[str, str | None]]:
    """Merged [start, end) over the steps starting at ``days`` (sorted) on whose first day ``holds`` is true."""
    result: list[tuple[str, str | None]] = []
    for index, day in enumerate(days):
        if not holds(day):
            continue
        end = days[index + 1] if index + 1 < len(days) else None
        if result and result[-1][1] == day:
            result[-1] = (result[-1][0], end)
        else:
            result.append((day, end))
    return result


def aging_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    cid, client = str(contract.id), contract.client
    invoices = [
        (cid, i.number, contract.account_id, client_key(client), client["name"], contract.currency, i.amount,
         i.issued_on, i.due_on, i.voided_on, i.issued_hash, i.issued_version)
        for i in contract.invoices.values()
    ]
    return {"rm_aging_invoices": invoices, "rm_aging_entries": entry_rows(contract)}


def hold_rows(contract: Contract) -> list[tuple[Any, ...]]:
    """Intervals [start, end) when a dispute, an unbroken promise or a filed claim holds reminders; number None = every
    invoice."""
    cid, holds = str(contract.id), list[tuple[Any, ...]]()
    for dispute in contract.disputes.values():
        numbers: list[str | None] = list(dispute.invoice_numbers) or [None]
        for number in numbers:
            holds.append((cid, number, "dispute", dispute.opened_on, dispute.resolved_on))
    for claim in contract.claims:  # once filed, the court has the debt: no pre-action step is due again
        holds.append((cid, None, "claim", claim["on"], None))
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


def paid_intervals(invoice: InvoiceState) -> list[tuple[str, str | None, str]]:
    """[start, end) in which the invoice counts as paid (live, nothing outstanding, a payment in force), with the day
    its balance reached zero. The state only changes on the days a reduction starts or stops counting."""
    changes: set[str] = {invoice.issued_on} | {r["on"] for r in invoice.reductions}
    changes |= {r["until"] for r in invoice.reductions if r["until"]}
    days = sorted(changes | ({invoice.voided_on} if invoice.voided_on else set()))
    zero_since: dict[str, str] = {}  # each day of a run of zero balance -> the run's first day
    run_start: str | None = None
    for day in days:
        zero = invoice.is_issued(day) and not invoice.is_voided(day) and invoice.outstanding(day) == 0
        run_start = (run_start or day) if zero else None
        if run_start:
            zero_since[day] = run_start
    # A merged interval of paid days is within one run of zero balance, so its start names the run.
    paid = intervals_where(days, lambda day: day in zero_since and invoice.reduced(day, "payment") > 0)
    return [(start, end, zero_since[start]) for start, end in paid]


def promise_payments(contract: Contract, index: int, promise: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Payments value-dated from the promise to its date on the invoices it covers, with the day each was reversed."""
    covered = promise["invoice_numbers"] or list(contract.invoices)
    return [
        (str(contract.id), index, r["on"], r["until"], r["amount"])
        for number in covered
        for r in contract.invoices[number].reductions
        if r["kind"] == "payment" and promise["on"] <= r["on"] <= promise["promised_by"]
    ]


def client_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    cid, client = str(contract.id), contract.client
    key, account = client_key(client), contract.account_id
    invoices = [(cid, i.number, account, key, client["name"], contract.currency, i.due_on) for i in contract.invoices.values()]
    paid = [
        (cid, i.number, account, key, start, end, settled, days_between(i.due_on, settled))
        for i in contract.invoices.values()
        for start, end, settled in paid_intervals(i)
    ]
    promises = [(cid, index, account, key, p["on"], p["promised_by"], p["amount"]) for index, p in enumerate(contract.promises)]
    payments = [row for index, p in enumerate(contract.promises) for row in promise_payments(contract, index, p)]
    return {"rm_client_contracts": [(cid, account, key, client["name"])], "rm_client_invoices": invoices,
            "rm_client_paid": paid, "rm_client_entries": entry_rows(contract), "rm_client_promises": promises,
            "rm_client_promise_payments": payments}


def licence_rows(contract: Contract) -> dict[str, list[tuple[Any, ...]]]:
    """The licence as granted, and each extension with the day it was agreed (so any ``as_of`` has its expiry)."""
    cid, licence, client = str(contract.id), contract.licence, contract.client
    row = (cid, contract.account_id, client_key(client), client["name"], contract.title, contract.licence_terms["kind"],
           licence.granted_on, licence.expires_on, licence.perpetual_on)
    extensions = [(cid, x["on"], x["expires_on"]) for x in licence.extensions]
    return {"rm_licences": [row], "rm_licence_extensions": extensions}
