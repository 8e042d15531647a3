"""A JSON object naming a key twice is refused by both adapters' parser, never reduced to its last value."""

from __future__ import annotations

import pytest

from consumers.commands import parse_envelope
from consumers.dead_letters import DeadLetter
from schemas import jsontext


def test_a_repeated_key_at_any_depth_is_refused_and_a_clean_document_parses() -> None:
    assert jsontext.loads('{"a": {"b": 1, "c": [ {"d": 2} ]}}') == {"a": {"b": 1, "c": [{"d": 2}]}}
    for text in ('{"a": 1, "a": 2}', '{"x": {"b": 1, "b": 1}}', '[{"k": 1, "k": 1}]'):
        with pytest.raises(jsontext.DuplicateKey):
            jsontext.loads(text)


def test_a_kafka_command_with_a_repeated_key_is_a_dead_letter_not_the_last_value() -> None:
    value = b'{"type": "record_payment", "type": "close_contract", "idempotency_key": "k", "payload": {}}'
    with pytest.raises(DeadLetter) as refused:
        parse_envelope(value)
    assert refused.value.code == "invalid_json" and "more than once" in refused.value.message
