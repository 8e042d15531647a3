"""Idempotency: what a key is bound to (the digest of its command), and the first result it replays.

The digest is SHA-256 over the canonical JSON of ``{"command", "contract_id",
"args"}``, ``args`` being the arguments given (``Command.args()``); stored
idempotency records hold it, so its form must never change. A key is stored
with the command's events in one transaction (``IdempotencyRecord``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from application import audit
from application.guard import guarded
from ledger.chain import canonical_json
from ledger.errors import HistoryMismatch, IdempotencyConflict, ValidationError
from ledger.records import IdempotencyRecord, idempotency_id
from ledger.terms import check_unicode

IDEMPOTENCY_KEY_MAX = 200


@dataclass(frozen=True)
class CommandResult:
    contract_id: str
    version: int
    fingerprint: str
    events: list[str] = field(default_factory=list)
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "events": self.events,
        }


def to_jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    if isinstance(value, UUID):
        return str(value)
    return value


def command_digest(command: str, contract_id: UUID | str | None, args: dict[str, Any]) -> str:
    """SHA-256 of the command as canonical JSON: what an idempotency key is bound to."""
    try:
        normalised = str(UUID(str(contract_id))) if contract_id is not None else None
    except ValueError:
        normalised = str(contract_id)
    document = {"command": command, "contract_id": normalised, "args": to_jsonable(args)}
    try:
        return hashlib.sha256(canonical_json(document)).hexdigest()
    except (TypeError, ValueError) as error:  # a float, an object, a lone surrogate: not a command we can record
        raise ValidationError(f"the command cannot be recorded: {error}", {"args": [str(error)]}) from None


def check_key(key: str) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            f"an idempotency key of 1 to {IDEMPOTENCY_KEY_MAX} characters is required",
            {"idempotency_key": ["required"]},
        )
    check_unicode(key, "idempotency_key")


def replay(app: Application[UUID], account_id: str, key: str, digest: str) -> CommandResult | None:
    """The first result recorded under this key, None if the key is new; a different command is a conflict."""
    try:
        record: IdempotencyRecord = guarded(app.repository.get, idempotency_id(account_id, key))
    except AggregateNotFoundError:
        return None
    if record.digest != digest:
        raise IdempotencyConflict("this idempotency key was used for a different command", key=key)
    result = CommandResult(**record.result, replayed=True)
    check_recorded(app, result)
    return result


def check_recorded(app: Application[UUID], result: CommandResult) -> None:
    """The log must still hold the event a stored result names, with the same hash; else it was altered."""
    stored = guarded(app.recorder.select_events, UUID(result.contract_id), gt=result.version - 1, lte=result.version)
    if not stored or audit.chain_record(app, stored[0]).hash != result.fingerprint:
        raise HistoryMismatch(
            f"the recorded result of this command (version {result.version} of contract {result.contract_id}) "
            "is no longer in the event log: the history was altered; run `ledger audit`",
            contract_id=result.contract_id, version=result.version)


def record_of(account_id: str, key: str, digest: str, result: CommandResult) -> IdempotencyRecord:
    return IdempotencyRecord(account_id, key, digest, result.to_dict())
