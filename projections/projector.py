"""Apply a batch of contract events to the read models and record the position, in one transaction.

This is the part the event source does not matter to: the local notification
log (``projections.runner``) and a Kafka consumer both hand it ``Batch``es.
Exactly once comes from the tracking row: each read model stores, per source,
the position of the last message it applied, in the same transaction as its
rows; the update is conditional on the position it read, so two runners racing
on one model cannot both commit the same batch.
"""

from __future__ import annotations

import bisect
from collections import Counter, OrderedDict, deque
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
from projections.db import SMALL_PAGE_ROWS, Database, create_with_retries
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


@dataclass(frozen=True)
class Prepared:
    """The rows of a batch computed for the positions a caller assumed: which models were behind, from where."""

    floor: int  # the position the batch was read after
    behind: list[tuple[ReadModel, int]]
    written: list[tuple[str, int, list[str], list[tuple[Any, ...]]]]
    counts: dict[str, int]


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
        # The positions as this projector last committed them (None: unknown, read them); a hint, never trusted.
        self.known_positions: dict[str, int] | None = None
        ensure_tables(db, self.models)

    def positions(self, source: str = LOG_SOURCE, *, lock: bool = False) -> dict[str, int]:
        """Each model's position; with ``lock`` (inside a transaction) a second runner waits here for this one."""
        return read_positions(self.db, [m.name for m in self.models], source, lock=lock)

    def apply(self, batch: Batch, assumed: dict[str, int] | None = None) -> int:
        """Apply ``batch`` to every model behind its position; return how many contract events were applied.

        The contracts' states are folded once for all models; their rows are written with one DELETE and one
        INSERT statement for all tables of all models (``Database.replace_rows``). ``assumed``: the positions the
        caller believes the models are at (``known_positions`` after the previous batch): the rows are computed
        for them before the transaction, and on PostgreSQL a small batch is written in one round trip
        (``apply_pipelined``); either way they are checked against the locked positions."""
        self.known_positions = None  # until this batch commits, nothing is known
        try:
            # States first, outside the transaction: on SQLite the transaction holds the store's one write lock.
            states = {item.contract_id: self.states.advance(item) for item in batch.events}
            prepared = None
            if assumed is not None:
                behind = [(m, assumed.get(m.name, 0)) for m in self.models if batch.position > assumed.get(m.name, 0)]
                prepared = Prepared(min(assumed.values(), default=0), behind, *self.rows_of(batch, behind, states))
            applied = self.apply_pipelined(batch, prepared) if prepared else None
            if applied is None:
                applied = self.apply_locked(batch, states, prepared)
        except BaseException:
            self.states.clear()  # the cache may now be ahead of what was committed: rebuild it from the store
            raise
        return applied

    def apply_locked(self, batch: Batch, states: dict[UUID, Contract], prepared: Prepared | None = None) -> int:
        """Lock the models' tracking rows, then write the rows of the models behind them and move them (the rows
        ``prepared`` for the positions assumed if those are the positions locked)."""
        with self.db.transaction():
            if self.db.kind == "postgres":
                # Derived data: a server crash may forget the last commits, rows and position together, and
                # they are applied again from the source; not waiting for the WAL flush cuts the live lag.
                self.db.execute("SET LOCAL synchronous_commit = off")
            positions = self.positions(batch.source, lock=True)
            # A model below where the batch was read from (dropped for a rebuild by another process meanwhile) is
            # not written: the batch lacks the events it needs; the next one is read from its position.
            floor = prepared.floor if prepared is not None else 0
            behind = [(m, positions[m.name]) for m in self.models if floor <= positions[m.name] < batch.position]
            if prepared is not None and prepared.behind == behind:
                written, counts = prepared.written, prepared.counts
            else:
                written, counts = self.rows_of(batch, behind, states)
            self.db.replace_rows(written)
            move_positions(self.db, behind, batch, counts)
        self.committed(batch, positions, behind)
        return sum(counts.values())

    def apply_pipelined(self, batch: Batch, prepared: Prepared) -> int | None:
        """PostgreSQL, a small batch (the live case): BEGIN, lock, DELETE, INSERT and the guarded position UPDATE sent
        in ONE round trip (psycopg's pipeline mode), then COMMIT; None (and nothing written) when it does not apply.

        The rows were computed for the assumed positions before the tracking rows are locked; the UPDATE is
        conditional on them, so if another runner moved a position meanwhile fewer rows change, the transaction
        is rolled back and ``apply_locked`` does the batch again from the locked positions: exactly once either
        way."""
        behind, written, counts = prepared.behind, prepared.written, prepared.counts
        if self.db.kind != "postgres" or batch.source != LOG_SOURCE or any(start == 0 for _, start in behind):
            return None  # a position 0 may have no tracking row yet: the locked path inserts it
        if not behind or sum(len(rows) for *_, rows in written) > SMALL_PAGE_ROWS:
            return None  # nothing to write, or a page large enough for COPY (not allowed in a pipeline)
        names, locked = [m.name for m in self.models], []

        def send() -> list[tuple[Any, int]]:
            self.db.send("SET LOCAL synchronous_commit = off")  # as in apply_locked
            locked.append(self.db.send(*positions_query(names, batch.source, lock=True)))
            self.db.replace_rows(written)
            return [(self.db.send(*update), moved) for update, moved in position_updates(behind, batch, counts)]

        if not self.db.pipelined_transaction(send):
            return None  # another runner moved a position: rolled back, nothing written
        positions = {name: 0 for name in names} | {str(name): int(position) for name, position in locked[0].fetchall()}
        self.committed(batch, positions, behind)
        return sum(counts.values())

    def rows_of(self, batch: Batch, behind: list[tuple[ReadModel, int]], states: dict[UUID, Contract]
                ) -> tuple[list[tuple[str, int, list[str], list[tuple[Any, ...]]]], dict[str, int]]:
        """The tables' rows of the models ``behind`` and how many events each applies; the contracts touched after
        each distinct start position are found once (usually every model is at the same position)."""
        written: list[tuple[str, int, list[str], list[tuple[Any, ...]]]] = []
        counts: dict[str, int] = {}
        touched_after: dict[int, tuple[list[UUID], int]] = {}
        for model, start in behind:
            if start not in touched_after:
                fresh = [item for item in batch.events if item.position > start]
                touched_after[start] = (list(dict.fromkeys(item.contract_id for item in fresh)), len(fresh))
            touched, count = touched_after[start]
            written += table_rows(model, [states[c] for c in touched])
            counts[model.name] = count
        return written, counts

    def committed(self, batch: Batch, positions: dict[str, int], behind: list[tuple[ReadModel, int]]) -> None:
        """After the commit: the positions now stored, and the lags of the models written."""
        moved = {model.name for model, _ in behind}
        self.known_positions = {name: batch.position if name in moved else position
                                for name, position in positions.items()}
        self.observe_lag(batch, [model.name for model, _ in behind])

    def observe_lag(self, batch: Batch, names: list[str]) -> None:
        """Record, per model written, how long each decoded event took from its recording to this commit."""
        now = clock.now()
        lags = [max(0.0, (now - recorded).total_seconds()) for item in batch.events
                if isinstance(recorded := getattr(item.event, "timestamp", None), datetime)]
        self.lags.extend(lags)
        for name in names:
            observe_many(LAG.labels(name), lags)


