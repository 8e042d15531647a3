from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from ledger.chain import GENESIS, ChainRecord, canonical_json, event_hash, verify_chain


def record(version: int, prev: str, payload: dict | None = None) -> ChainRecord:
    payload = payload or {"n": version}
    link = event_hash(contract_id="c", version=version, event_type="T", payload=payload,
                      occurred_on="2026-01-01", recorded_at="2026-01-01T00:00:00.000000+00:00", prev_hash=prev)
    return ChainRecord("c", version, "T", 1, payload, "2026-01-01", "2026-01-01T00:00:00.000000+00:00", prev, link)


def chain(length: int) -> list[ChainRecord]:
    records, prev = [], GENESIS
    for version in range(1, length + 1):
        records.append(record(version, prev))
        prev = records[-1].hash
    return records


def test_canonical_json_sorts_keys_without_spaces_in_utf8() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_canonical_json_refuses_floats_anywhere() -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_json({"a": [1, {"b": 0.1}]})


def test_event_hash_is_sha256_of_the_documented_canonical_form() -> None:
    document = {"contract_id": "c", "version": 1, "type": "T", "payload": {"x": 1}, "occurred_on": "2026-01-01",
                "recorded_at": "r", "prev_hash": GENESIS}
    expected = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert event_hash(contract_id="c", version=1, event_type="T", payload={"x": 1}, occurred_on="2026-01-01",
                      recorded_at="r", prev_hash=GENESIS) == expected


def test_an_intact_chain_verifies_with_its_head_as_fingerprint() -> None:
    records = chain(5)
    result = verify_chain("c", records)
    assert result.ok and result.fingerprint == records[-1].hash and result.version == 5


def test_an_altered_payload_is_named_as_the_broken_link() -> None:
    records = chain(5)
    records[2] = replace(records[2], payload={"n": 999})
    result = verify_chain("c", records)
    assert not result.ok and result.broken_version == 3 and "altered" in (result.reason or "")


def test_a_removed_event_is_reported_as_a_gap() -> None:
    records = chain(5)
    del records[1]
    result = verify_chain("c", records)
    assert not result.ok and result.broken_version == 2


def test_a_rehashed_event_breaks_the_next_link() -> None:
    records = chain(4)
    forged = record(2, records[0].hash, {"n": 42})
    records[1] = forged
    result = verify_chain("c", records)
    assert not result.ok and result.broken_version == 3 and "prev_hash" in (result.reason or "")


def test_an_empty_stream_does_not_verify() -> None:
    assert not verify_chain("c", []).ok


def test_verify_reports_a_float_in_an_edited_payload_instead_of_crashing() -> None:
    records = chain(3)
    records[1] = replace(records[1], payload={"n": 2.5})
    result = verify_chain("c", records)
    assert not result.ok and result.broken_version == 2 and "canonical" in (result.reason or "")
