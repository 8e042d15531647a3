"""What a person or another system reads about one contract, as of a date."""

from __future__ import annotations

from typing import Any

from ledger import dates
from ledger.contract import Contract
from ledger.reminders import letter_response_days, next_reminder
from ledger.state import InvoiceState, MilestoneState, statement_rows


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def claims_filed(contract: Contract, as_of: str) -> list[dict[str, Any]]:
    return [c for c in contract.claims if c["on"] <= as_of]


def is_held(contract: Contract, invoice: InvoiceState, as_of: str) -> bool:
    """A reminder waits while a dispute covering the invoice is open or a promise to pay has not yet fallen due;
    once a claim is filed, no pre-action step is due again (the court has the debt)."""
    if claims_filed(contract, as_of):
        return True
    for dispute in contract.open_disputes(as_of):
        if not dispute.invoice_numbers or invoice.number in dispute.invoice_numbers:
            return True
    for promise in contract.promises:
        covers = not promise["invoice_numbers"] or invoice.number in promise["invoice_numbers"]
        if covers and promise["on"] <= as_of <= promise["promised_by"]:
            return True
    return False


def reminders_due(contract: Contract, as_of: str) -> list[dict[str, Any]]:
    due = []
    for invoice in contract.invoices.values():
        reminder = next_reminder(
            invoice_number=invoice.number,
            due_on=invoice.due_on,
            outstanding=invoice.outstanding(as_of),
            offsets=contract.reminder_policy["offsets_days"],
            sent=invoice.reminders,
            held=is_held(contract, invoice, as_of),
            response_days=letter_response_days(contract.client["kind"], contract.jurisdiction),
            as_of=as_of,
        )
        if reminder:
            due.append(reminder.to_dict())
    return due


def invoice_view(invoice: InvoiceState, currency: str, as_of: str) -> dict[str, Any]:
    outstanding = invoice.outstanding(as_of)
    late = outstanding > 0 and invoice.due_on < as_of
    return {
        "number": invoice.number,
        "amount": money(invoice.amount, currency),
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "milestone_keys": invoice.milestone_keys,
        "lines": [{"description": x["description"], "amount": money(x["amount"], currency)} for x in invoice.lines],
        "state": invoice.state(as_of),
        "paid": money(invoice.reduced(as_of, "payment"), currency),
        "credited": money(invoice.reduced(as_of, "credit"), currency),
        "written_off": money(invoice.reduced(as_of, "write_off"), currency),
        "outstanding": money(outstanding, currency),
        "days_overdue": dates.days_between(invoice.due_on, as_of) if late else 0,
        "fingerprint_at_issue": {"hash": invoice.issued_hash, "version": invoice.issued_version},
        "reminders": [r for r in invoice.reminders if r["on"] <= as_of],
        "voided_on": invoice.voided_on if invoice.is_voided(as_of) else None,
    }


def milestone_status(milestone: MilestoneState, as_of: str) -> str:
    """pending, delivered, rejected or accepted, from the dated facts up to ``as_of``."""
    facts = [(d["on"], 0, "delivered") for d in milestone.deliveries]
    facts += [(r["on"], 1, "rejected") for r in milestone.rejections]
    if milestone.accepted_on:
        facts.append((milestone.accepted_on, 1, "accepted"))
    known = sorted(f for f in facts if f[0] <= as_of)
    return known[-1][2] if known else "pending"


def invoice_number_as_of(contract: Contract, key: str, as_of: str) -> str | None:
    for invoice in contract.invoices.values():
        if key in invoice.milestone_keys and invoice.is_issued(as_of) and not invoice.is_voided(as_of):
            return invoice.number
    return None


def is_paused(contract: Contract, as_of: str) -> bool:
    return any(p["paused_on"] <= as_of and (p["resumed_on"] is None or p["resumed_on"] > as_of) for p in contract.work_pauses)


def next_action(contract: Contract, as_of: str, due: list[dict[str, Any]]) -> str:
    """One sentence: what the supplier should do next on this contract."""
    if contract.closed_on is not None and contract.closed_on <= as_of:
        return "none: the contract is closed"
    if contract.open_disputes(as_of):
        return "resolve the open dispute"
    claims = claims_filed(contract, as_of)
    if claims and contract.outstanding(as_of) > 0:
        return claim_step(claims[-1], as_of)
    if due:
        first = due[0]
        if first["stage"] == "ready_to_file":
            return f"the letter before action went unanswered: file a claim for invoice {first['invoice_number']}"
        stage, channel = first["stage"].replace("_", " "), first["channel"].replace("_", " ")
        return f"send the {stage} reminder for invoice {first['invoice_number']} by {channel}"
    response_days = letter_response_days(contract.client["kind"], contract.jurisdiction)
    for invoice in contract.invoices.values():
        letters = [r["on"] for r in invoice.reminders if r["stage"] == "letter_before_action" and r["on"] <= as_of]
        if letters and invoice.outstanding(as_of) > 0:
            deadline = dates.add_days(min(letters), response_days)
            return f"await the reply to the letter before action on {invoice.number} until {deadline}, then file a claim"
    for milestone in contract.milestones.values():
        status = milestone_status(milestone, as_of)
        if not contract.milestone_invoiced(milestone.key, as_of) and (milestone.due != "on_acceptance" or status == "accepted"):
            return f"invoice milestone {milestone.key}"
    for milestone in contract.milestones.values():
        status = milestone_status(milestone, as_of)
        if milestone.due == "on_signing":
            continue
        if status in ("pending", "rejected"):
            return f"deliver milestone {milestone.key}"
        if status == "delivered":
            return f"ask the client to accept milestone {milestone.key}"
    if contract.outstanding(as_of) > 0:
        return "wait for payment (nothing is overdue yet)"
    return "close the contract" if contract.status(as_of) == "settled" else "none"


