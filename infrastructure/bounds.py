"""Store calls that give up in bounded time, so an outage answers "unavailable" instead of hanging.

The library retries every PostgreSQL statement 10 times, each attempt waiting
for a pooled connection for ``POSTGRES_CONNECT_TIMEOUT``: about 50 s while the
server is down, longer than a gunicorn worker may take. Here each store call
gets ``ATTEMPTS`` attempts instead; between them the pool drops the
connections the server closed (a restart, ``pg_terminate_backend``), so
without a pre-ping on every statement a dead connection costs one failed
attempt, not a failed command. Every statement also carries a server-side
``statement_timeout``.

Worst case of one store call: ``ATTEMPTS`` x (pool wait + pause), see
``CALL_BOUND_S``; the HTTP worker timeout must stay above a command's few calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError

log = logging.getLogger("ledger.store")

ATTEMPTS = 2
PAUSE_S = 0.1
POOL_WAIT_S = 5  # POSTGRES_CONNECT_TIMEOUT: how long a call waits for a pooled connection
STATEMENT_TIMEOUT_MS = 5_000
READY_WAIT_S = 0.5  # a readiness probe answers within about this while the store is down
CALL_BOUND_S = ATTEMPTS * (POOL_WAIT_S + PAUSE_S) + STATEMENT_TIMEOUT_MS / 1000
# The recorder methods the library wraps in its own 10-attempt retry.
RETRIED_METHODS = (
    "insert_events",
    "select_events",
    "select_notifications",
    "max_notification_id",
    "insert_tracking",
    "max_tracking_id",
    "has_tracking_id",
)


def bounded(call: Callable[..., Any], pool: Any) -> Callable[..., Any]:
    """``call`` with at most ATTEMPTS attempts; the pool checks its idle connections before a retry."""

    def attempt(*args: Any, **kwargs: Any) -> Any:
        for remaining in range(ATTEMPTS - 1, -1, -1):
            try:
                return call(*args, **kwargs)
            except (InterfaceError, OperationalError):
                if not remaining:
                    raise
                with suppress(Exception):  # the server may still be gone: the next attempt will say so
                    pool.check()
                time.sleep(PAUSE_S)
        raise AssertionError("unreachable")

    return attempt


def postgres_pool(holder: Any) -> Any:
    """The psycopg connection pool of a PostgreSQL recorder or factory, else None (SQLite)."""
    from psycopg_pool import ConnectionPool

    pool = getattr(getattr(holder, "datastore", None), "pool", None)
    return pool if isinstance(pool, ConnectionPool) else None


def bound_recorder(recorder: Any) -> None:
    """Replace the library's long retries on one PostgreSQL recorder (SQLite recorders are left as they are)."""
    pool = postgres_pool(recorder)
    if pool is None:
        return
    for name in RETRIED_METHODS:
        inner = getattr(getattr(type(recorder), name, None), "__wrapped__", None)
        if inner is not None:
            setattr(recorder, name, bounded(inner.__get__(recorder), pool))


def tune_factory(factory: Any) -> None:
    """Before the pool opens: every PostgreSQL session gets a statement timeout."""
    pool = postgres_pool(factory)
    if pool is not None and isinstance(pool.kwargs, dict):
        pool.kwargs["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"


def ping(recorder: Any, wait_s: float) -> None:
    """Raise unless a PostgreSQL connection answers within about ``wait_s`` (for readiness probes); SQLite: no-op."""
    pool = postgres_pool(recorder)
    if pool is None:
        return
    pool.open(wait=False)
    with pool.connection(timeout=wait_s) as conn:
        conn.execute("SELECT 1")
