"""The reminder schedule pinned at its boundaries, and what holds or removes a reminder.

Dates are written out by hand: an invoice due on 2026-03-01 (calendar days), so day 10 is 2026-03-11, day 20 is 2026-03-21, day 30 is 2026-03-31.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.contract import Contract
from ledger.views import reminders_due
from tests.factories import money, signed

DUE = date(2026, 3, 1)
ISSUED = date(2026, 2, 15)


def invoiced(**overrides: Any) -> Contract:
    """A contract with the advance (100,000) invoiced on 15 Feb, due 1 Mar."""
    contract = signed(**overrides)
    contract.issue_invoice(number="INV-1", occurred_on=ISSUED, milestone_keys=["advance"], due_on=DUE)
    return contract


def stage_on(contract: Contract, day: str) -> tuple[str, str, str] | None:
    due = reminders_due(contract, day)
    return (due[0]["stage"], due[0]["channel"], due[0]["stage_due_on"]) if due else None


def send(contract: Contract, stage: str, day: str) -> None:
    channel = "certified_mail" if stage == "letter_before_action" else "email"
    contract.record_reminder_sent(occurred_on=date.fromisoformat(day), invoice_numbers=["INV-1"], stage=stage,
                                  channel=channel)


def test_nothing_is_due_the_day_before_the_due_date_and_the_friendly_reminder_is_due_on_it() -> None:
    contract = invoiced()
    assert stage_on(contract, "2026-02-28") is None
    assert stage_on(contract, "2026-03-01") == ("friendly", "email", "2026-03-01")


def test_each_stage_falls_due_on_day_10_20_and_30_and_not_the_day_before() -> None:
    contract = invoiced()
    send(contract, "friendly", "2026-03-01")
    assert stage_on(contract, "2026-03-10") is None  # day 9
    assert stage_on(contract, "2026-03-11") == ("firm", "email", "2026-03-11")  # day 10
    send(contract, "firm", "2026-03-11")
    assert stage_on(contract, "2026-03-20") is None  # day 19
    assert stage_on(contract, "2026-03-21") == ("final_notice", "email", "2026-03-21")  # day 20
    send(contract, "final_notice", "2026-03-21")
    assert stage_on(contract, "2026-03-30") is None  # day 29
    assert stage_on(contract, "2026-03-31") == ("letter_before_action", "certified_mail", "2026-03-31")  # day 30


def test_an_unsent_earlier_stage_is_skipped_for_the_latest_one_reached() -> None:
    contract = invoiced()
    assert stage_on(contract, "2026-03-25") == ("final_notice", "email", "2026-03-21")


@pytest.mark.parametrize(
    ("client_kind", "jurisdiction", "last_waiting_day", "ready_day"),
    [
        ("individual", "GB-ENG", "2026-04-30", "2026-05-01"),  # Pre-Action Protocol: 30 days to reply
        ("business", "GB-ENG", "2026-04-14", "2026-04-15"),  # a business: 14 days
        ("individual", "EU-DE", "2026-04-14", "2026-04-15"),  # outside England and Wales: 14 days
    ],
)
def test_ready_to_file_comes_once_the_letters_response_period_has_passed(
    client_kind: str, jurisdiction: str, last_waiting_day: str, ready_day: str
) -> None:
    client = {"name": "C", "email": "c@c.example", "kind": client_kind}
    contract = invoiced(client=client, jurisdiction=jurisdiction)
    send(contract, "letter_before_action", "2026-03-31")
    assert stage_on(contract, last_waiting_day) is None
    assert stage_on(contract, ready_day) == ("ready_to_file", "court", ready_day)


def test_a_payment_in_full_removes_the_reminder_and_a_part_payment_does_not() -> None:
    contract = invoiced()
    contract.record_payment(payment_id="p1", occurred_on=date(2026, 3, 5), amount=money(40_000))
    assert stage_on(contract, "2026-03-11") == ("firm", "email", "2026-03-11")
    assert reminders_due(contract, "2026-03-11")[0]["outstanding"] == 60_000
    contract.record_payment(payment_id="p2", occurred_on=date(2026, 3, 12), amount=money(60_000))
    assert stage_on(contract, "2026-03-11") is not None  # as of before the payment, still due
    assert stage_on(contract, "2026-03-12") is None


def test_a_void_removes_the_reminder_from_the_void_date() -> None:
    contract = invoiced()
    contract.void_invoice(number="INV-1", occurred_on=date(2026, 3, 15), reason="wrong amount")
    assert stage_on(contract, "2026-03-14") == ("firm", "email", "2026-03-11")
    assert stage_on(contract, "2026-03-15") is None


def test_an_open_dispute_holds_the_reminder_until_it_is_resolved() -> None:
    contract = invoiced()
    contract.open_dispute(dispute_id="d1", occurred_on=date(2026, 3, 5), reason="quality", invoice_numbers=["INV-1"])
    assert stage_on(contract, "2026-03-04") == ("friendly", "email", "2026-03-01")
    assert stage_on(contract, "2026-03-25") is None
    contract.resolve_dispute(dispute_id="d1", occurred_on=date(2026, 3, 26), outcome="upheld")
    assert stage_on(contract, "2026-03-25") is None
    assert stage_on(contract, "2026-03-26") == ("final_notice", "email", "2026-03-21")


def test_a_promise_defers_the_reminder_until_its_date_has_passed_unkept() -> None:
    contract = invoiced()
    contract.record_promise(occurred_on=date(2026, 3, 8), amount=money(100_000), promised_by=date(2026, 3, 20))
    assert stage_on(contract, "2026-03-07") == ("friendly", "email", "2026-03-01")
    assert stage_on(contract, "2026-03-08") is None
    assert stage_on(contract, "2026-03-20") is None  # the promised day itself: not yet broken
    assert stage_on(contract, "2026-03-21") == ("final_notice", "email", "2026-03-21")  # broken: the schedule resumes


def test_a_custom_policy_uses_its_own_offsets() -> None:
    contract = invoiced(reminder_policy={"offsets_days": [3, 7]})
    assert stage_on(contract, "2026-03-03") is None
    assert stage_on(contract, "2026-03-04") == ("friendly", "email", "2026-03-04")
    assert stage_on(contract, "2026-03-08") == ("letter_before_action", "certified_mail", "2026-03-08")
