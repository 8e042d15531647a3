"""Where ``recorded_at`` comes from.

The service sets ``recorded_at`` from the system clock (UTC). A caller that
must reproduce a record exactly (the demo, tests that pin hashes) runs its
commands under ``fixed_clock``; the value lives in a context variable, so one
thread's clock never leaks into another's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("ledger_clock", default=None)


def now() -> datetime:
    clock = _clock.get()
    return clock() if clock is not None else datetime.now(UTC)


@contextmanager
def fixed_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)
