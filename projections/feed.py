"""The per-account event feed: an index of (account, sequence) -> (contract, version), filled from the log.

Each contract event gets the next number of its account's own sequence, in
log order. That number is the feed's cursor: it counts only the account's own
events, so it reveals nothing about other accounts' activity, and it is the same
after a restart or a rebuild (the log's order never changes). The index holds no
event data: a page is read from the event store, grouped per contract.

Exactly once: the position (the last notification id indexed) is the
``rm_tracking`` row ``("feed", "log")``, moved in the same transaction as the
rows, guarded by the position read (a second indexer waits on the row lock, or
on SQLite's write lock, and then finds nothing new to do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.service import LedgerApplication, is_contract_topic
from projections.db import Database
from projections.projector import LOG_SOURCE, TRACKING_DDL, move_position, read_position

FEED = "feed"
INDEX_BATCH = 500
ACCOUNTS_CACHED_MAX = 100_000
FEED_DDL = (
    "CREATE TABLE IF NOT EXISTS feed_events (account_id TEXT NOT NULL, seq BIGINT NOT NULL, "
    "notification_id BIGINT NOT NULL UNIQUE, contract_id TEXT NOT NULL, version BIGINT NOT NULL, "
    "event_type TEXT NOT NULL, PRIMARY KEY (account_id, seq))",
    "CREATE INDEX IF NOT EXISTS feed_events_type ON feed_events (account_id, event_type, seq)",
    "CREATE INDEX IF NOT EXISTS feed_events_contract ON feed_events (contract_id, version)",
)


@dataclass(frozen=True)
class FeedRow:
    account_id: str
    seq: int
    notification_id: int
    contract_id: str
    version: int
    event_type: str


def ensure_feed_tables(db: Database) -> None:
    with db.transaction():
        db.execute(TRACKING_DDL)
        for statement in FEED_DDL:
            db.execute(statement)
        db.execute("INSERT INTO rm_tracking VALUES (?, ?, 0, 0, NULL) ON CONFLICT DO NOTHING", (FEED, LOG_SOURCE))


class FeedIndexer:
    """Adds the log's new contract events to the feed index, one bounded batch per transaction."""

    def __init__(self, app: LedgerApplication, db: Database, batch_size: int = INDEX_BATCH) -> None:
        self.app, self.db, self.batch_size = app, db, batch_size
        self.accounts: dict[str, str] = {}
        ensure_feed_tables(db)

    def step(self) -> int:
        """Index one batch; return how many notifications it read (0: caught up)."""
        with self.db.transaction():
            start = read_position(self.db, FEED, lock=True)
            notifications = self.app.guarded(self.app.recorder.select_notifications, start + 1, self.batch_size)
            if not notifications:
                return 0
            rows = self.rows(notifications)
            self.db.executemany(
                "INSERT INTO feed_events VALUES (?, ?, ?, ?, ?, ?)",
                [(r.account_id, r.seq, r.notification_id, r.contract_id, r.version, r.event_type) for r in rows],
            )
            move_position(self.db, FEED, LOG_SOURCE, start, notifications[-1].id, len(rows))
        return len(notifications)

    def catch_up(self) -> int:
        total = 0
        while read := self.step():
            total += read
        return total

    def rows(self, notifications: Sequence[Any]) -> list[FeedRow]:
        next_seq: dict[str, int] = {}
        rows = []
        for item in notifications:
            if not is_contract_topic(item.topic):
                continue
            contract_id = str(item.originator_id)
            account = self.account_of(contract_id, item)
            if account not in next_seq:
                next_seq[account] = last_seq(self.db, account) + 1
            rows.append(
                FeedRow(
                    account,
                    next_seq[account],
                    item.id,
                    contract_id,
                    item.originator_version,
                    item.topic.rsplit(".", 1)[-1],
                )
            )
            next_seq[account] += 1
        return rows

    def account_of(self, contract_id: str, item: Any) -> str:
        account = self.accounts.get(contract_id)
        if account is None:
            if item.originator_version == 1:
                account = str(self.app.decode_state(item)["account_id"])
            else:
                account = self.stored_account(contract_id)
            if len(self.accounts) >= ACCOUNTS_CACHED_MAX:
                self.accounts.clear()
            self.accounts[contract_id] = account
        return account

    def stored_account(self, contract_id: str) -> str:
        found = self.db.fetchone("SELECT account_id FROM feed_events WHERE contract_id = ? LIMIT 1", (contract_id,))
        if found:
            return str(found[0])
        first = self.app.guarded(self.app.recorder.select_events, UUID(contract_id), lte=1)
        return str(self.app.decode_state(first[0])["account_id"])


def last_seq(db: Database, account_id: str) -> int:
    row = db.fetchone("SELECT MAX(seq) FROM feed_events WHERE account_id = ?", (account_id,))
    return int(row[0]) if row and row[0] is not None else 0


def feed_rows(
    db: Database, account_id: str, after: int, limit: int, types: Sequence[str] = (), upto: int | None = None
) -> list[FeedRow]:
    """The account's rows after ``after`` (up to ``upto``), in sequence order, of the given types (all if none)."""
    where, params = "account_id = ? AND seq > ?", [account_id, after]
    if upto is not None:
        where, params = where + " AND seq <= ?", [*params, upto]
    if types:
        where += f" AND event_type IN ({','.join('?' * len(types))})"
        params.extend(types)
    found = db.fetchall(
        f"SELECT account_id, seq, notification_id, contract_id, version, event_type FROM feed_events "
        f"WHERE {where} ORDER BY seq LIMIT ?",
        [*params, limit],
    )
    return [FeedRow(str(r[0]), int(r[1]), int(r[2]), str(r[3]), int(r[4]), str(r[5])) for r in found]


def feed_position(db: Database) -> int:
    return read_position(db, FEED)


def event_documents(app: LedgerApplication, rows: Sequence[FeedRow]) -> list[dict[str, Any]]:
    """The events.jsonl form of each row's event, read from the store with one query per contract."""
    spans: dict[str, tuple[int, int]] = {}
    for row in rows:
        low, high = spans.get(row.contract_id, (row.version, row.version))
        spans[row.contract_id] = (min(low, row.version), max(high, row.version))
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for contract_id, (low, high) in spans.items():
        stored = app.guarded(app.recorder.select_events, UUID(contract_id), gt=low - 1, lte=high)
        for event in stored:
            found[(contract_id, event.originator_version)] = app.chain_record(event).to_dict()
    return [found[(row.contract_id, row.version)] for row in rows]
