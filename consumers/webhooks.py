"""``ledger webhooks``: follows the log, fans each event out to the endpoints that want it, and delivers.

Each round: index the log into the feed (``projections.feed``), create the
deliveries of the new feed rows (``projections.webhooks.fan_out``, one
transaction with its position), then POST the due head of each enabled
endpoint's queue, a few endpoints at a time, and record each outcome.

Guarantees:
1. At least once: a delivery row exists before its first attempt and is marked
   succeeded only after a 2xx; a worker killed in between sends it again, with
   the same ``Ledger-Delivery-Id`` (receivers dedupe on it).
2. Per-endpoint order: an endpoint is sent only its lowest pending delivery, so
   a failing one holds the later ones back until it succeeds or fails for good.
3. Bounded retries: exponential backoff with jitter from the first attempt,
   for ``retry_window_s`` (3 days), then the delivery is marked failed;
   ``disable_after`` failed attempts in a row disable the endpoint, with the reason.
Run one instance per store (a second would send deliveries twice: allowed by
at-least-once, wasteful).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg

from application.service import LedgerApplication
from consumers.webhook_http import Answer, post, signature
from infrastructure.store import StoreConfig
from infrastructure.urlguard import check_url
from ledger import clock
from ledger.errors import StoreUnavailable, WebhookUrlRefused
from projections import webhooks
from projections.db import Database
from projections.feed import FeedIndexer, FeedRow, event_documents
from projections.projector import ConcurrentRunner

log = logging.getLogger(__name__)
TRANSIENT = (StoreUnavailable, sqlite3.Error, psycopg.Error)
ERROR_PAUSE_S = 1.0


@dataclass(frozen=True)
class WebhookSettings:
    allow_private: bool = False
    backoff_base_s: float = 10.0
    backoff_max_s: float = 6 * 3600.0
    retry_window_s: float = 3 * 24 * 3600.0
    disable_after: int = 40
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    concurrency: int = 8
    poll_interval_s: float = 0.2


def backoff_delay(settings: WebhookSettings, attempts: int) -> float:
    """Exponential in the attempts made so far, capped, with equal jitter (half fixed, half random)."""
    delay = min(settings.backoff_base_s * 2 ** max(attempts - 1, 0), settings.backoff_max_s)
    return delay / 2 + random.uniform(0, delay / 2)  # jitter spreads retries, it guards nothing  # nosec B311


def body_of(document: dict[str, Any]) -> bytes:
    """The event as a line of events.jsonl (and a value of the relay's topic): compact, sorted, ASCII."""
    return json.dumps(document, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("utf-8")


class WebhookWorker:
    def __init__(self, app: LedgerApplication, store_db: Database, settings: WebhookSettings) -> None:
        self.app, self.db, self.settings = app, store_db, settings
        self.indexer = FeedIndexer(app, store_db)
        webhooks.ensure_webhook_tables(store_db)
        self.pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="webhook")
        self.sent = 0

    def step(self) -> int:
        """One round; return how much work it found (0: idle)."""
        work = self.indexer.step()
        work += webhooks.fan_out(self.db, uuid.uuid4, clock.now().timestamp())
        heads = webhooks.due_heads(self.db, clock.now().timestamp(), self.settings.concurrency)
        if heads:
            documents = event_documents(self.app, [row_of(d) for d, _ in heads])
            futures = [self.pool.submit(self.attempt, d, e, doc) for (d, e), doc in zip(heads, documents, strict=True)]
            for (delivery, _), future in zip(heads, futures, strict=True):
                self.record(delivery, future.result())
        return work + len(heads)

    def attempt(self, delivery: dict[str, Any], endpoint: dict[str, Any], document: dict[str, Any]) -> Answer:
        settings = self.settings
        try:
            target = check_url(endpoint["url"], allow_private=settings.allow_private)
        except WebhookUrlRefused as error:
            return Answer(None, None, error.message)
        body, now = body_of(document), int(clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "Ledger-Delivery-Id": delivery["delivery_id"],
            "Ledger-Event-Type": delivery["event_type"],
            "Ledger-Attempt": str(delivery["attempts"] + 1),
            "Ledger-Signature": signature(endpoint["secret"], now, body),
        }
        return post(target, body, headers, settings.connect_timeout_s, settings.read_timeout_s)

    def record(self, delivery: dict[str, Any], answer: Answer) -> None:
        now = clock.now().timestamp()
        window_start = delivery["window_start"] if delivery["window_start"] is not None else now
        outcome: dict[str, Any] = {
            "window_start": window_start,
            "code": answer.status,
            "snippet": answer.snippet,
            "error": answer.error,
        }
        if answer.ok:
            outcome["status"] = "succeeded"
            self.sent += 1
        elif now - window_start >= self.settings.retry_window_s:
            outcome["status"] = "failed"
        else:
            outcome["status"] = "pending"
            outcome["next_attempt_at"] = now + backoff_delay(self.settings, delivery["attempts"] + 1)
        webhooks.record_attempt(self.db, delivery, outcome, now, self.settings.disable_after)

    def run(self, stop: threading.Event) -> int:
        """Deliver until ``stop`` is set; return how many deliveries succeeded."""
        try:
            while not stop.is_set():
                try:
                    busy = self.step()
                except ConcurrentRunner:
                    continue  # another process indexed or fanned out this batch first: read on from there
                except TRANSIENT as error:
                    log.warning("webhooks paused (%s): %s", type(error).__name__, error)
                    stop.wait(ERROR_PAUSE_S)
                    self.reopen()
                    continue
                if not busy:
                    stop.wait(self.settings.poll_interval_s)
        finally:
            self.pool.shutdown(wait=True)
        return self.sent

    def reopen(self) -> None:
        with contextlib.suppress(Exception):  # the old connection may be gone already
            self.db.close()
        with contextlib.suppress(sqlite3.Error, psycopg.Error):
            self.db = Database(self.db.store)
            self.indexer = FeedIndexer(self.app, self.db)


def row_of(delivery: dict[str, Any]) -> FeedRow:
    return FeedRow(
        delivery["account_id"],
        0,
        delivery["notification_id"],
        delivery["contract_id"],
        delivery["version"],
        delivery["event_type"],
    )


def run_worker(store: StoreConfig, settings: WebhookSettings, stop: threading.Event) -> int:
    """Run a worker until ``stop``; a store that is not reachable yet (or refuses connections) is retried."""
    while not stop.is_set():
        try:
            app = LedgerApplication(store, create_tables=store.kind == "sqlite")
        except TRANSIENT as error:
            log.warning("store unavailable, retrying: %s", error)
            stop.wait(ERROR_PAUSE_S)
            continue
        try:
            worker = WebhookWorker(app, Database(store), settings)
        except TRANSIENT as error:
            log.warning("store unavailable, retrying: %s", error)
            app.close()
            stop.wait(ERROR_PAUSE_S)
            continue
        try:
            return worker.run(stop)
        finally:
            app.close()
    return 0
