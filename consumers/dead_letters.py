"""The one place that maps a refused command message to its dead-letter record.

A dead letter keeps the original key, value bytes and headers, and adds
``error_code`` (a ``LedgerError`` code, or one of ``ADAPTER_CODES`` for
messages that never reached the application), ``error_message``,
``error_details`` (JSON) and the source ``topic``/``partition``/``offset``.
``RETRYABLE`` errors are never dead letters: the message is retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class DeadLetterRecord:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def dead_letter_record(dead: DeadLetter, record: ConsumerRecord) -> DeadLetterRecord:
    added = {
        "error_code": dead.code,
        "error_message": dead.message[:MESSAGE_MAX],
        "error_details": json.dumps(dead.details, sort_keys=True, default=str)[:MESSAGE_MAX],
        "source_topic": record.topic,
        "source_partition": str(record.partition),
        "source_offset": str(record.offset),
    }
    original = [(k, v) for k, v in (record.headers or []) if k not in added]
    headers = original + [(k, v.encode("utf-8")) for k, v in added.items()]
    return DeadLetterRecord(record.key, record.value, headers)
