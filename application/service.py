"""The one application service: load -> call the aggregate -> save.

Every write goes through ``execute`` (or ``sign_contract``): it checks the
idempotency key, loads the contract of the caller's account, calls one command
method, and saves the contract's new events together with the idempotency
record (and any invoice-number records) in one transaction. A version conflict
with a concurrent writer is retried from the load; a stale ``expected_version``
is refused. Reads (summary, statement, events, verify) come from the
contract's own events, so they always reflect the last write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    StoredEvent,
)
from eventsourcing.utils import Environment

from application import accounts
from infrastructure.history import guard_sqlite
from infrastructure.keyusage import KeyUsage
from infrastructure.requests import RequestMapper
from infrastructure.store import StoreConfig
from infrastructure.transcodings import LedgerTranscoder, register_state_transcodings
from ledger.accounts import ApiKey
from ledger.chain import ChainRecord, VerifyResult, canonical_json, format_recorded_at, verify_chain
from ledger.contract import ENVELOPE, Contract
from ledger.errors import (
    AlreadyExists,
    ConfigurationError,
    ContractClosed,
    ContractNotFound,
    DuplicateInvoiceNumber,
    HistoryMismatch,
    IdempotencyConflict,
    LedgerError,
    StoreUnavailable,
    ValidationError,
    VersionConflict,
)
from ledger.records import (
    IdempotencyRecord,
    InvoiceNumberClaim,
    InvoiceSequence,
    idempotency_id,
    invoice_number_id,
    invoice_sequence_id,
)
from ledger.state import STATE_CLASSES
from ledger.terms import check_unicode
from ledger.views import contract_summary, statement

# Command name (as used over HTTP and Kafka) -> Contract method.
COMMANDS: dict[str, str] = {
    "amend_contract": "amend",
    "deliver_milestone": "deliver_milestone",
    "accept_milestone": "accept_milestone",
    "reject_milestone": "reject_milestone",
    "issue_invoice": "issue_invoice",
    "void_invoice": "void_invoice",
    "issue_credit_note": "issue_credit_note",
    "record_payment": "record_payment",
    "reverse_payment": "reverse_payment",
    "record_reminder_sent": "record_reminder_sent",
    "log_communication": "log_communication",
    "record_promise": "record_promise",
    "open_dispute": "open_dispute",
    "resolve_dispute": "resolve_dispute",
    "pause_work": "pause_work",
    "resume_work": "resume_work",
    "grant_licence": "grant_licence",
    "extend_licence": "extend_licence",
    "make_licence_perpetual": "make_licence_perpetual",
    "fund_escrow": "fund_escrow",
    "release_escrow": "release_escrow",
    "file_claim": "file_claim",
    "record_judgment": "record_judgment",
    "write_off_debt": "write_off_debt",
    "close_contract": "close",
}
CONTRACT_TOPIC_PREFIX = "ledger.contract:Contract."
RETRIES_MAX = 20
IDEMPOTENCY_KEY_MAX = 200
INVOICE_PREFIX = "INV-"


@dataclass(frozen=True)
class CommandResult:
    contract_id: str
    version: int
    fingerprint: str
    events: list[str] = field(default_factory=list)
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "version": self.version, "fingerprint": self.fingerprint,
                "events": self.events}


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


class LedgerApplication(Application[UUID]):
    """Loads and saves Contracts; the only place that touches the event store."""

    name = "Ledger"
    snapshotting_intervals = {Contract: 100}  # noqa: RUF012 - the library reads a class attribute

    def __init__(self, store: StoreConfig, *, create_tables: bool | None = None) -> None:
        self.store = store
        if create_tables is None:
            create_tables = store.kind == "sqlite"  # PostgreSQL tables come from `ledger db migrate`
        try:
            super().__init__(env=store.library_env(create_tables=create_tables))
        except (OperationalError, InterfaceError) as error:
            raise StoreUnavailable(f"cannot open the {store.kind} event store: {error}") from error
        self.check_store_kind()
        schema = store.pg_schema if store.kind == "postgres" else ""
        self.key_usage = KeyUsage(self.recorder.datastore, store.kind, schema)  # type: ignore[attr-defined]
        if create_tables:
            self.guarded(self.key_usage.create_tables)
        if create_tables and store.kind == "sqlite":
            guard_sqlite(store.sqlite_path, self.event_tables())

    def event_tables(self) -> list[str]:
        """The tables holding history (events and snapshots): append-only, see infrastructure.history."""
        tables = [self.recorder.events_table_name]  # type: ignore[attr-defined]
        if self.snapshots is not None:
            tables.append(self.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
        return tables

    def construct_env(self, name: str, env: Any = None) -> Environment:
        """Only our settings: the library must not pick up PERSISTENCE_MODULE, LEDGER_* or anything else from os.environ."""
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, plus the request id of the work in progress (see infrastructure.requests)."""
        return RequestMapper(transcoder=self.construct_transcoder())

    def construct_transcoder(self) -> JSONTranscoder:
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_state_transcodings(transcoder, STATE_CLASSES)

    def check_store_kind(self) -> None:
        module = type(self.recorder).__module__
        expected = {"sqlite": "eventsourcing.sqlite", "postgres": "eventsourcing.postgres"}[self.store.kind]
        if module != expected:
            raise ConfigurationError(
                f"the event store is {module}, not {expected}: check PERSISTENCE_MODULE in the environment"
            )

    def check_ready(self) -> None:
        """Raise StoreUnavailable unless the store answers and its tables exist."""
        try:
            self.recorder.max_notification_id()
        except (OperationalError, InterfaceError, Exception) as error:
            raise StoreUnavailable(f"event store not ready ({type(error).__name__}): {error}") from error

    # -- accounts and API keys (see application.accounts) ----------------------------
    def create_account(self, name: str, account_id: str | None = None) -> str:
        return str(self.guarded(accounts.create_account, self, name, account_id))

    def create_api_key(self, account_id: str) -> str:
        """A new key for the account, returned once: only its hash is stored."""
        return str(self.guarded(accounts.create_api_key, self, account_id))

    def authenticate(self, key: str) -> str | None:
        """The account id the key belongs to, or None (unknown or revoked)."""
        account_id: str | None = self.guarded(accounts.authenticate, self, key)
        return account_id

    def identify(self, key: str) -> ApiKey | None:
        """The key's record, if the key is valid and not revoked."""
        record: ApiKey | None = self.guarded(accounts.identify, self, key)
        return record

    def count_request(self, key_id: str, limit: int, window_s: int) -> None:
        """Count one request of the key against its limit (shared by every worker through the store)."""
        self.guarded(accounts.count_request, self.key_usage, key_id, limit, window_s)

    def list_keys(self, account_id: str | None = None) -> list[accounts.KeyInfo]:
        last_used = self.guarded(self.key_usage.last_used)
        found: list[accounts.KeyInfo] = self.guarded(accounts.list_keys, self, account_id, last_used)
        return found

    def revoke_key(self, key_id: str) -> ApiKey:
        record: ApiKey = self.guarded(accounts.revoke_key, self, key_id)
        return record

    def rotate_key(self, key_id: str) -> tuple[str, ApiKey]:
        rotated: tuple[str, ApiKey] = self.guarded(accounts.rotate_key, self, key_id)
        return rotated

    # -- writes ---------------------------------------------------------------
    def sign_contract(
        self, account_id: str, idempotency_key: str, *, contract_id: UUID | None = None, **terms: Any
    ) -> CommandResult:
        self.check_key(idempotency_key)
        new_id = contract_id or uuid4()
        digest = command_digest("sign_contract", contract_id, terms)
        for _ in range(RETRIES_MAX):
            try:
                contract = Contract.sign(contract_id=new_id, account_id=account_id, **terms)
            except LedgerError:
                raise  # nothing to replay: a first signing refused, or its retry refused the same way
            result = self.save_command(contract, account_id, idempotency_key, digest, [])
            if result:
                return result
            replay = self.replay(account_id, idempotency_key, digest)
            if replay:
                return replay
            if self.guarded(self.repository.__contains__, new_id):
                raise AlreadyExists(f"a contract with id {new_id} already exists", contract_id=str(new_id))
        raise VersionConflict("could not record the contract after repeated conflicts")

    def execute(
        self,
        account_id: str,
        contract_id: UUID | str,
        command: str,
        args: dict[str, Any],
        *,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Run one command on one contract, exactly once per idempotency key.

        The idempotency record is only read when something goes wrong (a refusal or a
        save conflict): a first-time command costs one load and one save.
        """
        self.check_key(idempotency_key)
        method = COMMANDS.get(command)
        if method is None:
            raise ValidationError(f"unknown command {command!r}", {"type": ["unknown command"]})
        digest = command_digest(command, contract_id, args)
        for _ in range(RETRIES_MAX):
            try:
                contract, extra = self.run_command(account_id, contract_id, method, args, expected_version)
            except StoreUnavailable:
                raise
            except LedgerError:
                replay = self.replay(account_id, idempotency_key, digest)
                if replay:
                    return replay  # the command was recorded before: its repeat is refused, its first result stands
                raise
            result = self.save_command(contract, account_id, idempotency_key, digest, extra)
            if result:
                return result
            replay = self.replay(account_id, idempotency_key, digest)
            if replay:
                return replay
        raise VersionConflict("could not record the command after repeated conflicts")

    def run_command(
        self, account_id: str, contract_id: UUID | str, method: str, args: dict[str, Any], expected_version: int | None
    ) -> tuple[Contract, list[Aggregate]]:
        contract = self.get_contract(account_id, contract_id)
        if expected_version is not None and contract.version != expected_version:
            raise VersionConflict(
                f"the contract is at version {contract.version}, not {expected_version}",
                current_version=contract.version,
            )
        if contract.closed_on is not None:
            raise ContractClosed("the contract is closed; nothing more can be recorded")
        call_args, extra = dict(args), []
        if method == "issue_invoice":
            extra = self.claim_invoice_number(account_id, contract, call_args)
        getattr(contract, method)(**call_args)
        return contract, extra

    def check_key(self, key: str) -> None:
        if not isinstance(key, str) or not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
            raise ValidationError(
                f"an idempotency key of 1 to {IDEMPOTENCY_KEY_MAX} characters is required",
                {"idempotency_key": ["required"]},
            )
        check_unicode(key, "idempotency_key")

    def replay(self, account_id: str, key: str, digest: str) -> CommandResult | None:
        try:
            record: IdempotencyRecord = self.guarded(self.repository.get, idempotency_id(account_id, key))
        except AggregateNotFoundError:
            return None
        if record.digest != digest:
            raise IdempotencyConflict("this idempotency key was used for a different command", key=key)
        result = CommandResult(**record.result, replayed=True)
        self.check_recorded(result)
        return result

    def check_recorded(self, result: CommandResult) -> None:
        """The log must still hold the event a stored result names, with the same hash; else it was altered."""
        stored = self.guarded(self.recorder.select_events, UUID(result.contract_id), gt=result.version - 1,
                              lte=result.version)
        if not stored or self.chain_record(stored[0]).hash != result.fingerprint:
            raise HistoryMismatch(
                f"the recorded result of this command (version {result.version} of contract {result.contract_id}) "
                "is no longer in the event log: the history was altered; run `ledger audit`",
                contract_id=result.contract_id, version=result.version)

    def save_command(
        self, contract: Contract, account_id: str, key: str, digest: str, extra: list[Aggregate]
    ) -> CommandResult | None:
        pending = [type(e).__name__ for e in contract.pending_events]
        result = CommandResult(str(contract.id), contract.version, contract.chain_head, pending)
        record = IdempotencyRecord(account_id, key, digest, result.to_dict())
        try:
            self.guarded(self.save, contract, record, *extra)
        except IntegrityError:
            return None  # a concurrent writer won: reload and try again
        return result

    def claim_invoice_number(self, account_id: str, contract: Contract, args: dict[str, Any]) -> list[Aggregate]:
        number = args.get("number")
        if number is None:
            sequence = self.invoice_sequence(account_id)
            while True:
                next_value = sequence.last + 1
                sequence.allocate(next_value)
                number = sequence.format(next_value)
                if not self.is_invoice_number_taken(account_id, number):
                    break
            args["number"] = number
            extra: list[Aggregate] = [sequence]
        else:
            if self.is_invoice_number_taken(account_id, number):
                raise DuplicateInvoiceNumber(f"invoice number {number!r} is already used in this account", number=number)
            extra = []
        claim = InvoiceNumberClaim(account_id, number, str(contract.id))
        return [*extra, claim]

    def invoice_sequence(self, account_id: str) -> InvoiceSequence:
        try:
            sequence: InvoiceSequence = self.guarded(self.repository.get, invoice_sequence_id(account_id))
        except AggregateNotFoundError:
            sequence = InvoiceSequence(account_id, INVOICE_PREFIX)
        return sequence

    def is_invoice_number_taken(self, account_id: str, number: str) -> bool:
        return bool(self.guarded(self.repository.__contains__, invoice_number_id(account_id, number)))

    def guarded(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the store, turning connection failures into StoreUnavailable (retryable)."""
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            raise StoreUnavailable(f"event store unavailable: {error}") from error

    # -- reads ----------------------------------------------------------------
    def get_contract(self, account_id: str, contract_id: UUID | str, version: int | None = None) -> Contract:
        try:
            contract = self.guarded(self.repository.get, UUID(str(contract_id)), version=version)
        except (AggregateNotFoundError, ValueError):
            contract = None
        if not isinstance(contract, Contract) or contract.account_id != account_id:
            raise ContractNotFound(f"no contract {contract_id} in this account", contract_id=str(contract_id))
        return contract

    def summary(
        self, account_id: str, contract_id: UUID | str, as_of: date, version: int | None = None
    ) -> dict[str, Any]:
        """The summary as of a date in the world; ``version`` reproduces it as the ledger knew it then."""
        return contract_summary(self.get_contract(account_id, contract_id, version), as_of.isoformat())

    def statement(
        self, account_id: str, contract_id: UUID | str, as_of: date, version: int | None = None
    ) -> dict[str, Any]:
        return statement(self.get_contract(account_id, contract_id, version), as_of.isoformat())

    def chain_records(self, contract_id: UUID) -> Iterator[ChainRecord]:
        """The contract's stored events, decoded without upcasting, as they were hashed."""
        for stored in self.guarded(self.recorder.select_events, contract_id):
            yield self.chain_record(stored)

    def chain_record(self, stored: StoredEvent) -> ChainRecord:
        state = self.decode_state(stored)
        schema_version = state.get("class_version", 1)
        return ChainRecord(
            contract_id=str(stored.originator_id),
            version=stored.originator_version,
            event_type=stored.topic.rsplit(".", 1)[-1],
            schema_version=schema_version,
            payload={k: v for k, v in state.items() if k not in ENVELOPE},
            occurred_on=state.get("occurred_on", ""),
            recorded_at=format_recorded_at(state["timestamp"]),
            prev_hash=state.get("prev_hash", ""),
            hash=state.get("hash", ""),
        )

    def decode_state(self, stored: StoredEvent) -> dict[str, Any]:
        data = stored.state
        if self.mapper.cipher:
            data = self.mapper.cipher.decrypt(data)
        if self.mapper.compressor:
            data = self.mapper.compressor.decompress(data)
        state: dict[str, Any] = self.mapper.transcoder.decode(data)
        return state

    def event_records(self, account_id: str, contract_id: UUID | str) -> list[ChainRecord]:
        contract = self.get_contract(account_id, contract_id)
        return list(self.chain_records(contract.id))

    def verify(self, account_id: str, contract_id: UUID | str) -> VerifyResult:
        contract = self.get_contract(account_id, contract_id)
        return self.verify_stored(contract.id)

    def verify_stored(self, contract_id: UUID) -> VerifyResult:
        """Walk the stored events (no account check: for operators and the CLI)."""
        records = []
        for stored in self.guarded(self.recorder.select_events, contract_id):
            try:
                records.append(self.chain_record(stored))
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
                return VerifyResult(False, str(contract_id), len(records) + 1, None, None, stored.originator_version,
                                    f"stored event cannot be decoded: {error}")
        result = verify_chain(str(contract_id), records)
        if result.ok:
            return self.check_snapshot(contract_id, result)
        return result

    def replay_contract(self, contract_id: UUID | str) -> Contract:
        """The contract rebuilt from its events alone, never from a snapshot (for evidence and checks)."""
        contract: Any = None
        for domain_event in self.guarded(lambda: list(self.events.get(UUID(str(contract_id))))):
            contract = domain_event.mutate(contract)
        if not isinstance(contract, Contract):
            raise ContractNotFound(f"no contract {contract_id}", contract_id=str(contract_id))
        return contract

    def check_snapshot(self, contract_id: UUID, result: VerifyResult) -> VerifyResult:
        """A snapshot is a cache of the events: it must rebuild exactly the state the events give."""
        if self.snapshots is None:
            return result
        snapshots = list(self.guarded(self.snapshots.get, contract_id, desc=True, limit=1))
        if not snapshots:
            return result
        from_snapshot = self.guarded(self.repository.get, contract_id)
        if vars(from_snapshot) != vars(self.replay_contract(contract_id)):
            return VerifyResult(False, str(contract_id), result.events, None, None, snapshots[0].originator_version,
                                "the snapshot at this version disagrees with the events (the snapshot was altered)")
        return result


def is_contract_topic(topic: str) -> bool:
    return topic.startswith(CONTRACT_TOPIC_PREFIX)

