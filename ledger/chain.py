"""The hash chain: SHA-256 over a canonical JSON form of each event.

canonical JSON = sorted keys, no spaces, UTF-8, no floats. The hashed document is
``{"contract_id", "version", "type", "payload", "occurred_on", "recorded_at",
"prev_hash"}``; the chain starts from ``GENESIS``. This module depends on the
standard library only, so the offline verifier can use it without a database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    _check_native(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_native(value: Any, path: str) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        raise TypeError(f"float at {path}: money and rates are never floats")
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_native(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key at {path}")
            _check_native(item, f"{path}.{key}")
        return
    raise TypeError(f"{type(value).__name__} at {path} is not JSON-native")


def format_recorded_at(moment: datetime) -> str:
    """UTC, microseconds, explicit offset: the one text form of ``recorded_at``."""
    if moment.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    contract_id: str,
    version: int,
    event_type: str,
    payload: dict[str, Any],
    occurred_on: str,
    recorded_at: str,
    prev_hash: str,
) -> str:
    document = {
        "contract_id": contract_id,
        "version": version,
        "type": event_type,
        "payload": payload,
        "occurred_on": occurred_on,
        "recorded_at": recorded_at,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document)).hexdigest()


@dataclass(frozen=True)
class ChainRecord:
    """One event as it is stored and exported (a line of ``events.jsonl``)."""

    contract_id: str
    version: int
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    occurred_on: str
    recorded_at: str
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        return event_hash(
            contract_id=self.contract_id,
            version=self.version,
            event_type=self.event_type,
            payload=self.payload,
            occurred_on=self.occurred_on,
            recorded_at=self.recorded_at,
            prev_hash=self.prev_hash,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "version": self.version,
            "type": self.event_type,
            "schema_version": self.schema_version,
            "payload": self.payload,
            "occurred_on": self.occurred_on,
            "recorded_at": self.recorded_at,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChainRecord:
        return cls(
            contract_id=data["contract_id"],
            version=data["version"],
            event_type=data["type"],
            schema_version=data.get("schema_version", 1),
            payload=data["payload"],
            occurred_on=data["occurred_on"],
            recorded_at=data["recorded_at"],
            prev_hash=data["prev_hash"],
            hash=data["hash"],
        )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    contract_id: str
    events: int
    fingerprint: str | None
    version: int | None
    broken_version: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "contract_id": self.contract_id,
            "events": self.events,
            "fingerprint": self.fingerprint,
            "version": self.version,
            "broken_version": self.broken_version,
            "reason": self.reason,
        }


def content_failure(record: ChainRecord) -> str | None:
    try:
        computed = record.computed_hash()
    except (TypeError, ValueError) as error:
        return f"content is not canonical JSON ({error})"
    return None if computed == record.hash else "content does not match its hash (the event was altered)"


def verify_chain(contract_id: str, records: list[ChainRecord]) -> VerifyResult:
    """Walk the records in order; report the first broken link or OK with the head."""
    prev = GENESIS
    for expected_version, record in enumerate(records, start=1):
        failure = None
        if record.contract_id != contract_id:
            failure = f"belongs to contract {record.contract_id}"
        elif record.version != expected_version:
            failure = f"version {record.version} where {expected_version} was expected (gap or reorder)"
        elif record.prev_hash != prev:
            failure = "prev_hash does not match the hash of the event before it"
        else:
            failure = content_failure(record)
        if failure:
            return VerifyResult(False, contract_id, len(records), None, None, expected_version, failure)
        prev = record.hash
    if not records:
        return VerifyResult(False, contract_id, 0, None, None, None, "no events")
    return VerifyResult(True, contract_id, len(records), prev, len(records))
