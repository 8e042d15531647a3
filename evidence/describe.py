"""One plain-English sentence per recorded event, for the chronology."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.chain import ChainRecord
from ledger.money import format_minor

Describer = Callable[[dict[str, Any], Callable[[int], str]], str]


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _list(values: list[str] | None) -> str:
    return ", ".join(values or []) or "all open invoices"


def _allocations(allocations: dict[str, int], money: Callable[[int], str]) -> str:
    return "; ".join(f"{number} {money(share)}" for number, share in allocations.items())


def _proof(payload: dict[str, Any]) -> str:
    links = [link for link in payload.get("proof_links") or [] if link not in payload["description"]]
    return f"; proof: {', '.join(links)}" if links else ""


def _note(text: str | None) -> str:
    return f" ({text})" if text else ""


DESCRIBERS: dict[str, Describer] = {
    "ContractSigned": lambda p, m: (
        f"Contract signed: {p['title']}, {m(p['total'])}, between {p['supplier']['name']} and {p['client']['name']}; "
        f"{len(p['milestones'])} milestone(s); payment {p['payment_terms_days']} days after invoice; "
        f"late payment: {p['late_payment']['kind']}"),
    "ContractAmended": lambda p, m: f"Contract amended: total now {m(p['total'])}; reason: {p['reason']}",
    "MilestoneDelivered": lambda p, m: f"Milestone {p['key']} delivered: {p['description']}" + _proof(p),
    "MilestoneAccepted": lambda p, m: f"Milestone {p['key']} accepted{_note(p.get('note'))}",
    "MilestoneRejected": lambda p, m: f"Milestone {p['key']} rejected: {p['reason']}",
    "InvoiceIssued": lambda p, m: (
        f"Invoice {p['number']} issued for {m(p['amount'])}, due {p['due_on']}"
        + (f" (milestones {', '.join(p['milestone_keys'])})" if p.get("milestone_keys") else "")),
    "InvoiceVoided": lambda p, m: f"Invoice {p['number']} voided: {p['reason']}",
    "CreditNoteIssued": lambda p, m: (
        f"Credit note {p['credit_note_number']} on invoice {p['number']} for {m(p['amount'])}: {p['reason']}"),
    "PaymentReceived": lambda p, m: (
        f"Payment {p['payment_id']} of {m(p['amount'])} received by {_words(p['method'])}"
        + (f", reference {p['reference']}" if p.get("reference") else "")
        + f"; allocated to {_allocations(p['allocations'], m)}"),
    "PaymentReversed": lambda p, m: f"Payment {p['payment_id']} reversed: {p['reason']}",
    "ReminderSent": lambda p, m: (
        f"{_words(p['stage']).capitalize()} reminder on {_list(p['invoice_numbers'])} sent by {_words(p['channel'])}"
        + (f", tracking {p['tracking_reference']}" if p.get("tracking_reference") else "")),
    "CommunicationLogged": lambda p, m: (
        f"{p['direction'].capitalize()} {_words(p['channel'])}"
        + (f" with {p['counterpart']}" if p.get("counterpart") else "") + f": {p['summary']}"),
    "PaymentPromised": lambda p, m: (
        f"Client promised {m(p['amount'])} by {p['promised_by']} on {_list(p['invoice_numbers'])}{_note(p.get('note'))}"),
    "DisputeOpened": lambda p, m: f"Dispute {p['dispute_id']} opened on {_list(p['invoice_numbers'])}: {p['reason']}",
    "DisputeResolved": lambda p, m: f"Dispute {p['dispute_id']} resolved: {p['outcome']}{_note(p.get('note'))}",
    "WorkPaused": lambda p, m: f"Work paused: {p['reason']}",
    "WorkResumed": lambda p, m: f"Work resumed{_note(p.get('reason'))}",
    "LicenceGranted": lambda p, m: f"Time-limited licence granted until {p['expires_on']}{_note(p.get('scope'))}",
    "LicenceExtended": lambda p, m: f"Licence extended until {p['expires_on']}: {p['reason']}",
    "LicenceMadePerpetual": lambda p, m: f"Licence made perpetual: {p['reason']}",
    "EscrowFunded": lambda p, m: f"Escrow {p['reference']} funded with {m(p['amount'])} at {p['provider']}",
    "EscrowReleased": lambda p, m: f"Escrow {p['reference']}: {m(p['amount'])} released",
    "ClaimFiled": lambda p, m: (
        f"Claim {p['claim_reference']} filed at {p['court']} for {m(p['amount_claimed'])}"),
    "JudgmentRecorded": lambda p, m: (
        f"Judgment on claim {p['claim_reference']}: {_words(p['outcome'])}"
        + (f", {m(p['amount_awarded'])} awarded" if p.get("amount_awarded") else "") + _note(p.get("note"))),
    "DebtWrittenOff": lambda p, m: f"{m(p['amount'])} written off: {p['reason']}",
    "ContractClosed": lambda p, m: f"Contract closed: {p['reason']}",
}


def describe(record: ChainRecord, currency: str) -> str:
    def money(amount: int) -> str:
        return format_minor(amount, currency)

    describer = DESCRIBERS.get(record.event_type)
    if describer is None:
        return record.event_type
    try:
        return describer(record.payload, money)
    except (KeyError, TypeError, AttributeError):  # an older schema: show the type rather than fail the bundle
        return record.event_type
