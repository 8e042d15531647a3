"""Apply a batch of contract events to the read models and record the position, in one transaction.

This is the part the event source does not matter to: the local notification
log (``projections.runner``) and a Kafka consumer both hand it ``Batch``es.
Exactly once comes from the tracking row: each read model stores, per source,
the position of the last message it applied, in the same transaction as its
rows; the update is conditional on the position it read, so two runners racing
on one model cannot both commit the same batch.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from prometheus_client import Histogram

from application.service import LedgerApplication
from ledger import clock
from ledger.contract import Contract
from ledger.errors import LedgerError
from projections.db import Database, create_with_retries
from projections.models import READ_MODELS, ReadModel, numbered

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS rm_tracking (projection TEXT, source TEXT, position BIGINT, events_applied BIGINT, "
    "updated_at TEXT, PRIMARY KEY (projection, source))"
)
STATES_CACHED_MAX = 50_000
LOG_SOURCE = "log"
LAGS_KEPT = 10_000
# Write-to-read-model latency: from the event's recorded time to the commit of the batch that applied it.
LAG = Histogram("ledger_projection_lag_seconds", "Time from an event's recording to its read models' commit",
                ["projection"], buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0))


class ConcurrentRunner(LedgerError):
    """Raised when another runner moved a read model's position while this one was applying a batch."""

    code = "projection_concurrent_runner"


@dataclass(frozen=True)
class ContractEvent:
    """One contract event at a position of its source; ``event`` None means "load the contract at ``version``"."""

    position: int
    contract_id: UUID
    version: int
    event: Any = None


@dataclass
class Batch:
    """Contract events in source order, and the position of the last message read (skipped ones included)."""

    source: str
    position: int
    events: list[ContractEvent] = field(default_factory=list)


class ContractStates:
    """The latest state of recently seen contracts: events are applied in order; a gap loads from the store."""

    def __init__(self, app: LedgerApplication, limit: int = STATES_CACHED_MAX) -> None:
        self.app, self.limit = app, limit
        self.cache: OrderedDict[UUID, Contract] = OrderedDict()

    def advance(self, item: ContractEvent) -> Contract:
        contract = self.cache.get(item.contract_id)
        if contract is not None and contract.version >= item.version:
            pass  # already applied here (a batch retried after a rollback): the cache is state, not progress
        elif contract is not None and item.event is not None and contract.version == item.version - 1:
            contract = item.event.mutate(contract)
        elif item.event is not None and item.version == 1:
            contract = item.event.mutate(None)
        else:
            contract = self.app.repository.get(item.contract_id, version=item.version)
        if contract is None:  # mutate of a known event class always returns the aggregate; never None
            raise TypeError(f"no contract {item.contract_id} at version {item.version}")
        self.cache[item.contract_id] = contract
        self.cache.move_to_end(item.contract_id)
        while len(self.cache) > self.limit:
            self.cache.popitem(last=False)
        return contract

    def clear(self) -> None:
        self.cache.clear()


class Projector:
    """Writes the selected read models from batches of contract events."""

    def __init__(self, app: LedgerApplication, db: Database, names: Sequence[str] | None = None) -> None:
        self.app, self.db = app, db
        self.models: list[ReadModel] = [READ_MODELS[n] for n in (names or list(READ_MODELS))]
        self.states = ContractStates(app)
        self.lags: deque[float] = deque(maxlen=LAGS_KEPT)  # the latest lags in seconds, for benchmarks and tests
        ensure_tables(db, self.models)

    def positions(self, source: str = LOG_SOURCE, *, lock: bool = False) -> dict[str, int]:
        """Each model's position; with ``lock`` (inside a transaction) a second runner waits here for this one."""
        return read_positions(self.db, [m.name for m in self.models], source, lock=lock)

    def apply(self, batch: Batch) -> int:
        """Apply ``batch`` to every model behind its position; return how many contract events were applied.

        The contracts' states are folded once for all models; their rows are written with one DELETE and one
        INSERT statement for all tables of all models (``Database.replace_rows``)."""
        applied = 0
        try:
            # States first, outside the transaction: on SQLite the transaction holds the store's one write lock.
            states = {item.contract_id: self.states.advance(item) for item in batch.events}
            with self.db.transaction():
                if self.db.kind == "postgres":
                    # Derived data: a server crash may forget the last commits, rows and position together, and
                    # they are applied again from the source; not waiting for the WAL flush cuts the live lag.
                    self.db.execute("SET LOCAL synchronous_commit = off")
                positions = self.positions(batch.source, lock=True)
                behind = [(m, positions[m.name]) for m in self.models if batch.position > positions[m.name]]
                written: list[tuple[str, int, list[str], list[tuple[Any, ...]]]] = []
                counts = {}
                for model, start in behind:
                    fresh = [item for item in batch.events if item.position > start]
                    touched = list(dict.fromkeys(item.contract_id for item in fresh))
                    written += table_rows(model, [states[c] for c in touched])
                    counts[model.name] = len(fresh)
                self.db.replace_rows(written)
                move_positions(self.db, behind, batch, counts)
                applied = sum(counts.values())
        except BaseException:
            self.states.clear()  # the cache may now be ahead of what was committed: rebuild it from the store
            raise
        self.observe_lag(batch, [model.name for model, _ in behind])
        return applied

    def observe_lag(self, batch: Batch, names: list[str]) -> None:
        """Record, per model written, how long each decoded event took from its recording to this commit."""
        now, histograms = clock.now(), [LAG.labels(name) for name in names]
        for item in batch.events:
            recorded = getattr(item.event, "timestamp", None)
            if isinstance(recorded, datetime):
                lag = max(0.0, (now - recorded).total_seconds())
                self.lags.append(lag)
                for histogram in histograms:
                    histogram.observe(lag)


