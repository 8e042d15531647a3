"""Wake an idle read-model runner when the event store records something: PostgreSQL LISTEN/NOTIFY.

The library's PostgreSQL recorder sends ``NOTIFY <events table>_...`` in the
transaction of every insert (its ``es_insert_events`` function), delivered at
commit. A runner that listens on that channel reads the log as soon as a write
commits instead of at its next poll, so the write-to-read-model lag is a few
round trips, not up to a poll interval.

The listening connection is a dedicated psycopg connection (never from a
pool: it sits in ``notifies()`` for its whole life), named
``LISTEN_APPLICATION_NAME`` so that operators (and a test) can find it in
``pg_stat_activity``. Losing it must not stop the projections: the runner then
polls every ``fallback_s`` and the connection is reopened (at most once per
``RECONNECT_PAUSE_S``); the first wait after LISTEN succeeds returns at once,
because anything committed while nobody listened has to be read by polling.
A notification carries no data: the runner always reads the log from its
positions, so a lost, doubled or spurious notification is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import suppress
from typing import Any

import psycopg
from psycopg import sql

from infrastructure.store import StoreConfig

LISTEN_APPLICATION_NAME = "ledger-projections-listen"
RECONNECT_PAUSE_S = 1.0
WAIT_SLICE_S = 0.25  # how often a wait looks at the stop event (no round trip: it only waits on the socket)
CONNECT_TIMEOUT_S = 2
log = logging.getLogger(__name__)


class Listener:
    """LISTEN on the event store's channel; ``wait`` returns on a notification, a timeout or ``stop``."""

    def __init__(self, store: StoreConfig, channel: str, *, fallback_s: float) -> None:
        self.store, self.channel, self.fallback_s = store, channel, fallback_s
        self.conn: Any = None
        self.next_attempt = 0.0  # time.monotonic() of the next (re)connection attempt
        self.connect()

    @property
    def listening(self) -> bool:
        return self.conn is not None

    def connect(self) -> bool:
        """Open the connection and LISTEN; False (and a log line) when the server cannot be reached."""
        self.next_attempt = time.monotonic() + RECONNECT_PAUSE_S
        try:
            conn = psycopg.connect(self.store.pg_conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name=LISTEN_APPLICATION_NAME)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error as error:
            log.warning("cannot LISTEN for new events (polling every %s s meanwhile): %s", self.fallback_s, error)
            return False
        self.conn = conn
        return True

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Until a notification arrives (those already queued count), ``timeout`` passes or ``stop`` is set."""
        if self.conn is None:
            if time.monotonic() >= self.next_attempt and self.connect():
                return  # listening again: read the log now for what was committed while nobody listened
            stop.wait(min(timeout, self.fallback_s))
            return
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if any(True for _ in self.conn.notifies(timeout=min(remaining, WAIT_SLICE_S), stop_after=1)):
                    self.drain()
                    return
        except psycopg.Error as error:  # the server dropped the connection (restart, pg_terminate_backend, network)
            log.warning("lost the LISTEN connection (polling until it is back): %s", error)
            self.discard()

    def drain(self) -> None:
        """Consume notifications already received, so that one batch of writes wakes the runner once."""
        for _ in self.conn.notifies(timeout=0):
            pass

    def discard(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with suppress(Exception):  # it may be broken already
                conn.close()

    def close(self) -> None:
        self.discard()


def event_channel(recorder: Any) -> str | None:
    """The channel the PostgreSQL recorder NOTIFYs on each insert (None for a recorder that does not, e.g. SQLite)."""
    channel = getattr(recorder, "channel_name", None)
    return channel if isinstance(channel, str) else None
