"""The one application service: load -> call the aggregate -> save.

Every write goes through ``execute`` (or ``sign_contract``): it checks the
idempotency key, loads the contract of the caller's account, applies one typed
command (``ledger.commands``), and saves the contract's new events together
with the idempotency record (and any invoice-number records) in one
transaction; with group commit (``application.group_commit``) commands on
different contracts share that transaction. A version conflict with a concurrent writer is retried from the
load; a stale ``expected_version`` is refused. Reads (summary, statement,
events, verify) come from the contract's own events, so they always reflect
the last write. Idempotency, invoice numbering and the audit of the stored
record live in their own modules; this class is their façade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment

from application import accounts, audit, idempotency
from application.concurrency import ContractLocks, RecentWrites, pause_after_conflict
from application.contract_cache import LockedRepository, snapshot_cached, snapshot_due
from application.group_commit import GroupCommitter, Prepared
from application.guard import guarded
from application.idempotency import CommandResult, check_key, command_digest, record_of
from application.invoice_numbers import claim_invoice_number
from infrastructure.bounds import READY_WAIT_S, bound_recorder, ping, tune_factory
from infrastructure.heads import Heads, events_table
from infrastructure.history import guard_sqlite
from infrastructure.keyusage import KeyUsage
from infrastructure.ordered_log import OrderedPostgresApplicationRecorder, check_ordered
from infrastructure.pauses import GROUP_SAVE, pause_inside_group_saves
from infrastructure.requests import REQUEST_ID, REQUEST_IDS, RequestMapper
from infrastructure.store import StoreConfig
from infrastructure.transcodings import LedgerTranscoder, register_state_transcodings
from ledger.accounts import ApiKey
from ledger.chain import ChainRecord, VerifyResult
from ledger.commands import ContractCommand, IssueInvoice, SignContract
from ledger.contract import Contract
from ledger.errors import (
    AlreadyExists,
    ConfigurationError,
    ContractClosed,
    ContractNotFound,
    LedgerError,
    StoreUnavailable,
    VersionConflict,
)
from ledger.state import STATE_CLASSES
from ledger.views import contract_summary, statement

RETRIES_MAX = 20
T = TypeVar("T")
is_contract_topic = audit.is_contract_topic


class LedgerApplication(Application[UUID]):
    """Loads and saves Contracts; the only place that touches the event store."""

    name = "Ledger"
    snapshotting_intervals = {Contract: 100}  # noqa: RUF012 - the library reads a class attribute

    def __init__(
        self, store: StoreConfig, *, create_tables: bool | None = None, group_commit: bool = False,
        pause_in_group_save_s: float = 0.0,
    ) -> None:
        """``group_commit``: concurrent ``execute`` calls of this process's threads share transactions
        (``application.group_commit``); ``pause_in_group_save_s`` is a test-only hook (``infrastructure.pauses``)."""
        self.store = store
        self.contract_locks, self.recent_writes = ContractLocks(), RecentWrites()  # before the repository uses them
        if create_tables is None:
            create_tables = store.kind == "sqlite"  # PostgreSQL tables come from `ledger db migrate`
        try:
            super().__init__(env=store.library_env(create_tables=create_tables))
        except (OperationalError, InterfaceError) as error:
            factory = getattr(self, "factory", None)
            if factory is not None:
                factory.close()  # the pool's threads would keep trying to connect for nothing
            raise StoreUnavailable(f"cannot open the {store.kind} event store: {error}") from error
        self.check_store_kind()
        if store.kind == "postgres" and not create_tables:
            try:
                self.guarded(check_ordered, self.recorder)
            except BaseException:
                self.factory.close()  # the pool's threads would keep trying to connect for nothing
                raise
        self.committer = GroupCommitter(self.save_prepared) if group_commit else None
        bound_recorder(self.recorder)
        if pause_in_group_save_s > 0:
            pause_inside_group_saves(self.recorder, pause_in_group_save_s)
        if self.snapshots is not None:
            bound_recorder(self.snapshots.recorder)
        schema = store.pg_schema if store.kind == "postgres" else ""
        self.heads = Heads(self.recorder.datastore, store.kind, events_table(self.recorder, store.kind, schema))  # type: ignore[attr-defined]
        self.key_usage = KeyUsage(self.recorder.datastore, store.kind, schema, self.heads)  # type: ignore[attr-defined]
        self.known_keys = accounts.KnownKeys()
        if create_tables:
            self.guarded(self.key_usage.create_tables)
        if create_tables and store.kind == "sqlite":
            guard_sqlite(store.sqlite_path, self.event_tables())

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, whose writers change the cached contract in place (see application.contract_cache)."""
        library = super().construct_repository()
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return LockedRepository(
            event_store=library.event_store,
            snapshot_store=library.snapshot_store,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
            locks=self.contract_locks,
        )

    def take_snapshot(self, aggregate_id: UUID, version: int | None = None, projector_func: Any = None) -> None:
        """From the cached contract just saved when it is that version, else as the library does (rebuilding it).

        The library asks at every 100th version; past 1,000 events a contract is snapshotted less often
        (``contract_cache.snapshot_due``). An explicit call without a version always takes one.
        """
        if version is not None and not snapshot_due(version):
            return
        if snapshot_cached(self.contracts, self.snapshots, aggregate_id, version):
            return
        if projector_func is None:
            super().take_snapshot(aggregate_id, version)
        else:
            super().take_snapshot(aggregate_id, version, projector_func)

    @property
    def contracts(self) -> LockedRepository:
        repository: LockedRepository = self.repository  # type: ignore[assignment]  # made by construct_repository
        return repository

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        tune_factory(factory)
        return factory

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
        expected = {"sqlite": SQLiteApplicationRecorder, "postgres": OrderedPostgresApplicationRecorder}[self.store.kind]
        if not isinstance(self.recorder, expected):
            raise ConfigurationError(
                f"the event store is {type(self.recorder).__module__}.{type(self.recorder).__name__}, not "
                f"{expected.__module__}.{expected.__name__}: check PERSISTENCE_MODULE in the environment"
            )

    def check_ready(self) -> None:
        """Raise StoreUnavailable unless the store answers and its tables exist."""
        try:
            ping(self.recorder, READY_WAIT_S)  # a store that is down answers "no" at once, not after the retries
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

    def admit(self, key: str, limit: int, window_s: int, about: UUID | None = None) -> accounts.Admission:
        """``identify`` and ``count_request`` in one: one statement per request for a key seen before (which
        can also read the current version of ``about``)."""
        admission: accounts.Admission = self.guarded(
            accounts.admit, self, self.key_usage, self.known_keys, key, limit, window_s, about
        )
        return admission

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
        self, account_id: str, command: SignContract, *, idempotency_key: str, contract_id: UUID | None = None
    ) -> CommandResult:
        check_key(idempotency_key)
        new_id = contract_id or uuid4()
        digest = command_digest(command.name, contract_id, command.args())
        for _ in range(RETRIES_MAX):
            try:
                contract = command.sign(new_id, account_id)
            except LedgerError:
                raise  # nothing to replay: a first signing refused, or its retry refused the same way
            result = self.save_command(contract, account_id, idempotency_key, digest, [])
            if result:
                return result
            replay = idempotency.replay(self, account_id, idempotency_key, digest)
            if replay:
                return replay
            if self.guarded(self.repository.__contains__, new_id):
                raise AlreadyExists(f"a contract with id {new_id} already exists", contract_id=str(new_id))
        raise VersionConflict("could not record the contract after repeated conflicts")

    def execute(
        self,
        account_id: str,
        contract_id: UUID | str,
        command: ContractCommand,
        *,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Run one command on one contract, exactly once per idempotency key.

        The idempotency record is only read when something goes wrong (a refusal or a
        save conflict): a first-time command costs one load and one save.
        """
        check_key(idempotency_key)
        digest = command_digest(command.name, contract_id, command.args())
        with self.contract_locks.hold(str(contract_id)):  # this process's writers of one contract take turns
            for attempt in range(RETRIES_MAX):
                try:
                    contract, extra = self.run_command(account_id, contract_id, command, expected_version)
                except StoreUnavailable:
                    self.forget_unsaved(contract_id)
                    raise
                except LedgerError:  # refused before any change (run_command drops a contract refused half-way)
                    replay = idempotency.replay(self, account_id, idempotency_key, digest)
                    if replay:
                        return replay  # recorded before: its repeat is refused, its first result stands
                    raise
                except BaseException:
                    self.forget_unsaved(contract_id)
                    raise
                try:
                    if self.committer is not None and attempt == 0:  # a retry saves alone, see application.group_commit
                        result = self.committer.submit(
                            Prepared(account_id, idempotency_key, digest, contract, extra, REQUEST_ID.get()))
                    else:
                        result = self.save_command(contract, account_id, idempotency_key, digest, extra)
                except BaseException:
                    self.forget_unsaved(contract_id)  # saved or not, the store knows: reload from it
                    raise
                if result:
                    return result
                self.forget_unsaved(contract_id)  # another process won: its events, not ours
                replay = idempotency.replay(self, account_id, idempotency_key, digest)
                if replay:
                    return replay
                pause_after_conflict(attempt)  # another process won: do not collide with it again in step
        raise VersionConflict("could not record the command after repeated conflicts")

    def prepare(
        self, account_id: str, contract_id: UUID | str, command: ContractCommand, *, idempotency_key: str,
        contract: Contract | None = None,
    ) -> Prepared:
        """Load and apply one command for a group save (``save_prepared``); a refusal raises, nothing replayed.

        ``contract``: the object an earlier command of the same group left (same account), applied to again
        instead of loading. A caller whose command is refused here runs it again with ``execute`` once the group
        is saved, which answers the refusal or the first result recorded under its key exactly as it does alone.
        """
        check_key(idempotency_key)
        digest = command_digest(command.name, contract_id, command.args())
        earlier = len(contract.pending_events) if contract is not None else 0
        loaded, extra = self.run_command(account_id, contract_id, command, None, contract)
        return Prepared(account_id, idempotency_key, digest, loaded, extra, REQUEST_ID.get(), earlier)

    def save_prepared(self, group: list[Prepared]) -> bool:
        """Save the prepared commands in one transaction: True when durable, False when nothing was stored.

        False on a conflict with another writer (``IntegrityError``) or any store error: the group's cached
        contracts are dropped (they hold its unsaved changes) and the callers run each command again alone. The
        events keep the request id of the command that made them.
        """
        per_command = [(prepared, prepared.aggregates()) for prepared in group]
        aggregates = [aggregate for _, written in per_command for aggregate in written]
        request_ids = {aggregate.id: prepared.request_id for prepared, written in per_command for aggregate in written}
        ids_token, GROUP_SAVE.active = REQUEST_IDS.set(request_ids), len(group) > 1
        try:
            self.guarded(self.save, *aggregates)
        except (PersistenceError, StoreUnavailable):
            for prepared in group:
                self.forget_unsaved(prepared.contract.id)
            return False
        finally:
            REQUEST_IDS.reset(ids_token)
            GROUP_SAVE.active = False
        for prepared in group:
            self.recent_writes.put(prepared.contract)
        return True

    def run_command(
        self, account_id: str, contract_id: UUID | str, command: ContractCommand, expected_version: int | None,
        loaded: Contract | None = None,
    ) -> tuple[Contract, list[Aggregate]]:
        contract = loaded if loaded is not None else self.contract_for_command(account_id, contract_id)
        if expected_version is not None and contract.version != expected_version:
            raise VersionConflict(
                f"the contract is at version {contract.version}, not {expected_version}",
                current_version=contract.version,
            )
        if contract.closed_on is not None:
            raise ContractClosed("the contract is closed; nothing more can be recorded")
        extra: list[Aggregate] = []
        if isinstance(command, IssueInvoice):
            command, extra = claim_invoice_number(self, account_id, contract, command)
        try:
            command.apply(contract)
        except LedgerError:
            if contract.pending_events:  # refused half-way: its first events are in the cached contract
                self.forget_unsaved(contract_id)
            raise
        return contract, extra

    def save_command(
        self, contract: Contract, account_id: str, key: str, digest: str, extra: list[Aggregate]
    ) -> CommandResult | None:
        pending = [type(e).__name__ for e in contract.pending_events]
        result = CommandResult(str(contract.id), contract.version, contract.chain_head, pending)
        record = record_of(account_id, key, digest, result)
        try:
            self.guarded(self.save, contract, record, *extra)
        except IntegrityError:
            return None  # a concurrent writer won: reload and try again
        self.recent_writes.put(contract)
        return result

    def contract_for_command(self, account_id: str, contract_id: UUID | str) -> Contract:
        """The cached contract itself, not a copy: only for a writer holding the contract's lock."""
        try:
            contract = self.guarded(self.contracts.for_command, UUID(str(contract_id)))
        except (AggregateNotFoundError, ValueError):
            contract = None
        if not isinstance(contract, Contract) or contract.account_id != account_id:
            raise ContractNotFound(f"no contract {contract_id} in this account", contract_id=str(contract_id))
        return contract

    def forget_unsaved(self, contract_id: UUID | str) -> None:
        """Drop the cached contract after a failed command (it may hold unsaved changes): the next load rebuilds it."""
        try:
            key = UUID(str(contract_id))
        except ValueError:
            return
        self.contracts.drop(key)
        self.recent_writes.discard(str(key))

    def guarded(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the store, turning connection failures into StoreUnavailable (retryable)."""
        return guarded(func, *args, **kwargs)

    # -- reads ----------------------------------------------------------------
    def get_contract(self, account_id: str, contract_id: UUID | str, version: int | None = None) -> Contract:
        try:
            contract = self.guarded(self.repository.get, UUID(str(contract_id)), version=version)
        except (AggregateNotFoundError, ValueError):
            contract = None
        if not isinstance(contract, Contract) or contract.account_id != account_id:
            raise ContractNotFound(f"no contract {contract_id} in this account", contract_id=str(contract_id))
        return contract

    @contextmanager
    def holding(self, contract_id: UUID | str) -> Iterator[None]:
        """Keep this process's other writers of the contract waiting across several calls (a write and its answer)."""
        with self.contract_locks.hold(str(contract_id)):
            yield

    def render_written(
        self, account_id: str, contract_id: UUID | str, version: int, render: Callable[[Contract], T]
    ) -> T:
        """``render`` of the contract at ``version``: as this process's write left it if it is still at that
        version (under the contract's lock, as the writers change it in place), else loaded at that version."""
        with self.contract_locks.hold(str(contract_id)):
            contract = self.recent_writes.get(str(contract_id), version)
            if contract is not None and contract.account_id == account_id:
                return render(contract)
        return render(self.get_contract(account_id, contract_id, version))

    def current_version(self, contract_id: UUID) -> int | None:
        """The contract's last version in the store (one indexed read, nothing loaded; any account)."""
        version: int | None = self.guarded(self.heads.version, contract_id)
        return version

    def owner_account(self, contract_id: UUID | str) -> str | None:
        """The account a contract belongs to, whoever asks (for operators on the CLI only, never for HTTP)."""
        try:
            contract = self.guarded(self.repository.get, UUID(str(contract_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        return contract.account_id if isinstance(contract, Contract) else None

    def summary(
        self, account_id: str, contract_id: UUID | str, as_of: date, version: int | None = None
    ) -> dict[str, Any]:
        """The summary as of a date in the world; ``version`` reproduces it as the ledger knew it then."""
        return contract_summary(self.get_contract(account_id, contract_id, version), as_of.isoformat())

    def statement(
        self, account_id: str, contract_id: UUID | str, as_of: date, version: int | None = None
    ) -> dict[str, Any]:
        return statement(self.get_contract(account_id, contract_id, version), as_of.isoformat())

    # -- audit (see application.audit) -----------------------------------------
    def chain_records(self, contract_id: UUID) -> Iterator[ChainRecord]:
        """The contract's stored events, decoded without upcasting, as they were hashed."""
        return audit.chain_records(self, contract_id)

    def chain_record(self, stored: StoredEvent) -> ChainRecord:
        return audit.chain_record(self, stored)

    def decode_state(self, stored: StoredEvent) -> dict[str, Any]:
        return audit.decode_state(self, stored)

    def event_records(self, account_id: str, contract_id: UUID | str) -> list[ChainRecord]:
        """Every record of the account's contract (ContractNotFound for anyone else's). The owner is the account its
        signing event names: loading the aggregate only to check that costs as much as a long contract's read."""
        return audit.owned_records(self, account_id, contract_id)

    def verify(self, account_id: str, contract_id: UUID | str) -> VerifyResult:
        contract = self.get_contract(account_id, contract_id)
        return self.verify_stored(contract.id)

    def verify_stored(self, contract_id: UUID) -> VerifyResult:
        """Walk the stored events (no account check: for operators and the CLI)."""
        return audit.verify_stored(self, contract_id)

    def replay_contract(self, contract_id: UUID | str) -> Contract:
        """The contract rebuilt from its events alone, never from a snapshot (for evidence and checks)."""
        return audit.replay_contract(self, contract_id)