def table_rows(model: ReadModel, contracts: list[Contract]) -> list[tuple[str, int, list[str], list[tuple[Any, ...]]]]:
    """Per table of ``model``: its name, width, the contracts whose rows it replaces, and their new rows."""
    ids = [str(c.id) for c in contracts]
    produced = [model.rows(c) for c in contracts]
    return [(table.name, table.width, ids, [row for result in produced for row in numbered(table, result[table.name])])
            for table in model.tables]


def ensure_tables(db: Database, models: Sequence[ReadModel]) -> None:
    """CREATE ... IF NOT EXISTS; retried, because PostgreSQL can fail two processes racing on the same DDL."""
    create_with_retries(lambda: create_tables(db, models))


def create_tables(db: Database, models: Sequence[ReadModel]) -> None:
    with db.transaction():
        db.execute(TRACKING_DDL)
        existing = existing_relations(db)
        for model in models:
            for table in model.tables:
                for statement in table.ddl():
                    if statement.split()[5] not in existing:
                        db.execute(statement)
            # The log's row exists from the start, so a second runner always has a row to wait on (FOR UPDATE).
            db.execute("INSERT INTO rm_tracking VALUES (?, ?, 0, 0, NULL) ON CONFLICT DO NOTHING", (model.name, LOG_SOURCE))


def existing_relations(db: Database) -> set[str]:
    """Tables and indexes already there: on PostgreSQL, ``CREATE INDEX IF NOT EXISTS`` needs the table's owner even
    when the index exists, and the service role (see infrastructure.history) does not own tables made by migrate."""
    if db.kind != "postgres":
        return set()
    rows = db.fetchall("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = current_schema()")
    return {str(row[0]) for row in rows}


def drop_model(db: Database, model: ReadModel) -> None:
    """Drop a read model's tables and forget its positions (for a rebuild from the whole log)."""
    with db.transaction():
        db.execute(TRACKING_DDL)
        for table in model.tables:
            db.execute(f"DROP TABLE IF EXISTS {table.name}")
        db.execute("DELETE FROM rm_tracking WHERE projection = ?", (model.name,))
    ensure_tables(db, [model])


def read_positions(db: Database, names: Sequence[str], source: str = LOG_SOURCE, *, lock: bool = False
                   ) -> dict[str, int]:
    """The positions of ``names`` for ``source`` (0 where there is no row yet), in one query; ``lock`` takes the rows
    in name order (FOR UPDATE on PostgreSQL), so two runners never lock them in opposite orders."""
    suffix = " ORDER BY projection FOR UPDATE" if lock and db.kind == "postgres" else ""
    marks = ",".join("?" * len(names))
    rows = db.fetchall(f"SELECT projection, position FROM rm_tracking WHERE source = ? AND projection IN ({marks})"
                       + suffix, (source, *names))
    found = {str(name): int(position) for name, position in rows}
    return {name: found.get(name, 0) for name in names}


def read_position(db: Database, name: str, source: str = LOG_SOURCE, *, lock: bool = False) -> int:
    # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the row lock.
    suffix = " FOR UPDATE" if lock and db.kind == "postgres" else ""
    row = db.fetchone("SELECT position FROM rm_tracking WHERE projection = ? AND source = ?" + suffix, (name, source))
    return int(row[0]) if row else 0


def move_position(db: Database, name: str, source: str, start: int, end: int, applied: int) -> None:
    now = clock.now().isoformat()
    if start == 0 and read_row_missing(db, name, source):
        db.execute("INSERT INTO rm_tracking VALUES (?, ?, ?, ?, ?)", (name, source, end, applied, now))
        return
    changed = db.execute_count(
        "UPDATE rm_tracking SET position = ?, events_applied = events_applied + ?, updated_at = ? "
        "WHERE projection = ? AND source = ? AND position = ?",
        (end, applied, now, name, source, start),
    )
    if changed != 1:
        raise ConcurrentRunner(f"read model {name!r} moved past {start} while this batch was applied")


def move_positions(db: Database, behind: list[tuple[ReadModel, int]], batch: Batch, counts: dict[str, int]) -> None:
    """Move every model in ``behind`` to ``batch.position``: one UPDATE per group of models that were at the same
    position with the same count (usually one for all), guarded like ``move_position``."""
    groups: dict[tuple[int, int], list[str]] = {}
    for model, start in behind:
        if start == 0:  # perhaps no row yet (a new source): the one-model path inserts it
            move_position(db, model.name, batch.source, start, batch.position, counts[model.name])
        else:
            groups.setdefault((start, counts[model.name]), []).append(model.name)
    now = clock.now().isoformat()
    for (start, applied), names in groups.items():
        marks = ",".join("?" * len(names))
        changed = db.execute_count(
            "UPDATE rm_tracking SET position = ?, events_applied = events_applied + ?, updated_at = ? "
            f"WHERE source = ? AND position = ? AND projection IN ({marks})",
            (batch.position, applied, now, batch.source, start, *names),
        )
        if changed != len(names):
            raise ConcurrentRunner(f"read models {names} moved past {start} while this batch was applied")


def read_row_missing(db: Database, name: str, source: str) -> bool:
    return db.fetchone("SELECT 1 FROM rm_tracking WHERE projection = ? AND source = ?", (name, source)) is None


def tracking_rows(db: Database) -> list[dict[str, Any]]:
    db.execute(TRACKING_DDL)
    rows = db.fetchall("SELECT projection, source, position, events_applied, updated_at FROM rm_tracking ORDER BY 1, 2")
    return [dict(zip(("projection", "source", "position", "events_applied", "updated_at"), r, strict=True)) for r in rows]
