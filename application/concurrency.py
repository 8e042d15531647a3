"""Writers in one process: one command at a time per contract, and the contracts just written.

``ContractLocks``: threads of one process that command the same contract take
turns instead of racing to a version conflict (each conflict costs a reload
and a retry; eight threads on one contract made ~2 conflicts per command).
Writers in other processes still conflict; a retry then waits a short random
time first (``pause_after_conflict``), so they do not collide again in step.

``RecentWrites``: the contract as the command left it, so the HTTP answer can
render it without loading the contract again at the version just written.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from ledger.contract import Contract

RECENT_MAX = 256
CONFLICT_PAUSE_MAX_S = 0.05


class ContractLocks:
    """A lock per contract id, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, contract_id: str) -> Iterator[None]:
        with self.guard:
            lock, users = self.locks.get(contract_id, (threading.Lock(), 0))
            self.locks[contract_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self.guard:
                lock, users = self.locks[contract_id]
                if users == 1:
                    del self.locks[contract_id]
                else:
                    self.locks[contract_id] = (lock, users - 1)


def pause_after_conflict(attempt: int) -> None:
    """A random wait that grows with the attempts, at most CONFLICT_PAUSE_MAX_S."""
    time.sleep(random.uniform(0, min(CONFLICT_PAUSE_MAX_S, 0.002 * 2**attempt)))  # jitter, not secrets  # nosec B311


class RecentWrites:
    """The last RECENT_MAX contracts saved by this process, by (id, version)."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.items: OrderedDict[tuple[str, int], Contract] = OrderedDict()

    def put(self, contract: Contract) -> None:
        with self.guard:
            self.items[(str(contract.id), contract.version)] = contract
            while len(self.items) > RECENT_MAX:
                self.items.popitem(last=False)

    def get(self, contract_id: str, version: int) -> Contract | None:
        with self.guard:
            return self.items.get((str(contract_id), version))
