"""After a claim is filed, the summary and the reminders due give the claim's next steps, not pre-action ones."""

from __future__ import annotations

from datetime import date

from ledger.contract import Contract
from ledger.views import contract_summary
from tests.factories import money, signed


def overdue_with_letter() -> Contract:
    """The advance (100,000) invoiced 15 Jan, due 1 Feb; the letter before action sent 3 Mar (business: 14 days)."""
    contract = signed()
    contract.issue_invoice(
        number="I-1", occurred_on=date(2026, 1, 15), milestone_keys=["advance"], due_on=date(2026, 2, 1)
    )
    contract.record_reminder_sent(
        occurred_on=date(2026, 3, 3), invoice_numbers=["I-1"], stage="letter_before_action", channel="certified_mail"
    )
    return contract


def test_before_the_claim_the_unanswered_letter_makes_the_invoice_ready_to_file() -> None:
    summary = contract_summary(overdue_with_letter(), "2026-03-20")
    assert [r["stage"] for r in summary["reminders_due"]] == ["ready_to_file"]
    assert "file a claim" in summary["next_action"]


def test_once_the_claim_is_filed_no_pre_action_step_is_due_and_the_next_action_is_the_claims() -> None:
    contract = overdue_with_letter()
    contract.file_claim(
        occurred_on=date(2026, 3, 25),
        court="Money Claims Online",
        claim_reference="K1QZ",
        amount_claimed=money(100_000),
    )
    on_the_eve = contract_summary(contract, "2026-03-24")
    assert [r["stage"] for r in on_the_eve["reminders_due"]] == ["ready_to_file"]
    summary = contract_summary(contract, "2026-03-26")
    assert summary["reminders_due"] == []
    assert summary["next_action"] == (
        "claim K1QZ is before Money Claims Online (filed 2026-03-25): record the judgment when it is given"
    )
    assert "letter before action" not in summary["next_action"]


def test_after_the_judgment_the_next_action_is_to_collect_what_was_awarded() -> None:
    contract = overdue_with_letter()
    contract.file_claim(
        occurred_on=date(2026, 3, 25),
        court="Money Claims Online",
        claim_reference="K1QZ",
        amount_claimed=money(100_000),
    )
    contract.record_judgment(
        occurred_on=date(2026, 5, 4), claim_reference="K1QZ", outcome="for_claimant", amount_awarded=money(100_000)
    )
    summary = contract_summary(contract, "2026-05-05")
    assert summary["reminders_due"] == []
    assert summary["next_action"] == (
        "judgment on claim K1QZ (for claimant, 2026-05-04): record payments as they come, or enforce the judgment"
    )
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 5, 10), amount=money(100_000))
    assert contract_summary(contract, "2026-05-11")["next_action"] != summary["next_action"]
