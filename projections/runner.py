"""Run the read models (and the event feed's index) from the local notification log: wait, batch, apply, repeat.

The library's ``ProjectionRunner`` commits one event per transaction, so this
runner reads ``recorder.select_notifications`` itself on both stores and
applies up to ``batch_size`` notifications per transaction. When idle it waits
for the next write: woken by the store's NOTIFY on PostgreSQL
(``projections.wake``), polling on SQLite. Notifications that are not
contract events (idempotency and invoice-number records) are skipped but still
move the position; ids may have gaps on PostgreSQL, which is harmless because
the position is the last id read, not a count."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from application.service import LedgerApplication, is_contract_topic
from infrastructure.store import StoreConfig
from ledger import clock
from projections.db import Database
from projections.feed import FeedIndexer
from projections.models import READ_MODELS
from projections.projector import (
    LOG_SOURCE,
    Batch,
    ConcurrentRunner,
    ContractEvent,
    Projector,
    drop_model,
    tracking_rows,
)
from projections.wake import Listener, event_channel

BATCH_SIZE = 2000  # notifications per transaction: a read model costs ~45 statements per page, whatever its size
POLL_INTERVAL_S = 0.05  # idle polling without notifications (SQLite; PostgreSQL while LISTEN is down): bounds the lag
LISTEN_POLL_INTERVAL_S = 1.0  # PostgreSQL: a NOTIFY wakes the runner; this poll only catches a write that sent none
ERROR_PAUSE_S = 1.0
log = logging.getLogger(__name__)


class LogSource:
    """Reads the event store's notification log after a position, decoding contract events only."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app

    def read(self, after: int, limit: int) -> Batch | None:
        notifications = self.app.recorder.select_notifications(after + 1, limit)
        if not notifications:
            return None
        batch = Batch(LOG_SOURCE, notifications[-1].id)
        for item in notifications:
            if is_contract_topic(item.topic):
                event = self.app.mapper.to_domain_event(item)
                batch.events.append(ContractEvent(item.id, UUID(str(item.originator_id)), item.originator_version, event))
        return batch

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)


