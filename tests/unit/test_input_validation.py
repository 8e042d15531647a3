"""Input the Contract refuses whatever the adapter: identifiers, dates out of range, text that is not clean Unicode."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ledger import errors
from tests.factories import signed
from tests.unit.test_contract import refused


@pytest.mark.parametrize("number", ["_type_", "_data_", "", "has space", "x" * 101, "é"])
def test_an_invoice_number_that_is_not_a_plain_identifier_is_refused(number: str) -> None:
    contract = signed()
    refused(contract, errors.ValidationError,
            lambda: contract.issue_invoice(number=number, occurred_on=date(2026, 1, 5), milestone_keys=["advance"]))


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
