"""Typed commands: mypy checks them from an adapter down, and an idempotency key stays bound to the same digest."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from application.idempotency import command_digest
from ledger import errors
from ledger.commands import COMMAND_NAMES, CONTRACT_COMMANDS, RecordPayment, contract_command
from ledger.money import Money
from ledger_cli.story import SIGNING, STEPS
from schemas.commands import COMMAND_SCHEMAS
from tests.factories import body_of

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_ID = "614150d2-da3c-52fd-93b7-a853cb8e1810"

ADAPTER = """
    from datetime import date
    from uuid import UUID

    from application.service import LedgerApplication
    from ledger.commands import RecordPayment, SignContract
    from ledger.money import Money


    def record(app: LedgerApplication, contract_id: UUID, body: dict[str, str]) -> None:
        payment = RecordPayment(payment_id=body["id"], occurred_on={day}, amount={amount})
        app.execute("acct", contract_id, payment, idempotency_key=body["key"])
"""


def mypy_errors(tmp_path: Path, source: str) -> list[str]:
    module = tmp_path / "adapter.py"
    module.write_text(textwrap.dedent(source))
    stdout, stderr, _ = mypy_api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache"), str(module)]
    )
    return [line for line in (stdout + stderr).splitlines() if ": error:" in line]


@pytest.mark.timeout(300)
def test_mypy_reports_a_wrong_type_passed_to_a_command_from_an_adapter_and_accepts_the_right_one(
    tmp_path: Path,
) -> None:
    right = mypy_errors(tmp_path, ADAPTER.format(day="date(2026, 3, 10)", amount='Money(100, "GBP")'))
    wrong = mypy_errors(tmp_path, ADAPTER.format(day='body["day"]', amount="100"))
    assert right == []
    assert len(wrong) == 2
    assert 'Argument "occurred_on" to "RecordPayment" has incompatible type "str"; expected "date"' in wrong[0]
    assert 'Argument "amount" to "RecordPayment" has incompatible type "int"; expected "Money"' in wrong[1]


@pytest.mark.timeout(300)
def test_mypy_reports_the_old_string_and_dict_call_and_a_command_sent_to_the_wrong_method(tmp_path: Path) -> None:
    source = (
        ADAPTER
        + """
    def old_style(app: LedgerApplication, contract_id: UUID) -> None:
        app.execute("acct", contract_id, "record_payment", {{"payment_id": "p"}}, idempotency_key="k")


    def misrouted(app: LedgerApplication, payment: RecordPayment, signing: SignContract, contract_id: UUID) -> None:
        app.sign_contract("acct", payment, idempotency_key="k")
        app.execute("acct", contract_id, signing, idempotency_key="k")
"""
    )
    found = mypy_errors(tmp_path, source.format(day="date(2026, 3, 10)", amount='Money(100, "GBP")'))
    lines = sorted({int(line.split(":")[1]) for line in found})
    assert len(lines) == 3, found  # the old call, and each misrouted command


# Digests recorded by the release before typed commands, from the same JSON bodies: an idempotency
# record stored then must still match the command a client retries now.
DIGESTS_BEFORE_TYPED_COMMANDS = {
    "sign_contract": "823ade46c185abbd7bcab94230cd8c79a3e8bc98e1126efb14f0d375ee38cf50",
    0: "e21925deca3b4930fa3c322e233943f73c70dc39844212d2bc2deaffd28afb4f",
    1: "0fc4cbafb4b13239ebe2a4fc1961b8e8890cca3d93516e8636f8e16d524f1a13",
    2: "e9d8de9a1af79459c927db42a2ea4162e1846472c44be2525f9c5cfd64b05768",
    7: "b1e6f034d178053bb60b8b2bc14bb9f83753f956b698dc3edf2d082d6974c6e6",
    13: "c8201e6b7d851a0410966f568d98b71cf463ce279558f90a46bb9153eb680020",
}


def test_a_command_loaded_from_the_same_body_has_the_digest_recorded_before_typed_commands() -> None:
    signing = COMMAND_SCHEMAS["sign_contract"]().load(body_of(SIGNING))
    assert command_digest(signing.name, None, signing.args()) == DIGESTS_BEFORE_TYPED_COMMANDS["sign_contract"]
    for index, step in enumerate(STEPS):
        if index in DIGESTS_BEFORE_TYPED_COMMANDS:
            loaded = COMMAND_SCHEMAS[step.name]().load(body_of(step))
            assert command_digest(loaded.name, CONTRACT_ID, loaded.args()) == DIGESTS_BEFORE_TYPED_COMMANDS[index]


def test_an_optional_field_sent_as_null_binds_the_same_digest_as_before() -> None:
    body = {
        "payment_id": "p-1",
        "occurred_on": "2026-03-10",
        "amount": {"amount": 100, "currency": "GBP"},
        "reference": None,
    }
    loaded = COMMAND_SCHEMAS["record_payment"]().load(body)
    assert command_digest(loaded.name, CONTRACT_ID, loaded.args()) == (
        "1d8fc6ebff5e2c45a1977041ddc064e24b89fc8dbcdb07b086b7ec0e92a4bfd2"
    )


def test_a_command_lists_only_the_arguments_given() -> None:
    payment = RecordPayment(payment_id="p", occurred_on=SIGNING.occurred_on, amount=Money(5, "GBP"))
    assert payment.args() == {"payment_id": "p", "occurred_on": SIGNING.occurred_on, "amount": Money(5, "GBP")}


def test_every_command_has_one_schema_and_every_schema_builds_its_own_command() -> None:
    assert set(COMMAND_SCHEMAS) == COMMAND_NAMES == {"sign_contract", *CONTRACT_COMMANDS}
    assert all(schema.command.name == name for name, schema in COMMAND_SCHEMAS.items())


def test_an_unknown_command_name_is_refused_with_a_validation_error() -> None:
    with pytest.raises(errors.ValidationError) as caught:
        contract_command("delete_everything", {})
    assert caught.value.code == "validation_error"
