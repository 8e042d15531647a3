"""The one place that maps a refused command message to its dead-letter record.

A dead letter keeps the original key, value bytes and headers, and adds
``error_code`` (a ``LedgerError`` code, or one of ``ADAPTER_CODES`` for
messages that never reached the application), ``error_message``,
``error_details`` (JSON) and the source ``topic``/``partition``/``offset``.
``TRANSIENT`` errors are never dead letters: the message is retried. Any other
unexpected exception is a dead letter with code ``internal_error``, so one
poison message never blocks its partition.

A value too large to produce again (over ``VALUE_BYTES_MAX``, or refused by the
producer or broker for its size) is dead-lettered without it: ``value`` is
null and the headers ``value_dropped=true``, ``original_value_bytes`` and
``original_value_sha256`` describe what was dropped.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import psycopg
from eventsourcing import persistence
from kafka.consumer.fetcher import ConsumerRecord

from ledger.errors import LedgerError, StoreUnavailable, VersionConflict

# Codes for messages refused before they reach the application, in the order they are checked.
ADAPTER_CODES = {
    "invalid_json": "the value is not UTF-8 JSON",
    "invalid_envelope": "the envelope is not {message_id, account_id, type, contract_id, payload}",
    "unknown_type": "type is not a command the ledger knows",
    "validation_error": "the payload does not match the command's schema",
}
MESSAGE_MAX = 1000  # header values stay small
# Transient: the store is down, or writers kept conflicting (an envelope carries no expected version,
# so a version conflict only means contention). Retried, never dead-lettered.
RETRYABLE: tuple[type[LedgerError], ...] = (StoreUnavailable, VersionConflict)
# Raw database errors that escaped the application's own translation are transient too (connection lost,
# database locked): retrying them is safe, dead-lettering them would lose good commands.
TRANSIENT: tuple[type[Exception], ...] = (
    *RETRYABLE, persistence.OperationalError, persistence.InterfaceError, psycopg.OperationalError,
    psycopg.InterfaceError, sqlite3.OperationalError,
)
INTERNAL_ERROR = "internal_error"
VALUE_BYTES_MAX = 1_000_000  # larger values are refused, and dead-lettered without their bytes


class DeadLetter(Exception):
    """Raised when a command message must go to the dead-letter topic; the consumer moves on."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def from_ledger_error(error: LedgerError) -> DeadLetter:
    """A refusal by the application becomes a dead letter with the same stable code."""
    if isinstance(error, RETRYABLE):
        raise TypeError(f"{error.code} is transient: retry, never dead-letter") from error
    details = {k: v for k, v in error.to_dict().items() if k not in ("code", "message")}
    return DeadLetter(error.code, error.message, details)


def from_unexpected(error: Exception) -> DeadLetter:
    """A bug or an input nobody foresaw: dead-lettered (and logged) rather than blocking the partition."""
    return DeadLetter(INTERNAL_ERROR, f"{type(error).__name__}: {error}", {"exception": type(error).__name__})


@dataclass(frozen=True)
class DeadLetterRecord:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def dead_letter_record(dead: DeadLetter, record: ConsumerRecord, *, drop_value: bool = False) -> DeadLetterRecord:
    added = {
        "error_code": dead.code,
        "error_message": dead.message[:MESSAGE_MAX],
        "error_details": json.dumps(dead.details, sort_keys=True, default=str)[:MESSAGE_MAX],
        "source_topic": record.topic,
        "source_partition": str(record.partition),
        "source_offset": str(record.offset),
    }
    value = record.value
    if drop_value or (value is not None and len(value) > VALUE_BYTES_MAX):
        added |= dropped_value_headers(value or b"")
        value = None
    original = [(k, v) for k, v in (record.headers or []) if k not in added]
    headers = original + [(k, v.encode("utf-8")) for k, v in added.items()]
    return DeadLetterRecord(record.key, value, headers)


def dropped_value_headers(value: bytes) -> dict[str, str]:
    return {"value_dropped": "true", "original_value_bytes": str(len(value)),
            "original_value_sha256": hashlib.sha256(value).hexdigest()}
