"""Inbound command messages: envelope -> schema -> one application call.

The envelope is ``{message_id, account_id, type, contract_id, payload}``;
``type`` is a command name (``ledger.commands.COMMAND_NAMES``); the payload
is loaded into its typed command with the same marshmallow schema the HTTP API
uses for that command (``schemas.commands.COMMAND_SCHEMAS``),
and ``message_id`` is the idempotency key. Anything refused raises
``DeadLetter``; a ``RETRYABLE`` error (store down, contention) propagates so the
caller retries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import marshmallow
from marshmallow import fields, validate

from application.idempotency import CommandResult
from application.service import LedgerApplication
from consumers.dead_letters import RETRYABLE, VALUE_BYTES_MAX, DeadLetter, from_ledger_error
from ledger.commands import COMMAND_NAMES, ContractCommand, SignContract
from ledger.errors import LedgerError
from ledger.terms import ACCOUNT_ID_MAX
from schemas import jsontext
from schemas.commands import COMMAND_SCHEMAS, SIGN_CONTRACT

COMMAND_TYPES = COMMAND_NAMES


class EnvelopeSchema(marshmallow.Schema):
    class Meta:
        unknown = marshmallow.EXCLUDE  # producers may add fields (sent_at, trace ids) without breaking us

    message_id = fields.String(required=True, validate=validate.Length(1, 200))
    account_id = fields.String(required=True, validate=validate.Length(1, ACCOUNT_ID_MAX))
    type = fields.String(required=True, validate=validate.Length(1, 100))
    contract_id = fields.UUID(load_default=None)
    payload = fields.Dict(keys=fields.String(), required=True)


ENVELOPE_SCHEMA = EnvelopeSchema()  # schemas are reusable; building one per message cost ~10% of the consumer's time


@dataclass(frozen=True)
class Envelope:
    message_id: str
    account_id: str
    type: str
    contract_id: UUID | None
    payload: dict[str, Any]


def parse_envelope(value: bytes | None) -> Envelope:
    """Decode and check the envelope; raise DeadLetter with the first problem found."""
    if value is None or len(value) > VALUE_BYTES_MAX:
        raise DeadLetter("invalid_json", "the value is empty or larger than 1 MB")
    try:
        document = jsontext.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:  # not JSON, NaN/Infinity, or a key given twice
        raise DeadLetter("invalid_json", f"the value is not UTF-8 JSON: {error}") from error
    if not isinstance(document, dict):
        raise DeadLetter("invalid_envelope", "the envelope must be a JSON object")
    try:
        loaded = ENVELOPE_SCHEMA.load(document)
    except marshmallow.ValidationError as error:
        raise DeadLetter("invalid_envelope", "the envelope is malformed", {"errors": error.messages}) from error
    envelope = Envelope(**loaded)
    if envelope.type not in COMMAND_TYPES:
        raise DeadLetter("unknown_type", f"unknown command type {envelope.type!r}", {"type": envelope.type})
    if envelope.contract_id is None and envelope.type != SIGN_CONTRACT:
        raise DeadLetter("invalid_envelope", f"{envelope.type} needs a contract_id",
                         {"errors": {"contract_id": ["required"]}})
    return envelope


class CommandHandler:
    """Turns one message value into one application call (thin: no business rules here)."""

    def __init__(self, app: LedgerApplication, schemas: Mapping[str, Any] = COMMAND_SCHEMAS) -> None:
        self.app = app
        self.schemas = schemas
        self.instances: dict[str, marshmallow.Schema] = {}

    def handle(self, value: bytes | None) -> CommandResult:
        envelope, command = self.parse(value)
        try:
            return self.call(envelope, command)
        except RETRYABLE:
            raise
        except LedgerError as error:
            raise from_ledger_error(error) from error

    def parse(self, value: bytes | None) -> tuple[Envelope, SignContract | ContractCommand]:
        """The envelope and its typed command; DeadLetter when the message is not a command we can run."""
        envelope = parse_envelope(value)
        return envelope, self.load_payload(envelope)

    def load_payload(self, envelope: Envelope) -> SignContract | ContractCommand:
        schema = self.schema(envelope.type)
        try:
            loaded: SignContract | ContractCommand = schema.load(envelope.payload)
        except marshmallow.ValidationError as error:
            raise DeadLetter("validation_error", "the payload does not match the command's schema",
                             {"errors": error.messages}) from error
        return loaded

    def schema(self, command_type: str) -> marshmallow.Schema:
        if command_type not in self.instances:
            entry = self.schemas.get(command_type)
            if entry is None:
                raise DeadLetter("unknown_type", f"no schema for command type {command_type!r}", {"type": command_type})
            self.instances[command_type] = entry() if isinstance(entry, type) else entry
        return self.instances[command_type]

    def call(self, envelope: Envelope, command: SignContract | ContractCommand) -> CommandResult:
        if isinstance(command, SignContract):
            return self.app.sign_contract(envelope.account_id, command, idempotency_key=envelope.message_id,
                                          contract_id=envelope.contract_id)
        contract_id = cast(UUID, envelope.contract_id)  # parse_envelope refused a missing one
        return self.app.execute(envelope.account_id, contract_id, command,
                                idempotency_key=envelope.message_id)
