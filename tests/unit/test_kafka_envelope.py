"""Command envelopes and dead-letter records, without a broker."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from consumers.commands import COMMAND_TYPES, parse_envelope
from consumers.dead_letters import DeadLetter, dead_letter_record, from_ledger_error
from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.errors import CurrencyMismatch, LedgerError, StoreUnavailable, VersionConflict


def envelope(**fields: object) -> bytes:
    base: dict[str, object] = {"message_id": "m-1", "account_id": "a", "type": "record_payment",
                               "contract_id": str(uuid4()), "payload": {}}
    base.update(fields)
    return json.dumps(base).encode()


def refusal_code(value: bytes | None) -> str:
    with pytest.raises(DeadLetter) as caught:
        parse_envelope(value)
    return caught.value.code


def test_a_well_formed_envelope_is_parsed_with_its_contract_id_as_a_uuid() -> None:
    contract_id = uuid4()
    parsed = parse_envelope(envelope(contract_id=str(contract_id), extra_field="ignored"))
    assert (parsed.message_id, parsed.account_id, parsed.type, parsed.contract_id) == ("m-1", "a", "record_payment",
                                                                                     contract_id)


def test_every_command_of_the_application_and_sign_contract_is_a_known_type() -> None:
    assert frozenset({"sign_contract", *COMMANDS}) == COMMAND_TYPES


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"\xff\xfe not utf-8", "invalid_json"),
        (b"{", "invalid_json"),
        (None, "invalid_json"),
        (b"42", "invalid_envelope"),
        (envelope(message_id=""), "invalid_envelope"),
        (envelope(payload="not an object"), "invalid_envelope"),
        (envelope(contract_id="not-a-uuid"), "invalid_envelope"),
        (envelope(contract_id=None), "invalid_envelope"),
        (envelope(type="make_coffee"), "unknown_type"),
    ],
)
def test_a_malformed_message_is_refused_with_a_stable_code(value: bytes | None, code: str) -> None:
    assert refusal_code(value) == code


def test_sign_contract_needs_no_contract_id() -> None:
    assert parse_envelope(envelope(type="sign_contract", contract_id=None)).contract_id is None


def test_a_ledger_refusal_keeps_its_code_and_details_in_the_dead_letter() -> None:
    dead = from_ledger_error(CurrencyMismatch("USD is not EUR", {"amount": ["currency"]}, field="amount"))
    assert (dead.code, dead.message, dead.details) == ("currency_mismatch", "USD is not EUR",
                                                       {"errors": {"amount": ["currency"]}, "field": "amount"})


@pytest.mark.parametrize("error", [StoreUnavailable("database down"), VersionConflict("writers kept conflicting")])
def test_a_store_outage_or_contention_is_never_turned_into_a_dead_letter(error: LedgerError) -> None:
    with pytest.raises(TypeError):
        from_ledger_error(error)


def test_a_dead_letter_keeps_the_original_key_value_and_headers_and_names_its_source() -> None:
    record = ConsumerRecord("ledger.commands", 2, -1, 41, 0, 0, b"k", b"raw bytes", [("trace", b"t")], None, 1, 9, 6)
    letter = dead_letter_record(DeadLetter("invalid_json", "not JSON"), record)
    assert (letter.key, letter.value) == (b"k", b"raw bytes")
    assert letter.headers == [
        ("trace", b"t"), ("error_code", b"invalid_json"), ("error_message", b"not JSON"), ("error_details", b"{}"),
        ("source_topic", b"ledger.commands"), ("source_partition", b"2"), ("source_offset", b"41"),
    ]
