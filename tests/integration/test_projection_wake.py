"""On PostgreSQL an idle runner is woken by the event store's NOTIFY, and carries on when its LISTEN connection dies.

The runner is given a 5 s poll interval: an event applied well within a second
can only have been read because a notification woke the runner. Each test uses
a database of its own and terminates only backends of that database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.db import Database
from projections.runner import Runner
from projections.wake import LISTEN_APPLICATION_NAME
from tests import pg
from tests.factories import signing, terms
from tests.kafka import wait_until
from tests.pg import connections_refused

POLL_S = 5.0  # far longer than any wake-up may take
WOKEN_WITHIN_S = 1.0
ACCOUNT = "acct-wake"


@contextmanager
def own_store() -> Iterator[tuple[str, str, StoreConfig]]:
    """(admin URL, database name, store) on a throwaway database of this test."""
    with pg.server_url() as admin_url, pg.throwaway_database(admin_url) as url:
        yield admin_url, url.rsplit("/", 1)[1], StoreConfig(f"{url}?schema={pg.create_schema(url)}")


def listeners(admin_url: str, database: str) -> list[int]:
    """Backend pids of the runner's LISTEN connection in this test's database."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                            (database, LISTEN_APPLICATION_NAME)).fetchall()
    return [int(row[0]) for row in rows]


def kill_listeners(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                            "AND application_name = %s", (database, LISTEN_APPLICATION_NAME)).fetchall()
    assert rows == [(True,)], "exactly one LISTEN connection of this test's database is terminated"


@contextmanager
def running(runner: Runner) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop, POLL_S), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def applied_within(app: LedgerApplication, position: Callable[[], int], write: Callable[[], None]) -> float:
    """Seconds from ``write`` returning to every read model having applied the log's head (at most 10)."""
    write()
    head = int(app.recorder.max_notification_id() or 0)
    started = time.monotonic()
    wait_until(lambda: position() >= head, timeout_s=10, interval_s=0.01)
    return time.monotonic() - started


def test_an_idle_runner_is_woken_by_a_write_and_carries_on_after_its_listen_connection_is_killed() -> None:
    with own_store() as (admin_url, database, store):
        app = LedgerApplication(store, create_tables=True)
        runner = Runner(store, app=app)
        probe = Database(store)  # an observer's own connection: the positions as committed
        signed = iter(range(100))

        def position() -> int:
            row = probe.fetchone("SELECT MIN(position) FROM rm_tracking WHERE source = 'log'")
            return int(row[0]) if row and row[0] is not None else 0

        def sign() -> None:
            app.sign_contract(ACCOUNT, signing(terms()), idempotency_key=f"sign-{next(signed)}")

        try:
            with running(runner):
                wait_until(lambda: len(listeners(admin_url, database)) == 1, timeout_s=10)
                time.sleep(0.5)  # the runner has caught up with the empty log and waits
                for _ in range(3):
                    assert applied_within(app, position, sign) < WOKEN_WITHIN_S

                # The LISTEN connection dies and cannot come back: the runner polls meanwhile.
                with connections_refused(admin_url, database):
                    first = listeners(admin_url, database)
                    kill_listeners(admin_url, database)
                    assert applied_within(app, position, sign) < WOKEN_WITHIN_S
                    assert listeners(admin_url, database) == []

                # It listens again, on a new connection, and is woken again.
                wait_until(lambda: len(listeners(admin_url, database)) == 1, timeout_s=10)
                assert listeners(admin_url, database) != first
                time.sleep(0.5)
                for _ in range(3):
                    assert applied_within(app, position, sign) < WOKEN_WITHIN_S
            assert listeners(admin_url, database) == []  # closed when the runner stops
            assert position() == int(app.recorder.max_notification_id() or 0)
        finally:
            probe.close()
            runner.close()
            app.close()
