"""Random command sequences for property tests: valid ones mostly, some that must be refused.

``draw_command`` looks at the contract's current state and draws the next
(command, args) pair with hypothesis; the same driver feeds the pure domain
test and the store-backed integration test.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from ledger.contract import Contract

START = date(2026, 1, 5)
# Weighted: the commands that move money come up most; closing is rare.
KINDS = (["deliver", "accept", "invoice", "line_invoice"] * 3 + ["pay"] * 5
         + ["reject", "reverse", "credit", "void", "remind", "promise", "dispute", "resolve", "pause", "resume",
            "write_off", "communicate", "close"])
STAGES = ["friendly", "firm", "final_notice", "letter_before_action"]


def m(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


def draw_command(data: st.DataObject, contract: Contract, day: date, serial: int) -> tuple[str, dict[str, Any]]:
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    keys = list(contract.milestones)
    invoices = list(contract.invoices)
    pick = lambda items: data.draw(st.sampled_from(items)) if items else "missing"  # noqa: E731
    amount = lambda top: data.draw(  # noqa: E731 - mostly valid amounts, sometimes zero, negative or too much
        st.integers(min_value=1, max_value=max(top, 1)) | st.integers(min_value=-5, max_value=max(top, 1) + 50)
    )
    on = {"occurred_on": day}
    if kind == "deliver":
        return "deliver_milestone", {**on, "key": pick(keys), "description": "work"}
    if kind == "accept":
        return "accept_milestone", {**on, "key": pick(keys)}
    if kind == "reject":
        return "reject_milestone", {**on, "key": pick(keys), "reason": "not good"}
    if kind == "invoice":
        chosen = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
        return "issue_invoice", {**on, "number": f"I-{serial}", "milestone_keys": chosen}
    if kind == "line_invoice":
        return "issue_invoice", {**on, "number": f"I-{serial}", "lines": [{"description": "extra", "amount": m(amount(5000))}]}
    if kind == "pay":
        args: dict[str, Any] = {**on, "payment_id": f"p-{serial}", "amount": m(amount(contract.outstanding()))}
        if invoices and data.draw(st.booleans()):
            args["allocations"] = {pick(invoices): args["amount"]}
        return "record_payment", args
    if kind == "reverse":
        return "reverse_payment", {**on, "payment_id": pick(list(contract.payments)), "reason": "bounced"}
    if kind == "credit":
        return "issue_credit_note", {**on, "number": pick(invoices), "amount": m(amount(20_000)), "reason": "goodwill"}
    if kind == "void":
        return "void_invoice", {**on, "number": pick(invoices), "reason": "mistake"}
    if kind == "remind":
        return "record_reminder_sent", {**on, "invoice_numbers": [pick(invoices)], "stage": pick(STAGES), "channel": "email"}
    if kind == "promise":
        return "record_promise", {**on, "amount": m(amount(contract.outstanding())), "promised_by": day + timedelta(days=7)}
    if kind == "dispute":
        return "open_dispute", {**on, "dispute_id": f"d-{serial}", "reason": "quality"}
    if kind == "resolve":
        return "resolve_dispute", {**on, "dispute_id": pick(list(contract.disputes)), "outcome": "settled"}
    if kind == "pause":
        return "pause_work", {**on, "reason": "arrears"}
    if kind == "resume":
        return "resume_work", on
    if kind == "write_off":
        return "write_off_debt", {**on, "amount": m(amount(contract.outstanding() // 4)), "reason": "bad debt"}
    if kind == "communicate":
        return "log_communication", {**on, "direction": "inbound", "channel": "phone", "summary": "will pay soon"}
    return "close_contract", {**on, "reason": "done"}


def draw_day(data: st.DataObject, day: date) -> date:
    """Mostly forward in time; sometimes a back-dated entry."""
    return max(START, day + timedelta(days=data.draw(st.integers(min_value=-3, max_value=12), label="days")))
