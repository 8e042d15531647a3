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
        """The cached aggregate as it is, or None, without loading it (only for the writer holding its lock)."""
        if not self.cache:
            return None
        try:
            return self.cache.get(aggregate_id)
        except KeyError:
            return None


SNAPSHOT_EVERY = 100  # events, on a contract of up to SNAPSHOT_GROWS_FROM events
SNAPSHOT_GROWS_FROM = 1_000


def snapshot_due(version: int) -> bool:
    """A snapshot every 100 events, then about ten per doubling of the history.

    A snapshot holds the whole state, which grows with the history: at a fixed
    interval the bytes written (and the time to write them) grow with the
    square of the contract's length (one 2.5 MB snapshot every 100 events at
    10,000 events). The interval doubles with each doubling of the length past
    1,000 events (200 from 2,000, 400 from 4,000, ...), so the snapshots' total
    size stays proportional to the history and a cold load replays at most a
    tenth of it after the newest snapshot.
    """
    interval = SNAPSHOT_EVERY
    while version >= SNAPSHOT_GROWS_FROM * 2 * interval // SNAPSHOT_EVERY:
        interval *= 2
    return version % interval == 0


def snapshot_cached(repository: LockedRepository, snapshots: Any, aggregate_id: UUID, version: int | None) -> bool:
    """Store a snapshot of the cached aggregate if it is exactly the saved ``version``; False if it is not.

    The library takes a snapshot by rebuilding the aggregate from the previous
    snapshot and the events since (decoding all of a long contract's history
    again); right after a save the cached aggregate is that state already.
    Called from the save path, by (or on behalf of) the writer that holds the
    aggregate's lock, so no command changes it meanwhile; it does not take the
    lock itself, so a save made for a waiting writer by another thread cannot
    deadlock on it.
    """
    if version is None or snapshots is None:
        return False
    cached = repository.cached(aggregate_id)
    snapshot_class = getattr(type(cached), "Snapshot", None)
    if cached is None or snapshot_class is None or cached.version != version or cached.pending_events:
        return False
    snapshots.put([snapshot_class.take(cached)])
    return True
