"""The command schemas shared by HTTP and Kafka: JSON in, the application's typed kwargs out."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from marshmallow import ValidationError

from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.commands import ContractCommand
from ledger_cli.story import SIGNING, STEPS
from schemas.commands import COMMAND_SCHEMAS
from tests.factories import body_of


def as_json(value: Any) -> Any:
    """Dates to ISO strings, the way a client would write them (independent of the code under test)."""
    return json.loads(json.dumps(value, default=lambda d: d.isoformat()))


def payment(**changes: Any) -> dict[str, Any]:
    body = {"payment_id": "p-1", "occurred_on": "2026-03-10", "amount": {"amount": 100, "currency": "GBP"}}
    return {**body, **changes}


def test_every_command_of_the_application_and_signing_has_a_schema() -> None:
    assert set(COMMAND_SCHEMAS) == {"sign_contract", *COMMANDS}


def test_the_demo_contract_terms_load_back_to_the_exact_command_the_domain_takes() -> None:
    loaded = COMMAND_SCHEMAS["sign_contract"]().load(body_of(SIGNING))
    assert loaded == SIGNING
    assert isinstance(loaded.occurred_on, date)


@pytest.mark.parametrize("command", STEPS, ids=[f"{i}-{c.name}" for i, c in enumerate(STEPS)])
def test_every_demo_step_loads_back_to_its_command(command: ContractCommand) -> None:
    assert COMMAND_SCHEMAS[command.name]().load(body_of(command)) == command


@pytest.mark.parametrize("amount", [100.0, 1.5, "100", True, None, -1, 10**16])
def test_an_amount_that_is_not_a_whole_number_of_minor_units_in_range_is_refused(amount: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        COMMAND_SCHEMAS["record_payment"]().load(payment(amount={"amount": amount, "currency": "GBP"}))
    messages = caught.value.messages
    assert isinstance(messages, dict)
    assert "amount" in messages["amount"]


def test_money_with_an_extra_field_or_an_unknown_currency_is_refused() -> None:
    schema = COMMAND_SCHEMAS["record_payment"]()
    with pytest.raises(ValidationError):
        schema.load(payment(amount={"amount": 1, "currency": "GBP", "rate": 1}))
    with pytest.raises(ValidationError):
        schema.load(payment(amount={"amount": 1, "currency": "XXX"}))


def test_an_unknown_field_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError) as caught:
        COMMAND_SCHEMAS["record_payment"]().load(payment(note="thanks"))
    assert caught.value.messages == {"note": ["Unknown field."]}


def test_strings_and_lists_have_limits() -> None:
    with pytest.raises(ValidationError):
        COMMAND_SCHEMAS["record_payment"]().load(payment(payment_id="x" * 101))
    reminder = {"occurred_on": "2026-07-03", "stage": "friendly", "channel": "email",
                "invoice_numbers": [f"INV-{i}" for i in range(101)]}
    with pytest.raises(ValidationError):
        COMMAND_SCHEMAS["record_reminder_sent"]().load(reminder)


def test_a_malformed_date_is_refused_with_a_message_for_that_field() -> None:
    with pytest.raises(ValidationError) as caught:
        COMMAND_SCHEMAS["record_payment"]().load(payment(occurred_on="10/03/2026"))
    messages = caught.value.messages
    assert isinstance(messages, dict)
    assert set(messages) == {"occurred_on"}


def test_an_optional_field_given_as_null_means_the_same_as_absent() -> None:
    schema = COMMAND_SCHEMAS["record_payment"]()
    assert schema.load(payment(reference=None, allocations=None)) == schema.load(payment())


def test_allocations_load_as_money_per_invoice_number() -> None:
    allocations = {"INV-000001": {"amount": 60, "currency": "GBP"}, "INV-000002": {"amount": 40, "currency": "GBP"}}
    loaded = COMMAND_SCHEMAS["record_payment"]().load(payment(allocations=allocations))
    assert loaded.allocations == allocations
