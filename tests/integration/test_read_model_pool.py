"""The read models' connection pool on a real PostgreSQL: shared, bounded, healed, closed, and never crossing a fork.

Each test has a database of its own, so ``pg_stat_activity`` rows of that database named
``pgpool.APPLICATION_NAME`` are exactly the pool's connections.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from infrastructure.store import StoreConfig
from ledger.errors import StoreUnavailable
from projections import pgpool
from projections.db import Database
from projections.service import ReadModels
from tests import pg
from tests.kafka import wait_until

THREADS = 3 * pgpool.MAX_SIZE
READS_PER_THREAD = 5


@contextmanager
def own_store() -> Iterator[tuple[str, str, StoreConfig]]:
    """(admin URL, database name, store) on a throwaway database of this test."""
    with pg.server_url() as admin_url, pg.throwaway_database(admin_url) as url:
        yield admin_url, url.rsplit("/", 1)[1], StoreConfig(f"{url}?schema={pg.create_schema(url)}")


def pool_backends(admin_url: str, database: str) -> list[int]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                            (database, pgpool.APPLICATION_NAME)).fetchall()
    return [int(row[0]) for row in rows]


def terminate_all(admin_url: str, database: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                            "WHERE datname = %s AND application_name = %s",
                            (database, pgpool.APPLICATION_NAME)).fetchall()
    return sum(1 for row in rows if row == (True,))


def backend_of(db: Database) -> int:
    row = db.fetchone("SELECT pg_backend_pid()")
    assert row is not None
    return int(row[0])


def test_many_threads_share_at_most_max_size_server_connections() -> None:
    with own_store() as (admin_url, database, store):
        db = Database(store)
        seen_by_reads: set[int] = set()
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, len(pool_backends(admin_url, database)))
                time.sleep(0.01)

        def reads(_: int) -> list[int]:
            # each read holds its connection 20 ms, so the threads overlap and the pool must grow
            return [int(row[0]) for row in (db.fetchone("SELECT pg_backend_pid(), pg_sleep(0.02)")
                                            for _ in range(READS_PER_THREAD)) if row is not None]

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            with ThreadPoolExecutor(THREADS) as threads:
                for pids in threads.map(reads, range(THREADS)):
                    assert len(pids) == READS_PER_THREAD
                    seen_by_reads.update(pids)
        finally:
            done.set()
            sampler.join(5)
        assert 1 < len(seen_by_reads) <= pgpool.MAX_SIZE, seen_by_reads  # concurrent, and reused: never one each
        assert 1 < peak <= pgpool.MAX_SIZE, peak
        db.close()
        wait_until(lambda: not pool_backends(admin_url, database), timeout_s=10)  # the last handle closed the pool


def test_connections_the_server_killed_are_replaced_before_the_next_read() -> None:
    """Like a server restart with several connections pooled: the next read neither fails nor waits for a backoff."""
    with own_store() as (admin_url, database, store):
        db = Database(store)
        with ThreadPoolExecutor(3) as threads:  # three reads at once leave three connections pooled
            before = set(threads.map(lambda _: int((db.fetchone("SELECT pg_backend_pid(), pg_sleep(0.2)") or [0])[0]),
                                     range(3)))
        assert len(before) == 3 and before <= set(pool_backends(admin_url, database))
        assert terminate_all(admin_url, database) >= 3
        started = time.monotonic()
        after = backend_of(db)  # no error: each dead connection fails its check and the next one is taken
        assert after not in before
        assert time.monotonic() - started < pgpool.WAIT_S, "killed connections must not cost a backoff"
        assert terminate_all(admin_url, database) >= 1
        with db.transaction():  # a transaction starts on a live connection too
            db.execute("CREATE TABLE survived (n integer)")
            db.execute("INSERT INTO survived VALUES (1)")
        assert db.fetchall("SELECT n FROM survived") == [(1,)]
        db.close()


def test_no_connection_within_the_wait_is_store_unavailable_at_once_and_the_first_read_after_connects() -> None:
    with own_store() as (admin_url, database, store):
        read_models = ReadModels(store)
        assert read_models.contracts("acct", "2026-03-01")[0]["items"] == []
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            try:
                terminate_all(admin_url, database)
                for _ in range(3):  # again and again: each waits no longer than the pool's wait
                    started = time.monotonic()
                    with pytest.raises(StoreUnavailable) as refused:
                        read_models.contracts("acct", "2026-03-01")
                    assert isinstance(refused.value.__cause__, PoolTimeout)
                    assert time.monotonic() - started < pgpool.WAIT_S + 0.5
            finally:
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        assert read_models.contracts("acct", "2026-03-01")[0]["items"] == []  # no backoff left to wait out
        read_models.close()


def test_opening_the_read_models_while_the_database_refuses_connections_fails_after_one_wait() -> None:
    """A worker opening its stores during an outage learns it in one pool wait, not one per table-creation retry,
    so the attempt after the database returns starts (and succeeds) without a queue of retries before it."""
    with own_store() as (admin_url, database, store):
        ReadModels(store).close()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            try:
                started = time.monotonic()
                with pytest.raises(PoolTimeout):
                    ReadModels(store)
                assert time.monotonic() - started < pgpool.WAIT_S + 1.0  # five retries would take 4.5 s
            finally:
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        read_models = ReadModels(store)
        assert read_models.contracts("acct", "2026-03-01")[0]["items"] == []
        read_models.close()


def test_handles_of_one_store_share_one_pool_closed_by_the_last() -> None:
    with own_store() as (admin_url, database, store):
        opened = pgpool.POOLS.open_count()
        first, second = Database(store), Database(store)
        assert first.pool is second.pool and pgpool.POOLS.open_count() == opened + 1
        assert {backend_of(first), backend_of(second)} <= set(pool_backends(admin_url, database))
        first.close()
        assert backend_of(second) in pool_backends(admin_url, database)  # still open for the other handle
        second.close()
        assert pgpool.POOLS.open_count() == opened
        wait_until(lambda: not pool_backends(admin_url, database), timeout_s=10)


def test_a_forked_child_never_uses_the_parents_pool() -> None:
    with own_store() as (admin_url, database, store):
        db = Database(store)
        parent_backends = {backend_of(db), *pool_backends(admin_url, database)}  # only this process has a pool yet
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
            try:
                os.write(writer, str(backend_of(db)).encode())
            finally:
                os._exit(0)
        os.close(writer)
        child_backend = int(os.read(reader, 64).decode() or "0")
        os.close(reader)
        os.waitpid(child, 0)
        assert child_backend and child_backend not in parent_backends  # the child connected on its own
        assert parent_backends <= set(pool_backends(admin_url, database))  # and closed none of the parent's
        assert backend_of(db) != child_backend
        db.close()
