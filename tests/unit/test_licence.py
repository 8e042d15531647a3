"""The time-limited licence: granted, extended, made perpetual by the final payment (and only by a payment)."""

from __future__ import annotations

from datetime import date

from tests.factories import money, signed


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
