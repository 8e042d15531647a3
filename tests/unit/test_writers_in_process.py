"""What one process does for its writers: cheap copies for the cache, turns per contract, the contracts just written."""

from __future__ import annotations

import copy
import threading
import time
from datetime import date

from application.concurrency import RECENT_MAX, ContractLocks, RecentWrites
from application.contract_cache import snapshot_due
from tests.factories import signed, state_of


def test_a_cached_contract_is_copied_whole_and_the_copy_is_independent() -> None:
    contract = signed()
    contract.log_communication(occurred_on=date(2026, 2, 1), direction="outbound", channel="email", summary="hello")
    contract.collect_events()
    copied = copy.deepcopy(contract)
    assert copied is not contract and state_of(copied) == state_of(contract) and copied.version == contract.version
    copied.log_communication(occurred_on=date(2026, 2, 2), direction="inbound", channel="email", summary="reply")
    assert copied.version == contract.version + 1
    assert state_of(copied) != state_of(contract) and contract.pending_events == []


def test_writers_of_one_contract_take_turns_while_other_contracts_go_on() -> None:
    locks, inside, overlaps, others_ran = ContractLocks(), [0], [], threading.Event()

    def writer() -> None:
        with locks.hold("hot"):
            inside[0] += 1
            overlaps.append(inside[0])
            time.sleep(0.02)
            inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    with locks.hold("other"):  # not blocked by the hot contract's queue
        others_ran.set()
    for thread in threads:
        thread.join()
    assert others_ran.is_set() and max(overlaps) == 1 and len(overlaps) == 6
    assert locks.locks == {}  # nothing kept once nobody holds or waits


def test_recent_writes_are_found_by_id_and_version_and_only_the_newest_are_kept() -> None:
    recent = RecentWrites()
    first = signed()
    first.collect_events()  # as a save leaves it
    recent.put(first)
    assert recent.get(str(first.id), first.version) is first
    assert recent.get(str(first.id), first.version + 1) is None
    for _ in range(RECENT_MAX):
        recent.put(signed())
    assert recent.get(str(first.id), first.version) is None and len(recent.items) == RECENT_MAX


def test_a_recent_write_answers_only_while_the_contract_is_still_at_that_version() -> None:
    """The entry is the cached contract itself: once a later command changes it, that version is not served."""
    recent = RecentWrites()
    contract = signed()
    contract.collect_events()
    written = contract.version
    recent.put(contract)
    contract.log_communication(occurred_on=date(2026, 2, 1), direction="outbound", channel="email", summary="hello")
    assert recent.get(str(contract.id), written) is None  # changed, not yet saved
    assert recent.get(str(contract.id), written + 1) is None  # never put: unsaved
    contract.collect_events()
    recent.put(contract)
    assert recent.get(str(contract.id), written + 1) is contract
    recent.discard(str(contract.id))
    assert recent.get(str(contract.id), written + 1) is None and recent.items == {}


def test_snapshots_come_every_100_events_then_about_ten_per_doubling_of_the_history() -> None:
    due = [v for v in range(100, 20_001, 100) if snapshot_due(v)]
    assert due[:20] == list(range(100, 2_001, 100))  # every 100 up to 2,000 events
    assert [v for v in due if 2_000 <= v <= 4_000] == list(range(2_000, 4_001, 200))
    assert [v for v in due if 8_000 <= v <= 16_000] == list(range(8_000, 16_001, 800))
    for start in (1_000, 2_000, 4_000, 8_000):  # about ten per doubling: total size in proportion to the history
        assert 10 <= sum(1 for v in due if start < v <= 2 * start) <= 11
