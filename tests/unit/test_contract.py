"""The Contract aggregate: commands, guards and derived figures, with no I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ledger import errors
from ledger.contract import Contract
from ledger.views import contract_summary, statement
from tests.factories import money, signed, state_of


def refused(contract: Contract, error: type[errors.LedgerError], command: Callable[[], Any]) -> errors.LedgerError:
    """Run a command that must be refused; check that nothing about the contract changed."""
    version, before, pending = contract.version, state_of(contract), len(contract.pending_events)
    with pytest.raises(error) as caught:
        command()
    assert contract.version == version
    assert state_of(contract) == before
    assert len(contract.pending_events) == pending
    return caught.value


def invoiced_advance() -> Contract:
    contract = signed()
    contract.issue_invoice(number="I-1", occurred_on=date(2026, 1, 5), milestone_keys=["advance"])
    return contract


def test_signing_records_the_terms_and_starts_the_chain() -> None:
    contract = signed()
    assert contract.version == 1 and contract.total == 300_000 and contract.currency == "EUR"
    assert [m.key for m in contract.milestones.values()] == ["advance", "prototype", "delivery"]
    assert len(contract.chain_head) == 64 and contract.status("2026-01-05") == "active"
    assert contract.reminder_policy == {"offsets_days": [0, 10, 20, 30]}


def test_a_schedule_that_does_not_add_up_to_the_total_is_refused() -> None:
    with pytest.raises(errors.ScheduleMismatch):
        signed(total=money(300_001))


def test_an_amount_given_as_a_float_is_refused() -> None:
    with pytest.raises(errors.InvalidAmount):
        signed(total={"amount": 300_000.0, "currency": "EUR"})


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(errors.ValidationError):
        signed(currency="XXX")


def test_an_invoice_due_date_defaults_to_the_payment_terms() -> None:
    contract = invoiced_advance()
    invoice = contract.invoices["I-1"]
    assert (invoice.amount, invoice.due_on) == (100_000, "2026-01-19")
    assert invoice.issued_hash == contract.chain_head  # the invoice pins the record as issued


def test_a_milestone_due_on_acceptance_cannot_be_invoiced_before_acceptance() -> None:
    contract = invoiced_advance()
    refused(contract, errors.MilestoneNotInvoiceable,
            lambda: contract.issue_invoice(number="I-2", occurred_on=date(2026, 2, 1), milestone_keys=["prototype"]))


def test_a_milestone_cannot_be_invoiced_twice() -> None:
    contract = invoiced_advance()
    refused(contract, errors.MilestoneNotInvoiceable,
            lambda: contract.issue_invoice(number="I-2", occurred_on=date(2026, 2, 1), milestone_keys=["advance"]))


def test_delivering_an_unknown_milestone_is_refused() -> None:
    contract = signed()
    refused(contract, errors.MilestoneNotFound,
            lambda: contract.deliver_milestone(key="nope", occurred_on=date(2026, 2, 1), description="x"))


def test_accepting_a_milestone_twice_is_refused() -> None:
    contract = signed()
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 2, 1), description="proto")
    contract.accept_milestone(key="prototype", occurred_on=date(2026, 2, 2))
    refused(contract, errors.InvalidTransition,
            lambda: contract.accept_milestone(key="prototype", occurred_on=date(2026, 2, 3)))


def test_a_rejected_milestone_can_be_delivered_again_and_accepted() -> None:
    contract = signed()
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 2, 1), description="v1")
    contract.reject_milestone(key="prototype", occurred_on=date(2026, 2, 2), reason="broken login")
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 2, 5), description="v2")
    contract.accept_milestone(key="prototype", occurred_on=date(2026, 2, 6))
    milestone = contract.milestones["prototype"]
    assert milestone.status == "accepted" and len(milestone.deliveries) == 2 and milestone.rejections[0]["reason"]


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (money(0), errors.InvalidAmount),
        (money(-5), errors.InvalidAmount),
        (money(10, "GBP"), errors.CurrencyMismatch),
        ({"amount": "10", "currency": "EUR"}, errors.InvalidAmount),
        (money(100_001), errors.Overpayment),
    ],
)
def test_a_bad_payment_amount_is_refused(amount: dict[str, Any], error: type[errors.LedgerError]) -> None:
    contract = invoiced_advance()
    refused(contract, error,
            lambda: contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=amount))


def test_paying_a_voided_invoice_is_refused() -> None:
    contract = invoiced_advance()
    contract.void_invoice(number="I-1", occurred_on=date(2026, 1, 6), reason="wrong client address")
    refused(contract, errors.InvoiceVoided,
            lambda: contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=money(10),
                                            allocations={"I-1": money(10)}))
    assert contract.milestones["advance"].invoice_number is None  # the milestone can be invoiced again


def test_a_payment_is_allocated_to_the_oldest_invoice_first() -> None:
    contract = invoiced_advance()
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 2, 1), description="proto")
    contract.accept_milestone(key="prototype", occurred_on=date(2026, 2, 2))
    contract.issue_invoice(number="I-2", occurred_on=date(2026, 2, 2), milestone_keys=["prototype"])
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 2, 10), amount=money(150_000))
    assert contract.payments["p1"].allocations == {"I-1": 100_000, "I-2": 50_000}
    assert contract.invoices["I-1"].state() == "paid" and contract.invoices["I-2"].state() == "part_paid"
    assert contract.outstanding() == 50_000


def test_a_payment_can_be_allocated_by_the_caller() -> None:
    contract = invoiced_advance()
    contract.issue_invoice(number="I-2", occurred_on=date(2026, 1, 6), lines=[{"description": "Hosting", "amount": money(5_000)}])
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 1, 7), amount=money(5_000),
                            allocations={"I-2": money(5_000)})
    assert contract.invoices["I-2"].state() == "paid" and contract.invoices["I-1"].state() == "open"


def test_allocations_that_do_not_add_up_to_the_payment_are_refused() -> None:
    contract = invoiced_advance()
    refused(contract, errors.ValidationError,
            lambda: contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=money(10),
                                            allocations={"I-1": money(9)}))


def test_a_reversed_payment_reopens_its_invoice_and_shows_on_the_statement() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="chq-1", occurred_on=date(2026, 1, 10), amount=money(100_000), method="cheque")
    contract.reverse_payment(payment_id="chq-1", occurred_on=date(2026, 1, 14), reason="cheque bounced")
    assert contract.outstanding() == 100_000 and contract.invoices["I-1"].state() == "open"
    assert contract.outstanding("2026-01-12") == 0  # as of a date between payment and bounce
    lines = statement(contract, "2026-01-31")["lines"]
    assert [(x["kind"], x["debit"], x["credit"], x["balance"]) for x in lines] == [
        ("invoice", 100_000, 0, 100_000), ("payment", 0, 100_000, 0), ("reversal", 100_000, 0, 100_000)]


def test_reversing_a_payment_twice_is_refused() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=money(100_000))
    contract.reverse_payment(payment_id="p", occurred_on=date(2026, 1, 11), reason="chargeback")
    refused(contract, errors.InvalidTransition,
            lambda: contract.reverse_payment(payment_id="p", occurred_on=date(2026, 1, 12), reason="again"))


def test_a_backdated_payment_cannot_push_an_earlier_day_below_zero() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 1, 10), amount=money(100_000))
    contract.reverse_payment(payment_id="p1", occurred_on=date(2026, 1, 20), reason="chargeback")
    # On 15 January p1 still counted, so a second full payment dated then would overpay that day.
    refused(contract, errors.Overpayment,
            lambda: contract.record_payment(payment_id="p2", occurred_on=date(2026, 1, 15), amount=money(100_000)))


def test_a_credit_note_reduces_the_invoice_and_the_statement() -> None:
    contract = invoiced_advance()
    contract.issue_credit_note(number="I-1", occurred_on=date(2026, 1, 8), amount=money(20_000), reason="late")
    assert contract.outstanding() == 80_000
    assert statement(contract, "2026-01-31")["closing_balance"] == 80_000


def test_a_credit_note_larger_than_the_balance_is_refused() -> None:
    contract = invoiced_advance()
    refused(contract, errors.Overpayment,
            lambda: contract.issue_credit_note(number="I-1", occurred_on=date(2026, 1, 8), amount=money(100_001), reason="x"))


def test_an_invoice_with_payments_cannot_be_voided() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=money(10))
    refused(contract, errors.InvalidTransition,
            lambda: contract.void_invoice(number="I-1", occurred_on=date(2026, 1, 11), reason="x"))


def test_overdue_counts_only_after_the_due_date() -> None:
    contract = invoiced_advance()  # due 2026-01-19
    assert contract.overdue("2026-01-19") == 0 and contract.status("2026-01-19") == "awaiting_payment"
    assert contract.overdue("2026-01-20") == 100_000 and contract.status("2026-01-20") == "overdue"


def test_a_time_limited_licence_becomes_perpetual_on_final_payment() -> None:
    contract = signed(licence={"kind": "time_limited", "months": 6})
    contract.grant_licence(occurred_on=date(2026, 1, 5))
    assert contract.licence.expires_on == "2026-07-05"
    for key, day in (("prototype", 10), ("delivery", 20)):
        contract.deliver_milestone(key=key, occurred_on=date(2026, 1, day), description=key)
        contract.accept_milestone(key=key, occurred_on=date(2026, 1, day))
    contract.issue_invoice(number="I-1", occurred_on=date(2026, 1, 20), milestone_keys=["advance", "prototype", "delivery"])
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 1, 25), amount=money(200_000))
    assert contract.licence.perpetual_on is None
    contract.record_payment(payment_id="p2", occurred_on=date(2026, 1, 30), amount=money(100_000))
    assert contract.licence.status("2026-01-30") == "perpetual"
    assert type(contract.pending_events[-1]).__name__ == "LicenceMadePerpetual"
    assert contract.status("2026-02-01") == "settled"


def test_closing_with_money_outstanding_is_refused_until_written_off() -> None:
    contract = invoiced_advance()
    refused(contract, errors.OutstandingBalance, lambda: contract.close(occurred_on=date(2026, 3, 1), reason="done"))
    contract.write_off_debt(occurred_on=date(2026, 3, 1), amount=money(100_000), reason="client insolvent")
    contract.close(occurred_on=date(2026, 3, 1), reason="written off")
    assert contract.status("2026-03-01") == "closed"


@pytest.mark.parametrize(
    "command",
    [
        lambda c: c.pause_work(occurred_on=date(2026, 4, 1), reason="arrears"),
        lambda c: c.log_communication(occurred_on=date(2026, 4, 1), direction="inbound", channel="email", summary="hi"),
        lambda c: c.deliver_milestone(key="prototype", occurred_on=date(2026, 4, 1), description="x"),
        lambda c: c.close(occurred_on=date(2026, 4, 1), reason="again"),
    ],
)
def test_anything_on_a_closed_contract_is_refused(command: Callable[[Contract], None]) -> None:
    contract = signed()
    contract.close(occurred_on=date(2026, 3, 1), reason="cancelled before work")
    refused(contract, errors.ContractClosed, lambda: command(contract))


def test_an_amendment_cannot_drop_a_delivered_milestone() -> None:
    contract = signed()
    contract.deliver_milestone(key="prototype", occurred_on=date(2026, 2, 1), description="proto")
    schedule = [{"key": "advance", "title": "A", "amount": money(150_000), "due": "on_signing"},
                {"key": "delivery", "title": "D", "amount": money(150_000), "due": "on_acceptance"}]
    refused(contract, errors.InvalidTransition,
            lambda: contract.amend(occurred_on=date(2026, 2, 2), milestones=schedule, total=money(300_000), reason="cut"))


def test_an_amendment_changes_the_schedule_and_value() -> None:
    contract = signed()
    schedule = [{"key": "advance", "title": "A", "amount": money(100_000), "due": "on_signing"},
                {"key": "prototype", "title": "P", "amount": money(100_000), "due": "on_acceptance"},
                {"key": "delivery", "title": "D", "amount": money(100_000), "due": "on_acceptance"},
                {"key": "extra", "title": "Extra pages", "amount": money(50_000), "due": "on_date",
                 "due_date": date(2026, 5, 1)}]
    contract.amend(occurred_on=date(2026, 2, 2), milestones=schedule, total=money(350_000), reason="change order 1")
    assert contract.total == 350_000 and contract.milestones["extra"].due_date == "2026-05-01"


def test_a_dispute_and_a_work_pause_show_in_the_status() -> None:
    contract = invoiced_advance()
    contract.pause_work(occurred_on=date(2026, 2, 1), reason="arrears")
    assert contract.status("2026-02-02") == "work_paused"
    contract.open_dispute(dispute_id="d1", occurred_on=date(2026, 2, 3), reason="quality", invoice_numbers=["I-1"])
    assert contract.status("2026-02-04") == "in_dispute"
    contract.resolve_dispute(dispute_id="d1", occurred_on=date(2026, 2, 5), outcome="rejected")
    contract.resume_work(occurred_on=date(2026, 2, 6))
    assert contract.status("2026-02-07") == "overdue"


def test_a_claim_and_its_judgment_are_recorded() -> None:
    contract = invoiced_advance()
    contract.file_claim(occurred_on=date(2026, 3, 1), court="Money Claims Online", claim_reference="K1QZ",
                        amount_claimed=money(100_000))
    assert contract.status("2026-03-02") == "in_claim"
    contract.record_judgment(occurred_on=date(2026, 4, 1), claim_reference="K1QZ", outcome="for_claimant",
                             amount_awarded=money(100_000))
    refused(contract, errors.InvalidTransition,
            lambda: contract.record_judgment(occurred_on=date(2026, 4, 2), claim_reference="K1QZ", outcome="settled"))


def test_escrow_cannot_release_more_than_it_holds() -> None:
    contract = signed()
    contract.fund_escrow(occurred_on=date(2026, 1, 6), reference="esc-1", amount=money(100_000), provider="Escrow.com")
    contract.release_escrow(occurred_on=date(2026, 2, 1), reference="esc-1", amount=money(60_000))
    refused(contract, errors.Overpayment,
            lambda: contract.release_escrow(occurred_on=date(2026, 2, 2), reference="esc-1", amount=money(40_001)))


def test_a_promise_for_more_than_is_outstanding_is_refused() -> None:
    contract = invoiced_advance()
    refused(contract, errors.Overpayment,
            lambda: contract.record_promise(occurred_on=date(2026, 2, 1), amount=money(100_001),
                                            promised_by=date(2026, 2, 10)))


def test_a_due_date_before_the_issue_date_is_refused() -> None:
    contract = signed()
    refused(contract, errors.DateOutOfOrder,
            lambda: contract.issue_invoice(number="I-1", occurred_on=date(2026, 1, 10), milestone_keys=["advance"],
                                           due_on=date(2026, 1, 9)))


def test_the_summary_reports_every_figure_in_minor_units() -> None:
    contract = invoiced_advance()
    contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 10), amount=money(40_000))
    summary = contract_summary(contract, "2026-02-01")
    figures = {k: summary[k]["amount"] for k in ("value", "invoiced", "paid", "credited", "outstanding", "overdue")}
    assert figures == {"value": 300_000, "invoiced": 100_000, "paid": 40_000, "credited": 0,
                       "outstanding": 60_000, "overdue": 60_000}
    assert summary["status"] == "overdue" and summary["fingerprint"] == contract.chain_head


def test_a_credit_note_number_cannot_be_used_twice() -> None:
    contract = invoiced_advance()
    contract.issue_credit_note(number="I-1", occurred_on=date(2026, 1, 6), amount=money(10), reason="a",
                               credit_note_number="CN-I-1-2")
    contract.issue_credit_note(number="I-1", occurred_on=date(2026, 1, 7), amount=money(10), reason="b")
    refs = [r["ref"] for r in contract.invoices["I-1"].reductions]
    assert len(set(refs)) == 2
    refused(contract, errors.AlreadyExists,
            lambda: contract.issue_credit_note(number="I-1", occurred_on=date(2026, 1, 8), amount=money(10), reason="c",
                                               credit_note_number="CN-I-1-2"))