def claim_step(claim: dict[str, Any], as_of: str) -> str:
    """The next step of a filed claim: await the judgment, then collect what it awarded."""
    judgment = claim["judgment"]
    if judgment is None or judgment["on"] > as_of:
        return (f"claim {claim['claim_reference']} is before {claim['court']} (filed {claim['on']}): "
                "record the judgment when it is given")
    outcome = judgment["outcome"].replace("_", " ")
    return (f"judgment on claim {claim['claim_reference']} ({outcome}, {judgment['on']}): "
            "record payments as they come, or enforce the judgment")


def contract_summary(contract: Contract, as_of: str) -> dict[str, Any]:
    cur = contract.currency
    due = reminders_due(contract, as_of)
    return {
        "id": str(contract.id),
        "account_id": contract.account_id,
        "title": contract.title,
        "reference": contract.reference,
        "as_of": as_of,
        "signed_on": contract.signed_on,
        "supplier": contract.supplier,
        "client": contract.client,
        "jurisdiction": contract.jurisdiction,
        "currency": cur,
        "payment_terms_days": contract.payment_terms_days,
        "late_payment": contract.late_payment,
        "reminder_policy": contract.reminder_policy,
        "value": money(contract.total, cur),
        "invoiced": money(contract.invoiced(as_of), cur),
        "paid": money(contract.paid_total(as_of), cur),
        "credited": money(contract.reduced("credit", as_of), cur),
        "written_off": money(contract.reduced("write_off", as_of), cur),
        "outstanding": money(contract.outstanding(as_of), cur),
        "overdue": money(contract.overdue(as_of), cur),
        "status": contract.status(as_of),
        "milestones": [
            {
                "key": m.key,
                "title": m.title,
                "amount": money(m.amount, cur),
                "due": m.due,
                "due_date": m.due_date,
                "status": milestone_status(m, as_of),
                "invoice_number": invoice_number_as_of(contract, m.key, as_of),
                "delivered_on": max((d["on"] for d in m.deliveries if d["on"] <= as_of), default=None),
                "accepted_on": m.accepted_on if m.accepted_on and m.accepted_on <= as_of else None,
            }
            for m in contract.milestones.values()
        ],
        "invoices": [invoice_view(i, cur, as_of) for i in contract.invoices.values()],
        "payments": [
            {
                "payment_id": p.payment_id,
                "amount": money(p.amount, cur),
                "value_date": p.value_date,
                "method": p.method,
                "reference": p.reference,
                "allocations": p.allocations,
                "reversed_on": p.reversed_on if p.reversed_on and p.reversed_on <= as_of else None,
            }
            for p in contract.payments.values()
            if p.value_date <= as_of
        ],
        "licence": {
            "terms": contract.licence_terms,
            "status": contract.licence.status(as_of),
            "granted_on": contract.licence.granted_on,
            "expires_on": contract.licence.expiry(as_of),
            "perpetual_on": contract.licence.perpetual_on if contract.licence.status(as_of) == "perpetual" else None,
        },
        "work_paused": is_paused(contract, as_of),
        "reminders_due": due,
        "next_action": next_action(contract, as_of, due),
        "version": contract.version,
        "fingerprint": contract.chain_head,
        "closed_on": contract.closed_on if contract.closed_on and contract.closed_on <= as_of else None,
    }


def statement(contract: Contract, as_of: str) -> dict[str, Any]:
    rows = statement_rows(contract.statement_lines, as_of)
    closing = rows[-1]["balance"] if rows else 0
    return {
        "contract_id": str(contract.id),
        "as_of": as_of,
        "currency": contract.currency,
        "lines": rows,
        "total_debits": sum(r["debit"] for r in rows),
        "total_credits": sum(r["credit"] for r in rows),
        "closing_balance": closing,
        "outstanding": contract.outstanding(as_of),
        "version": contract.version,
        "fingerprint": contract.chain_head,
    }
