"""The aggregate cache without a copy per command: writers change the cached contract itself.

The library's cache hands every ``get`` a deep copy of the cached aggregate, so
that a command that fails half-way cannot corrupt the cache. A contract's state
grows with its history, so that copy made one command cost 24x more on a
10,000-event contract than on a 10-event one. Here a writer takes the cached
contract itself (``for_command``) and changes it in place, which is safe because:

- writers of one contract in this process take turns (``ContractLocks``), and a
  writer holds its contract's lock from the load to the end of the save;
- a reader of the latest version takes the same lock for its load and copy, so
  it never copies a contract a command is half-way through;
- the writer drops the cached contract (``drop``) when a command changed it and
  then failed (refused half-way, a failed or conflicting save, anything else):
  the next load rebuilds it from the store, so nothing of the failed command
  stays in memory.

Historical versions (``version=...``) are rebuilt from the store as before.
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from application.concurrency import ContractLocks


class LockedRepository(Repository[UUID]):
    """The library's repository whose latest-version loads take the aggregate's lock in this process."""

    def __init__(self, *args: Any, locks: ContractLocks, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locks = locks

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if version is not None or not self.cache:
            return super().get(aggregate_id, version=version, **kwargs)
        with self.locks.hold(str(aggregate_id)):  # no copy of a contract a command is changing
            return super().get(aggregate_id, **kwargs)

    def for_command(self, aggregate_id: UUID) -> Any:
        """The cached aggregate itself, fast-forwarded: only for a writer holding the aggregate's lock."""
        if not self.cache:
            return super().get(aggregate_id)
        return super().get(aggregate_id, deepcopy_from_cache=False)

    def drop(self, aggregate_id: UUID) -> None:
        """Forget the cached aggregate (a command changed it and did not save): the next load rebuilds it."""
        if self.cache:
            with contextlib.suppress(KeyError):
                self.cache.get(aggregate_id, evict=True)

    def cached(self, aggregate_id: UUID) -> Any:
        """The cached aggregate as it is, or None, without loading it (only under the aggregate's lock)."""
        if not self.cache:
            return None
        try:
            return self.cache.get(aggregate_id)
        except KeyError:
            return None


def snapshot_cached(repository: LockedRepository, snapshots: Any, aggregate_id: UUID, version: int | None) -> bool:
    """Store a snapshot of the cached aggregate if it is exactly the saved ``version``; False if it is not.

    The library takes a snapshot by rebuilding the aggregate from the previous
    snapshot and the events since (decoding all of a long contract's history
    again); right after a save the cached aggregate is that state already. The
    snapshot is encoded under the aggregate's lock, so no command changes it meanwhile.
    """
    if version is None or snapshots is None:
        return False
    with repository.locks.hold(str(aggregate_id)):
        cached = repository.cached(aggregate_id)
        snapshot_class = getattr(type(cached), "Snapshot", None)
        if cached is None or snapshot_class is None or cached.version != version or cached.pending_events:
            return False
        snapshots.put([snapshot_class.take(cached)])
        return True
