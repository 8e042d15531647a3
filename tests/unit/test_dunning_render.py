"""Reminder messages and the account policy, as pure functions: templates, figures, bytes, quiet days."""

from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest

from dunning.render import message_bytes, render
from dunning.settings import Policy, SmtpSettings
from infrastructure.settings import Settings
from ledger.contract import Contract
from ledger.errors import ConfigurationError, ValidationError
from ledger.rates import load_rate_tables
from tests.factories import money, signed

TABLES = load_rate_tables()


def late_invoice(kind: str = "business") -> Contract:
    """GBP 1,000.00 under the UK Act (statutory interest applies to a business client only), due 3 Mar 2026."""
    client = {"name": "Client", "email": "c@client.example", "kind": kind}
    contract = signed(
        currency="GBP",
        jurisdiction="GB-ENG",
        late_payment={"kind": "statutory"},
        client=client,
        total=money(300_000, "GBP"),
        milestones=[
            {"key": "advance", "title": "A", "amount": money(100_000, "GBP"), "due": "on_signing"},
            {"key": "rest", "title": "B", "amount": money(200_000, "GBP"), "due": "on_acceptance"},
        ],
    )
    contract.issue_invoice(
        number="I-1", occurred_on=date(2026, 2, 1), milestone_keys=["advance"], due_on=date(2026, 3, 3)
    )
    return contract


def test_a_firm_reminder_shows_the_days_interest_and_compensation_worked_by_hand() -> None:
    text = render(late_invoice(), "firm", ["I-1"], "2026-03-13", TABLES).text
    # 100,000 x 11.75 % x 10 / 365 = 321.92 -> 322 pence; GBP 70 for a debt of GBP 1,000 to 9,999.99
    assert "interest GBP 3.22, fixed compensation GBP 70.00; total due today GBP 1,073.22." in text
    assert "Invoice I-1, due 2026-03-03: GBP 1,000.00 outstanding (10 days late)" in text


def test_an_individual_gets_its_own_final_notice_and_no_statutory_interest() -> None:
    business = render(late_invoice(), "final_notice", ["I-1"], "2026-03-23", TABLES)
    person = render(late_invoice("individual"), "final_notice", ["I-1"], "2026-03-23", TABLES)
    assert "debt advice" in person.text and "debt advice" not in business.text
    assert "interest" not in person.text.lower() and "interest GBP 6.44" in business.text
    assert "&lt;" not in business.html and "<table>" in business.html


def test_a_day_beyond_the_verified_rate_tables_marks_the_interest_figure_provisional() -> None:
    contract = signed(late_payment={"kind": "statutory"})  # EU-DE, EUR: a new reference rate every half-year
    contract.issue_invoice(
        number="I-1", occurred_on=date(2026, 2, 1), milestone_keys=["advance"], due_on=date(2026, 3, 3)
    )
    exact = render(contract, "firm", ["I-1"], "2026-03-13", TABLES).text
    assert "interest EUR" in exact and "provisional" not in exact
    later = render(contract, "firm", ["I-1"], "2031-03-13", TABLES).text  # beyond the tables' verified-through date
    assert "EUR 1,000.00 outstanding" in later and "provisional: rate verified through" in later


def test_the_message_bytes_are_the_same_for_the_same_intent_with_crlf_and_the_derived_message_id() -> None:
    rendered = render(late_invoice(), "friendly", ["I-1"], "2026-03-03", TABLES)
    once = message_bytes(
        rendered, intent_id="abc", sender="b@s.example", recipient="c@c.example", day="2026-03-03", domain="s.example"
    )
    again = message_bytes(
        rendered, intent_id="abc", sender="b@s.example", recipient="c@c.example", day="2026-03-03", domain="s.example"
    )
    assert once == again and b"\r\n" in once and b"\n" not in once.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(once, policy=email.policy.default)
    assert parsed["Message-ID"] == "<dunning.abc@s.example>" and parsed["Date"].datetime.day == 3


def test_quiet_days_move_a_send_to_the_next_working_day_and_a_bad_policy_is_refused() -> None:
    policy = Policy.of({"holidays": ["2026-04-06"]})  # Easter Monday
    assert policy.send_day("2026-04-03") == "2026-04-03"  # a Friday
    assert policy.send_day("2026-04-04") == "2026-04-07"  # Saturday -> past Sunday and the holiday
    for bad in (
        {"mode": "sometimes"},
        {"letter_channel": "pigeon"},
        {"holidays": ["03/04/2026"]},
        {"quiet_weekdays": [7]},
        {"quiet_weekdays": [0, 1, 2, 3, 4, 5]},
    ):
        with pytest.raises(ValidationError):
            Policy.of(bad)


def test_smtp_settings_come_from_the_services_settings_and_options_override_them() -> None:
    environ = {
        "LEDGER_SMTP_HOST": "mail.example",
        "LEDGER_SMTP_PORT": "587",
        "LEDGER_SMTP_SECURITY": "starttls",
        "LEDGER_SMTP_FROM": "billing@supplier.example",
    }
    smtp = SmtpSettings.from_settings(Settings.from_environ(environ), port=2525)
    assert (smtp.host, smtp.port, smtp.security, smtp.domain) == ("mail.example", 2525, "starttls", "supplier.example")
    with pytest.raises(ConfigurationError):
        Settings.from_environ({"LEDGER_SMTP_SECURITY": "maybe"})
    with pytest.raises(ConfigurationError):
        Settings.from_environ({"LEDGER_SMTP_PORT": "twenty-five"})
    with pytest.raises(ConfigurationError):
        SmtpSettings.from_settings(Settings.from_environ({}), security="maybe")