class Runner:
    """Catches up the selected read models with the log, in transactions of ``batch_size`` notifications."""

    def __init__(self, store: StoreConfig, names: Sequence[str] | None = None, *, batch_size: int = BATCH_SIZE,
                 app: LedgerApplication | None = None) -> None:
        self.owns_app = app is None
        self.app = app or LedgerApplication(store, create_tables=store.kind == "sqlite")
        self.store = store
        self.db = Database(store)
        self.names = list(names or READ_MODELS)
        self.batch_size = batch_size
        self.source = LogSource(self.app)
        self.projector = Projector(self.app, self.db, self.names)
        self.feed = FeedIndexer(self.app, self.db, batch_size)

    def step(self) -> tuple[int, int]:
        """Apply one batch; return (notifications read, contract events applied).

        The positions are those this runner's projector last committed (read from the database only at the start
        or after a failure): the projector checks them under the tracking rows' lock, so a runner that another one
        overtook reads a batch it need not apply, and skips it. That saves a query per batch and per idle poll."""
        positions = self.projector.known_positions or self.projector.positions()
        start = min(positions.values())
        batch = self.source.read(start, self.batch_size)
        if batch is None:
            self.projector.known_positions = positions
            return 0, 0
        applied = self.projector.apply(batch, assumed=positions)
        return batch.position - start, applied

    def catch_up(self, on_batch: Callable[[int, int], None] | None = None) -> int:
        """Apply batches until the log has nothing newer; return the contract events applied.

        While a batch is applied, the next page is read and decoded in a second thread (from where this batch
        ends): the database's time writing one page overlaps the decoding of the next. A prefetched page is used
        only if the positions committed are where it starts (else it is read again)."""
        total = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-projections-read") as reader:
            ahead: tuple[int, Future[Batch | None]] | None = None
            while True:
                positions = self.projector.known_positions or self.projector.positions()
                start = min(positions.values())
                batch = ahead[1].result() if ahead and ahead[0] == start else self.source.read(start, self.batch_size)
                ahead = None
                applied = 0
                if batch is not None:
                    ahead = (batch.position, reader.submit(self.source.read, batch.position, self.batch_size))
                    applied = self.projector.apply(batch, assumed=positions)
                fed = self.feed.step()  # the event feed's index keeps pace with the read models
                read = batch.position - start if batch else 0
                if read == 0 and fed == 0:
                    return total
                total += applied
                if on_batch:
                    on_batch(read, applied)

    def run_forever(self, stop: threading.Event, poll_interval: float | None = None, *, listen: bool = True) -> None:
        """Apply batches as they come until ``stop``. Idle, it waits for the next write: on PostgreSQL woken by the
        event store's NOTIFY (``projections.wake``), with a poll every ``poll_interval`` (default
        ``LISTEN_POLL_INTERVAL_S``) as a safety net and every ``POLL_INTERVAL_S`` while the LISTEN connection is
        down; on SQLite (no notifications), or with ``listen`` off, by polling every ``poll_interval`` (default
        ``POLL_INTERVAL_S``)."""
        channel = event_channel(self.app.recorder) if listen and self.store.kind == "postgres" else None
        listener = Listener(self.store, channel, fallback_s=POLL_INTERVAL_S) if channel else None
        if poll_interval is None:
            poll_interval = LISTEN_POLL_INTERVAL_S if listener else POLL_INTERVAL_S
        feed_at_head = False  # the feed's last step read everything there was (fewer than a batch)
        try:
            while not stop.is_set():
                try:
                    read = self.step()[0]
                    if read or not feed_at_head:  # nothing new for the read models is nothing new for the feed
                        fed = self.feed.step()
                        feed_at_head = fed < self.feed.batch_size
                        read += fed
                    # Listening, a batch shorter than a page read all there was: a write committed since then has
                    # sent a notification not yet consumed, so wait at once instead of reading nothing to be sure.
                    if listener and listener.listening and 0 < read < self.batch_size and feed_at_head:
                        read = 0
                except ConcurrentRunner:
                    continue  # another runner applied this batch first: read on from its position
                except Exception:  # a failed batch rolled back: keep serving and try again
                    log.exception("projection batch failed; retrying")
                    feed_at_head = False
                    stop.wait(ERROR_PAUSE_S)
                    self.reopen()
                    continue
                if read == 0:
                    if listener:
                        listener.wait(poll_interval, stop)
                    else:
                        stop.wait(poll_interval)
        finally:
            if listener:
                listener.close()

    def reopen(self) -> None:
        """A new handle and projector after a failure (the old one may be mid-way; on PostgreSQL the pool has already
        replaced a connection the server dropped)."""
        try:
            db = Database(self.store)
            projector = Projector(self.app, db, self.names)
            indexer = FeedIndexer(self.app, db, self.batch_size)
        except (sqlite3.Error, psycopg.Error) as error:  # still unreachable: the next step fails and pauses again
            log.warning("read-model database still unavailable: %s", error)
            return
        with contextlib.suppress(Exception):  # the old connection may be gone already
            self.db.close()
        self.db, self.projector, self.feed = db, projector, indexer

    def rebuild(self, name: str, on_batch: Callable[[int, int], None] | None = None) -> int:
        drop_model(self.db, READ_MODELS[name])
        self.projector = Projector(self.app, self.db, [name])
        return self.catch_up(on_batch)

    def status(self) -> list[dict[str, Any]]:
        """Per model: position, head, lag in notifications, and ``behind_s``: how long ago the oldest notification
        it has not applied was recorded (0 when caught up), the write-to-read-model delay as it stands now."""
        head = self.source.head()
        known = {(r["projection"], r["source"]): r for r in tracking_rows(self.db)}
        result = []
        for name in READ_MODELS:
            row = known.get((name, LOG_SOURCE), {"position": 0, "events_applied": 0, "updated_at": None})
            result.append({"projection": name, "position": row["position"], "head": head,
                           "lag": head - row["position"], "behind_s": self.behind_s(row["position"], head),
                           "events_applied": row["events_applied"], "updated_at": row["updated_at"]})
        return result

    def behind_s(self, position: int, head: int) -> float:
        if position >= head:
            return 0.0
        pending = self.app.recorder.select_notifications(position + 1, 1)
        if not pending:
            return 0.0
        recorded = self.app.decode_state(pending[0]).get("timestamp")
        if not isinstance(recorded, datetime):
            return 0.0
        return round(max(0.0, (clock.now() - recorded).total_seconds()), 3)

    def close(self) -> None:
        self.db.close()
        if self.owns_app:
            self.app.close()


def start_background(store: StoreConfig, names: Sequence[str] | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run the read models in a daemon thread of this process (the embedded default); set the event to stop."""
    stop = threading.Event()
    thread = threading.Thread(target=run_in_background, args=(store, names, stop), name="ledger-projections",
                              daemon=True)
    thread.start()
    return thread, stop


def run_in_background(store: StoreConfig, names: Sequence[str] | None, stop: threading.Event) -> None:
    """Keep a runner going until ``stop``: a store that is not ready yet (or goes away) is retried, never fatal."""
    while not stop.is_set():
        try:
            runner = Runner(store, names)
        except Exception:  # the store may not exist yet: the service must still serve
            log.exception("cannot start the projections; retrying")
            stop.wait(ERROR_PAUSE_S)
            continue
        try:
            runner.run_forever(stop)
        finally:
            runner.close()
