"""A test-only pause inside the transaction of a group save, so a crash test can kill a process mid-batch.

``LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S`` (default 0: off) makes every save of
more than one command's aggregates sleep that long after its rows are inserted
and before its commit, having logged ``PAUSE_MARK`` (the test waits for it in the
log, then kills the process). Never set it in production: it only slows writes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

PAUSE_MARK = "group save: pausing inside its transaction"


class GroupSaveFlag(threading.local):
    """Set by the group save of this thread: only group saves pause, not the single saves around them."""

    active = False


GROUP_SAVE = GroupSaveFlag()


def pause_inside_group_saves(recorder: Any, seconds: float) -> None:
    """Wrap the recorder's in-transaction step so a group save sleeps ``seconds`` before it commits."""
    # The step each store runs inside the insert's transaction, after the rows are written.
    postgres = type(recorder).__module__ == "eventsourcing.postgres"
    name = "_fetch_ids_after_insert_events" if postgres else "_insert_events"
    inner: Callable[..., Any] = getattr(recorder, name)

    def paused(curs: Any, stored_events: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        returned = inner(curs, stored_events, *args, **kwargs)
        if GROUP_SAVE.active:
            print(f"{PAUSE_MARK}: {len(stored_events)} events, {seconds} s", file=sys.stderr, flush=True)
            time.sleep(seconds)
        return returned

    setattr(recorder, name, paused)

