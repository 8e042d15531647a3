"""Concurrent writers on PostgreSQL: 8 threads on distinct contracts (saving alone, then with group commit),
4 processes, 8 threads on one hot contract.

Figures are commands/s (median of 3, range) next to the one-thread rate of
the same service in the same run (the 8-thread runs saving alone and with group
commit take turns, so load drift on a shared machine hits both alike); the hot contract also counts the conflicts
(saves a concurrent writer beat, each retried from the load).
Targets: 8 threads >= 3.0 x one thread; hot contract >= one thread with
conflicts < 10 % of commands.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import RUNS, median_of, postgres_url, print_table, rate, ratio, scaled, show, write_results
from bench.workload import CountingConflicts, log_note, sign
from infrastructure.store import StoreConfig

THREADS = 8
PROCESSES = 4
PER_WRITER = scaled(60, 5)


def threads_rate(url: str, threads: int, *, hot: bool = False, group_commit: bool = False) -> float:
    app = CountingConflicts(StoreConfig(url), create_tables=True, group_commit=group_commit)
    hot_id = sign(app)
    contracts = [hot_id if hot else sign(app) for _ in range(threads)]

    def writer(contract_id: str) -> None:
        for _ in range(PER_WRITER):
            log_note(app, contract_id)

    def run() -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(writer, contracts))

    try:
        return rate(threads * PER_WRITER, run)
    finally:
        app.close()


def process_writer(url: str, contract_id: str, ready: Any, spans: Any) -> None:
    app = CountingConflicts(StoreConfig(url), create_tables=False)
    ready.wait(timeout=120)  # every process is built: the clock starts
    start = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
    for _ in range(PER_WRITER):
        log_note(app, contract_id)
    spans.put((start, time.monotonic()))
    app.close()


def processes_rate(url: str) -> float:
    """Commands/s from the first process's first command to the last one's last: start-up and exit are not writes."""
    setup = CountingConflicts(StoreConfig(url), create_tables=True)
    contracts = [sign(setup) for _ in range(PROCESSES)]
    setup.close()
    context = multiprocessing.get_context("spawn")
    ready, spans = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=process_writer, args=(url, c, ready, spans)) for c in contracts]
    for worker in workers:
        worker.start()
    found = [spans.get(timeout=600) for _ in workers]  # a process that could not start breaks the barrier
    for worker in workers:
        worker.join()
    return PROCESSES * PER_WRITER / (max(end for _, end in found) - min(start for start, _ in found))


def hot_rate(url: str, conflicts: list[float]) -> float:
    CountingConflicts.conflicts = 0
    figure = threads_rate(url, THREADS, hot=True)
    conflicts.append(100 * CountingConflicts.conflicts / (THREADS * PER_WRITER))
    return figure


def alternating(runs: int, variants: dict[str, Callable[[], float]]) -> dict[str, dict[str, float]]:
    """Each variant ``runs`` times, taking turns, so a change of the machine's load hits them alike."""
    figures: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, run in variants.items():
            figures[name].append(run())
    return {name: median_of(runs, iter(found).__next__) for name, found in figures.items()}


def main() -> None:
    conflict_shares: list[float] = []
    with postgres_url() as url:
        figures = {
            "one_thread": median_of(RUNS, lambda: threads_rate(url, 1)),
            **alternating(RUNS, {
                "threads_8_distinct": lambda: threads_rate(url, THREADS),
                "threads_8_distinct_group_commit": lambda: threads_rate(url, THREADS, group_commit=True),
            }),
            "processes_4_distinct": median_of(RUNS, lambda: processes_rate(url)),
            "threads_8_hot_contract": median_of(RUNS, lambda: hot_rate(url, conflict_shares)),
        }
    conflicts = {
        "median": sorted(conflict_shares)[len(conflict_shares) // 2],
        "min": min(conflict_shares),
        "max": max(conflict_shares),
        "runs": len(conflict_shares),
    }
    ratios = {name: ratio(figure, figures["one_thread"]) for name, figure in figures.items() if name != "one_thread"}
    results = {
        "commands_per_s": figures,
        "ratios_to_one_thread": ratios,
        "hot_conflicts_percent": conflicts,
        "targets": {"threads_8_distinct": 3.0, "threads_8_distinct_group_commit": 3.0, "threads_8_hot_contract": 1.0, "hot_conflicts_percent": 10},
    }
    rows = [[name, show(figure), ratios.get(name, 1.0)] for name, figure in figures.items()]
    rows.append(["hot contract: conflicts % of commands", show(conflicts), ""])
    print_table(
        f"Concurrent writers on PostgreSQL ({PER_WRITER} commands each; median of {RUNS}, range)",
        ["writers", "commands/s", "x one thread"],
        rows,
    )
    print(f"results: {write_results('concurrency', results)}")


if __name__ == "__main__":
    sys.exit(main())
