"""A test-only pause inside the transaction of a group save, so a crash test can kill a process mid-batch.

``LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S`` (default 0: off) makes every save of
more than one command's aggregates sleep that long after its rows are inserted
and before its commit, having written ``PAUSE_MARK`` to stderr (the test waits
for it in the log, then kills the process). Never set it in production: it only
slows writes.

SQLite inserts inside the library's transaction (``_insert_events``): the pause
follows it. PostgreSQL inserts with one call of the library's database function,
its own transaction: here that call runs inside an explicit transaction that
pauses before its commit (the connection is the library's, in autocommit mode).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

PAUSE_MARK = "group save: pausing inside its transaction"


class GroupSaveFlag(threading.local):
    """Set by the group save of this thread: only group saves pause, not the single saves around them."""

    active = False


GROUP_SAVE = GroupSaveFlag()


def pause(seconds: float, what: str) -> None:
    print(f"{PAUSE_MARK}: {what}, {seconds} s", file=sys.stderr, flush=True)
    time.sleep(seconds)


def pause_inside_group_saves(recorder: Any, seconds: float) -> None:
    """Make a group save of this recorder sleep ``seconds`` inside its transaction, after its inserts."""
    if type(recorder).__module__ == "eventsourcing.postgres":
        pause_postgres(recorder.datastore, seconds)
        return
    inner: Callable[..., Any] = recorder._insert_events

    def paused(connection: Any, stored_events: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        returned = inner(connection, stored_events, *args, **kwargs)
        if GROUP_SAVE.active:
            pause(seconds, f"{len(stored_events)} events inserted")
        return returned

    recorder._insert_events = paused


def pause_postgres(datastore: Any, seconds: float) -> None:
    inner: Callable[..., Any] = datastore.get_connection

    @contextmanager
    def paused(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with inner(*args, **kwargs) as connection:
            if not GROUP_SAVE.active:
                yield connection
                return
            with connection.transaction():
                yield connection
                pause(seconds, "events inserted")

    datastore.get_connection = paused
