"""Writers in one process: one command at a time per contract, and the contracts just written.

``ContractLocks``: threads of one process that command the same contract take
turns instead of racing to a version conflict (each conflict costs a reload
and a retry; eight threads on one contract made ~2 conflicts per command).
Writers in other processes still conflict; a retry then waits a short random
time first (``pause_after_conflict``), so they do not collide again in step.

``RecentWrites``: the contract as the command left it, so the HTTP answer can
render it without loading the contract again at the version just written. It
is the cached contract itself (see ``application.contract_cache``), so it only
answers for a version while the contract is still at that version, and only
under the contract's lock.
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
    """A lock per contract id, kept only while someone holds or waits for it.

    Re-entrant: a writer holding its contract's lock loads the contract through
    the repository, which takes the same lock for every latest-version load.
    """

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.locks: dict[str, tuple[threading.RLock, int]] = {}

    @contextmanager
    def hold(self, contract_id: str) -> Iterator[None]:
        with self.guard:
            lock, users = self.locks.get(contract_id, (threading.RLock(), 0))
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
        """The contract written at ``version``, if it is still exactly that (no later or unsaved change)."""
        with self.guard:
            contract = self.items.get((str(contract_id), version))
        if contract is None or contract.version != version or contract.pending_events:
            return None
        return contract

    def discard(self, contract_id: str) -> None:
        """Forget every version of a contract (a command changed it and did not save)."""
        with self.guard:
            for key in [k for k in self.items if k[0] == str(contract_id)]:
                del self.items[key]
