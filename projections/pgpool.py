"""The read models' PostgreSQL connections: one ``psycopg_pool.ConnectionPool`` per store per process.

Every ``projections.db.Database`` of a store (the API's read models, the
projection runner, the outbox, the relay ...) borrows from the same pool, so a
process holds at most ``MAX_SIZE`` read-model connections however many threads
and handles it has. The pool is opened by the first handle of its store and
closed when the last one closes (or is garbage collected), and at exit.

A pool never crosses a fork: the child forgets the parent's pools (and keeps
them referenced, never closed, because closing would end the parent's sessions
on the shared sockets), so a handle used after a fork opens a pool of its own
process. gunicorn builds the app in each worker, after the fork, anyway.

Each connection is configured once (``search_path`` to the store's schema,
``statement_timeout``) and named ``APPLICATION_NAME`` in ``pg_stat_activity``.
``borrow`` checks a connection before handing it out and takes the next one
at once when the server dropped it: the pool's ``check_connection`` (an empty
query) whenever the idle connection's socket has something to read, which is
what a server that ended the session leaves (an error, or the socket closed);
with nothing pending, no round trip is spent (a trivial statement costs about
twice as much with the round trip on every use). The pool's own ``check=`` is
not used: after a second failed check in a row it sleeps a backoff (1 s,
capped by the wait), so after a server restart, with several dead connections
pooled, the first read would fail (tried: three connections killed,
``PoolTimeout`` after the whole wait). A session killed in the few
milliseconds between the check and its statement fails that statement, which
``Database.run`` retries once on another connection (a transaction fails and
its caller retries the batch).

Waiting for a connection gives up after ``WAIT_S`` with ``PoolTimeout`` (a
``psycopg.OperationalError``: 503 ``store_unavailable``), so a database that is
down fails a request fast. The pool retries a failed connect with a backoff
that grows to minutes; here it stops after ``RECONNECT_S`` instead, and the next
request that finds no connection starts a new attempt at once: the first
request after an outage connects, none waits for a backoff to run out.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import threading
import time
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from infrastructure.store import StoreConfig

MIN_SIZE = 1  # kept open while the store is in use; more are opened on demand and closed after MAX_IDLE_S
MAX_SIZE = 10  # per process: a gunicorn worker's threads (4 by default) plus a projection runner, with room
WAIT_S = 0.5  # how long a statement waits for a connection before 503
RECONNECT_S = 0.2  # the pool's retries of a failed connect stop after this; the next request that waits tries again
MAX_IDLE_S = 600.0
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 60_000
APPLICATION_NAME = "ledger-read-models"

Key = tuple[str, str]


def key_of(store: StoreConfig) -> Key:
    return store.pg_conninfo, store.pg_schema


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def configure(schema: str) -> Any:
    def setup(conn: psycopg.Connection[Any]) -> None:
        conn.execute("SELECT set_config('search_path', %s, false), set_config('statement_timeout', %s, false)",
                     (quote_ident(schema), str(STATEMENT_TIMEOUT_MS)))

    return setup


def open_pool(store: StoreConfig) -> ConnectionPool[psycopg.Connection[Any]]:
    return ConnectionPool(
        store.pg_conninfo,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S, "application_name": APPLICATION_NAME},
        min_size=MIN_SIZE,
        max_size=MAX_SIZE,
        open=True,
        configure=configure(store.pg_schema),
        name=f"read-models-{store.pg_schema}",
        timeout=WAIT_S,
        max_idle=MAX_IDLE_S,
        reconnect_timeout=RECONNECT_S,
    )


def lost(conn: psycopg.Connection[Any]) -> bool:
    """True once the server dropped the connection (psycopg marks it closed or broken)."""
    return bool(conn.closed or conn.broken)


def borrow(pool: ConnectionPool[psycopg.Connection[Any]], wait_s: float = WAIT_S) -> psycopg.Connection[Any]:
    """A checked connection of ``pool`` (return it with ``pool.putconn``); PoolTimeout after ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PoolTimeout(f"no read-model connection within {wait_s:.2f} s")
        conn = pool.getconn(timeout=remaining)
        if answers(conn):
            return conn
        pool.putconn(conn)  # dropped by the server: the pool discards it and opens a replacement


def answers(conn: psycopg.Connection[Any]) -> bool:
    """Whether an idle pooled connection still works: the pool's ``check_connection`` (an empty query), unless the
    socket has nothing to read. An idle session receives nothing unasked; a server that ends it (termination, shutdown,
    crash, a cut link) sends an error or closes the socket, which makes it readable. So the round trip is spent only
    on a connection that has something pending."""
    if lost(conn):
        return False
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    if not poller.poll(0):
        return True
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return False
    return True


class SharedPools:
    """This process's pools, one per store (conninfo and schema), counted by the handles that use them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pools: dict[Key, tuple[ConnectionPool[psycopg.Connection[Any]], int]] = {}
        self.inherited: list[Any] = []  # a parent's pools after a fork: never used, never closed, never collected
        self.pid = os.getpid()

    def acquire(self, store: StoreConfig) -> ConnectionPool[psycopg.Connection[Any]]:
        key = key_of(store)
        with self.lock:
            self.forget_parent()
            pool, users = self.pools.get(key) or (open_pool(store), 0)
            self.pools[key] = (pool, users + 1)
            return pool

    def release(self, key: Key, pid: int) -> None:
        """One handle fewer; the last one closes the pool. A handle of the parent process changes nothing here."""
        with self.lock:
            self.forget_parent()
            if pid != self.pid or key not in self.pools:
                return
            pool, users = self.pools[key]
            if users > 1:
                self.pools[key] = (pool, users - 1)
                return
            del self.pools[key]
        with contextlib.suppress(RuntimeError):  # collected in one of the pool's own threads: it cannot join itself
            pool.close()

    def forget_parent(self) -> None:
        if self.pid != os.getpid():
            self.inherited.append(self.pools)
            self.pools, self.pid = {}, os.getpid()

    def after_fork(self) -> None:
        """In the child: a new lock (another thread may have held the old one at the fork), no pools of the parent."""
        self.lock = threading.Lock()
        self.forget_parent()

    def close_all(self) -> None:
        with self.lock:
            self.forget_parent()
            pools, self.pools = [pool for pool, _ in self.pools.values()], {}
        for pool in pools:
            pool.close()

    def open_count(self) -> int:
        with self.lock:
            self.forget_parent()
            return len(self.pools)


POOLS = SharedPools()
atexit.register(POOLS.close_all)
os.register_at_fork(after_in_child=POOLS.after_fork)
