"""Regression tests for defects found in an independent review of the core (one test per finding)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from infrastructure.transcodings import LedgerTranscoder
from ledger import errors
from ledger.chain import verify_chain
from ledger.views import contract_summary
from tests.factories import money, signed
from tests.unit.test_contract import invoiced_advance, refused


@pytest.mark.parametrize("number", ["_type_", "_data_", "", "has space", "x" * 101, "é"])
def test_an_invoice_number_that_is_not_a_plain_identifier_is_refused(number: str) -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.issue_invoice(number=number, occurred_on=date(2026, 1, 5), milestone_keys=["advance"]))


def test_a_user_dict_shaped_like_an_encoded_object_decodes_as_the_dict_it_was() -> None:
    transcoder = LedgerTranscoder()
    value = {"allocations": {"_type_": 100, "_data_": 100}}
    assert transcoder.decode(transcoder.encode(value)) == value


def test_text_with_a_lone_surrogate_is_refused_as_invalid_unicode() -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.log_communication(occurred_on=date(2026, 1, 6), direction="inbound", channel="email",
                                               summary="bad \udc80"))


def test_a_datetime_where_a_date_is_expected_is_refused() -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.issue_invoice(number="I-1", occurred_on=date(2026, 1, 5), milestone_keys=["advance"],
                                           due_on=datetime(2026, 1, 19, 9, 0)))


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


def single_milestone_with_licence() -> object:
    contract = signed(thirds=100, total=money(100), licence={"kind": "time_limited", "months": 3},
                      milestones=[{"key": "all", "title": "All", "amount": money(100), "due": "on_signing"}])
    contract.issue_invoice(number="I1", occurred_on=date(2026, 1, 5), milestone_keys=["all"])
    contract.grant_licence(occurred_on=date(2026, 1, 5))
    return contract


def test_a_backdated_final_payment_does_not_backdate_the_perpetual_licence() -> None:
    contract = single_milestone_with_licence()
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 3, 1), amount=money(50))
    contract.record_payment(payment_id="p2", occurred_on=date(2026, 2, 1), amount=money(50))
    assert contract.licence.perpetual_on == "2026-03-01"
    assert contract.licence.status("2026-02-15") == "valid"


def test_a_write_off_is_not_a_final_payment_for_the_licence() -> None:
    contract = single_milestone_with_licence()
    contract.write_off_debt(occurred_on=date(2026, 1, 7), amount=money(60), reason="insolvent")
    contract.record_payment(payment_id="p", occurred_on=date(2026, 1, 8), amount=money(40))
    assert contract.licence.perpetual_on is None


def test_a_licence_extension_counts_from_the_day_it_was_agreed() -> None:
    contract = signed(licence={"kind": "time_limited", "months": 1})
    contract.grant_licence(occurred_on=date(2026, 1, 5))
    contract.extend_licence(occurred_on=date(2026, 4, 1), expires_on=date(2026, 12, 31), reason="goodwill")
    assert contract.licence.status("2026-03-01") == "expired"
    assert contract.licence.status("2026-04-02") == "valid"


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


def test_verify_reports_a_float_in_an_edited_payload_instead_of_crashing() -> None:
    from tests.unit.test_chain import chain

    records = chain(3)
    from dataclasses import replace

    records[1] = replace(records[1], payload={"n": 2.5})
    result = verify_chain("c", records)
    assert not result.ok and result.broken_version == 2 and "canonical" in (result.reason or "")


@pytest.mark.parametrize("day", [date(9999, 12, 30), date(1969, 12, 31), date(3000, 1, 1)])
def test_a_date_outside_the_ledgers_range_is_refused_before_any_arithmetic(day: date) -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.issue_invoice(number="I-1", occurred_on=day, milestone_keys=["advance"]))


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[0m"])
def test_text_with_a_control_character_is_refused(text: str) -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.log_communication(occurred_on=date(2026, 1, 6), direction="inbound", channel="email",
                                               summary=text))


def test_tabs_and_line_breaks_are_ordinary_text() -> None:
    contract = signed()
    contract.log_communication(occurred_on=date(2026, 1, 6), direction="inbound", channel="email",
                               summary="line one\n\tline two\r\nline three\u2028four")
    assert contract.communications[-1]["summary"].count("\n") == 2