def observe_many(histogram: Any, values: list[float]) -> None:
    """``histogram.observe(v)`` for each of ``values``, with one increment per bucket: a rebuild observes every
    event once per model (100,000s of calls), and ``observe`` walks the buckets for each one. prometheus_client
    has no bulk observe, so this uses the histogram's own bucket counters when it has them (as 0.x does; a unit
    test compares the two ways) and falls back to ``observe``."""
    bounds, buckets, total = (getattr(histogram, name, None) for name in ("_upper_bounds", "_buckets", "_sum"))
    if not values:
        return
    if bounds is None or buckets is None or total is None:
        for value in values:
            histogram.observe(value)
        return
    counts = Counter(bisect.bisect_left(bounds, value) for value in values)  # the first bound >= value
    for index, count in counts.items():
        buckets[index].inc(count)
    total.inc(sum(values))


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
    statement, params = positions_query(names, source, lock=lock and db.kind == "postgres")
    found = {str(name): int(position) for name, position in db.fetchall(statement, params)}
    return {name: found.get(name, 0) for name in names}


def positions_query(names: Sequence[str], source: str, *, lock: bool) -> tuple[str, tuple[Any, ...]]:
    marks = ",".join("?" * len(names))
    suffix = " ORDER BY projection FOR UPDATE" if lock else ""
    return (f"SELECT projection, position FROM rm_tracking WHERE source = ? AND projection IN ({marks})" + suffix,
            (source, *names))


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
    rest = []
    for model, start in behind:
        if start == 0:  # perhaps no row yet (a new source): the one-model path inserts it
            move_position(db, model.name, batch.source, start, batch.position, counts[model.name])
        else:
            rest.append((model, start))
    for (statement, params), expected in position_updates(rest, batch, counts):
        if db.execute_count(statement, params) != expected:
            raise ConcurrentRunner(f"read models {list(params[5:])} moved past {params[4]} while this batch was applied")


def position_updates(behind: list[tuple[ReadModel, int]], batch: Batch, counts: dict[str, int]
                     ) -> list[tuple[tuple[str, tuple[Any, ...]], int]]:
    """The guarded UPDATEs moving ``behind`` (all at positions > 0) to ``batch.position``, with the number of rows
    each must change: one per group of models at the same position with the same count."""
    groups: dict[tuple[int, int], list[str]] = {}
    for model, start in behind:
        groups.setdefault((start, counts[model.name]), []).append(model.name)
    now = clock.now().isoformat()
    return [(("UPDATE rm_tracking SET position = ?, events_applied = events_applied + ?, updated_at = ? "
              f"WHERE source = ? AND position = ? AND projection IN ({','.join('?' * len(names))})",
              (batch.position, applied, now, batch.source, start, *names)), len(names))
            for (start, applied), names in groups.items()]


def read_row_missing(db: Database, name: str, source: str) -> bool:
    return db.fetchone("SELECT 1 FROM rm_tracking WHERE projection = ? AND source = ?", (name, source)) is None


def tracking_rows(db: Database) -> list[dict[str, Any]]:
    db.execute(TRACKING_DDL)
    rows = db.fetchall("SELECT projection, source, position, events_applied, updated_at FROM rm_tracking ORDER BY 1, 2")
    return [dict(zip(("projection", "source", "position", "events_applied", "updated_at"), r, strict=True)) for r in rows]
