"""Bodies for every command: the steps that make it valid, a valid body, an invalid one, and its event."""

from __future__ import annotations

from typing import Any

from tests.e2e.bodies import gbp

N = "T-1"  # invoice number used by the cases; each test gets a fresh account, so it is free
ISSUE = ("issue_invoice", {"number": N, "occurred_on": "2026-01-05", "milestone_keys": ["advance"]})
DELIVER = ("deliver_milestone", {"key": "draft", "occurred_on": "2026-02-01", "description": "Draft logo set"})
PAY = ("record_payment", {"payment_id": "bank-1", "occurred_on": "2026-01-10", "amount": gbp(50_000)})
OPEN = ("open_dispute", {"dispute_id": "d-1", "occurred_on": "2026-01-22", "reason": "Quality", "invoice_numbers": [N]})
PAUSE = ("pause_work", {"occurred_on": "2026-01-15", "reason": "Arrears"})
GRANT = ("grant_licence", {"occurred_on": "2026-02-01"})
FUND = ("fund_escrow", {"occurred_on": "2026-01-06", "reference": "esc-1", "amount": gbp(100_000), "provider": "Escrow Co"})
CLAIM = ("file_claim", {"occurred_on": "2026-03-01", "court": "County Court Money Claims Centre",
                        "claim_reference": "K1QZ123", "amount_claimed": gbp(100_000)})
AMENDED = [
    {"key": "advance", "title": "Advance", "amount": gbp(100_000), "due": "on_signing"},
    {"key": "draft", "title": "Draft accepted", "amount": gbp(100_000), "due": "on_acceptance"},
    {"key": "final", "title": "Final files and templates", "amount": gbp(160_000), "due": "on_acceptance"},
]

# command: (steps before, valid body, invalid body, the event the valid body appends)
CASES: dict[str, tuple[list[tuple[str, dict[str, Any]]], dict[str, Any], dict[str, Any], str]] = {
    "amend_contract": (
        [], {"occurred_on": "2026-01-10", "total": gbp(360_000), "milestones": AMENDED, "reason": "Extra templates"},
        {"occurred_on": "2026-01-10", "total": gbp(360_000), "milestones": AMENDED}, "ContractAmended"),
    "deliver_milestone": ([], DELIVER[1], {**DELIVER[1], "description": ""}, "MilestoneDelivered"),
    "accept_milestone": (
        [DELIVER], {"key": "draft", "occurred_on": "2026-02-03", "note": "Looks great"},
        {"key": "draft", "occurred_on": "03/02/2026"}, "MilestoneAccepted"),
    "reject_milestone": (
        [DELIVER], {"key": "draft", "occurred_on": "2026-02-03", "reason": "Wrong colours"},
        {"key": "draft", "occurred_on": "2026-02-03"}, "MilestoneRejected"),
    "issue_invoice": ([], ISSUE[1], {"occurred_on": "2026-01-05", "milestone_keys": ["Not A Key"]}, "InvoiceIssued"),
    "void_invoice": (
        [ISSUE], {"number": N, "occurred_on": "2026-01-06", "reason": "Wrong address"},
        {"number": N, "occurred_on": "2026-01-06", "reason": 123}, "InvoiceVoided"),
    "issue_credit_note": (
        [ISSUE], {"number": N, "occurred_on": "2026-01-07", "amount": gbp(10_000), "reason": "Discount"},
        {"number": N, "occurred_on": "2026-01-07", "amount": {"amount": 100.0, "currency": "GBP"}, "reason": "x"},
        "CreditNoteIssued"),
    "record_payment": ([ISSUE], PAY[1], {**PAY[1], "amount": {"amount": "50000", "currency": "GBP"}}, "PaymentReceived"),
    "reverse_payment": (
        [ISSUE, PAY], {"payment_id": "bank-1", "occurred_on": "2026-01-12", "reason": "Chargeback"},
        {"payment_id": "bank-1", "reason": "Chargeback"}, "PaymentReversed"),
    "record_reminder_sent": (
        [ISSUE], {"occurred_on": "2026-01-20", "invoice_numbers": [N], "stage": "friendly", "channel": "email"},
        {"occurred_on": "2026-01-20", "invoice_numbers": [N], "stage": "rude", "channel": "email"}, "ReminderSent"),
    "log_communication": (
        [], {"occurred_on": "2026-01-08", "direction": "inbound", "channel": "phone", "summary": "Called about the draft",
             "counterpart": "J. Patel"},
        {"occurred_on": "2026-01-08", "direction": "sideways", "channel": "phone", "summary": "?"}, "CommunicationLogged"),
    "record_promise": (
        [ISSUE], {"occurred_on": "2026-01-21", "amount": gbp(100_000), "promised_by": "2026-01-31"},
        {"occurred_on": "2026-01-21", "amount": gbp(100_000)}, "PaymentPromised"),
    "open_dispute": ([ISSUE], OPEN[1], {**OPEN[1], "severity": "high"}, "DisputeOpened"),
    "resolve_dispute": (
        [ISSUE, OPEN], {"dispute_id": "d-1", "occurred_on": "2026-01-25", "outcome": "settled"},
        {"dispute_id": "d-1", "occurred_on": "2026-01-25", "outcome": "won"}, "DisputeResolved"),
    "pause_work": ([], PAUSE[1], {**PAUSE[1], "reason": ""}, "WorkPaused"),
    "resume_work": ([PAUSE], {"occurred_on": "2026-01-20"}, {"occurred_on": "2026-13-01"}, "WorkResumed"),
    "grant_licence": ([], {"occurred_on": "2026-02-01", "scope": "Use of the brand"},
                      {"occurred_on": "2026-02-01", "scope": ["brand"]}, "LicenceGranted"),
    "extend_licence": (
        [GRANT], {"occurred_on": "2026-03-01", "expires_on": "2027-06-01", "reason": "Goodwill"},
        {"occurred_on": "2026-03-01", "reason": "Goodwill"}, "LicenceExtended"),
    "make_licence_perpetual": (
        [GRANT], {"occurred_on": "2026-03-01", "reason": "Bought out"}, {"occurred_on": "2026-03-01"},
        "LicenceMadePerpetual"),
    "fund_escrow": ([], FUND[1], {**FUND[1], "amount": {"amount": 100_000, "currency": "gbp"}}, "EscrowFunded"),
    "release_escrow": (
        [FUND], {"occurred_on": "2026-02-05", "reference": "esc-1", "amount": gbp(100_000)},
        {"occurred_on": "2026-02-05", "reference": "esc-1", "amount": gbp(-1)}, "EscrowReleased"),
    "file_claim": ([ISSUE], CLAIM[1], {k: v for k, v in CLAIM[1].items() if k != "court"}, "ClaimFiled"),
    "record_judgment": (
        [ISSUE, CLAIM], {"occurred_on": "2026-04-01", "claim_reference": "K1QZ123", "outcome": "for_claimant",
                         "amount_awarded": gbp(100_000)},
        {"occurred_on": "2026-04-01", "claim_reference": "K1QZ123", "outcome": "win"}, "JudgmentRecorded"),
    "write_off_debt": (
        [ISSUE], {"occurred_on": "2026-05-01", "amount": gbp(100_000), "reason": "Client insolvent"},
        {"occurred_on": "2026-05-01", "amount": "all", "reason": "Client insolvent"}, "DebtWrittenOff"),
    "close_contract": ([], {"occurred_on": "2026-01-06", "reason": "Cancelled before work began"},
                       {"occurred_on": "2026-01-06"}, "ContractClosed"),
}
