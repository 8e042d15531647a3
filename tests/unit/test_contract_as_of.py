"""The contract answers for a date: what was true then, not what was recorded later."""

from __future__ import annotations

from datetime import date

from ledger import errors
from ledger.views import contract_summary
from tests.factories import money, signed
from tests.unit.test_contract import invoiced_advance, refused


def test_a_claim_is_pending_on_dates_before_its_judgment() -> None:
    contract = invoiced_advance()
    contract.file_claim(occurred_on=date(2026, 3, 1), court="CCMCC", claim_reference="K1", amount_claimed=money(100_000))
    contract.record_judgment(occurred_on=date(2026, 6, 1), claim_reference="K1", outcome="for_claimant")
    assert contract.status("2026-04-01") == "in_claim"
    assert contract.status("2026-06-02") == "overdue"


def test_a_contract_cannot_be_closed_on_a_date_when_money_was_owed() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p", occurred_on=date(2026, 3, 1), amount=money(100_000))
    refused(contract, errors.DateOutOfOrder, lambda: contract.close(occurred_on=date(2026, 1, 10), reason="done"))
    contract.close(occurred_on=date(2026, 3, 1), reason="done")


def test_settled_as_of_a_past_date_ignores_invoices_issued_later() -> None:
    contract = signed(thirds=100)
    contract.issue_invoice(number="I1", occurred_on=date(2026, 1, 5), milestone_keys=["advance"])
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 1, 10), amount=money(100))
    for key in ("prototype", "delivery"):
        contract.deliver_milestone(key=key, occurred_on=date(2026, 3, 1), description="x")
        contract.accept_milestone(key=key, occurred_on=date(2026, 3, 2))
    contract.issue_invoice(number="I2", occurred_on=date(2026, 3, 2), milestone_keys=["prototype", "delivery"])
    assert contract.status("2026-02-01") == "active"


def test_the_summary_as_of_a_date_shows_nothing_recorded_for_later_dates() -> None:
    contract = signed(thirds=100)
    contract.issue_invoice(number="I1", occurred_on=date(2026, 1, 5), milestone_keys=["advance"])
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 3, 1), amount=money(100))
    contract.pause_work(occurred_on=date(2026, 4, 1), reason="arrears elsewhere")
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 4, 2), description="x")
    contract.accept_milestone(key="prototype", occurred_on=date(2026, 4, 3))
    summary = contract_summary(contract, "2026-02-01")
    assert summary["payments"] == [] and summary["work_paused"] is False
    assert summary["milestones"][1]["status"] == "pending" and summary["milestones"][1]["accepted_on"] is None


def test_a_reminder_is_judged_by_the_balance_on_its_own_date() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p", occurred_on=date(2026, 3, 1), amount=money(100_000))
    contract.record_reminder_sent(occurred_on=date(2026, 2, 1), invoice_numbers=["I-1"], stage="friendly", channel="email")
    refused(contract, errors.InvoiceNotOpen,
            lambda: contract.record_reminder_sent(occurred_on=date(2026, 3, 2), invoice_numbers=["I-1"], stage="firm",
                                                  channel="email"))
