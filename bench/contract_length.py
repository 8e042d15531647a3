"""Cost of one command as a contract's history grows: 10 -> 10,000 events (target: within 2x of 10 events).

Each contract is a long engagement (per ten events an invoice, a part payment,
two reminders, six communications), saved in large batches. Then, in a fresh
process-like application (empty cache): the first command (loads the snapshot
and the events after it) and the next ones (the cached contract, fast-forwarded)
are timed, with the size of the latest snapshot.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from bench.common import RUNS, median_of, postgres_url, print_table, scaled, show, write_results
from bench.evidence_export import build_contract
from bench.workload import log_note
from infrastructure.store import StoreConfig

SIZES = (10, 100, 1_000, 10_000) if scaled(1, 0) else (10, 100)
COMMANDS = scaled(30, 3)


def command_ms(url: str, contract_id: str) -> tuple[float, float]:
    """(first command ms, median of the next ones ms) in a new application."""
    app = LedgerApplication(StoreConfig(url))
    try:
        timings = []
        for _ in range(COMMANDS + 1):
            started = time.perf_counter()
            log_note(app, contract_id)
            timings.append(1000 * (time.perf_counter() - started))
        return timings[0], statistics.median(timings[1:])
    finally:
        app.close()


def snapshot_bytes(url: str, contract_id: str) -> int:
    app = LedgerApplication(StoreConfig(url))
    try:
        if app.snapshots is None:
            return 0
        found = list(app.snapshots.recorder.select_events(UUID(contract_id), desc=True, limit=1))
        return len(found[0].state) if found else 0
    finally:
        app.close()


def measure(url: str, events: int) -> dict[str, Any]:
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    contract_id = build_contract(app, events)
    app.close()
    firsts: list[float] = []

    def steady() -> float:
        first, rest = command_ms(url, contract_id)
        firsts.append(first)
        return rest

    figure = median_of(RUNS, steady)
    return {
        "events": events,
        "command_ms": figure,
        "first_command_ms": round(statistics.median(firsts), 2),
        "snapshot_bytes": snapshot_bytes(url, contract_id),
    }


def main() -> None:
    with postgres_url() as url:
        results = [measure(url, size) for size in SIZES]
    base = results[0]["command_ms"]["median"]
    for result in results:
        result["ratio_to_shortest"] = round(result["command_ms"]["median"] / base, 2)
    rows = [
        [
            r["events"],
            show(r["command_ms"], " ms"),
            f"{r['first_command_ms']:.1f}",
            f"{r['snapshot_bytes']:,}",
            r["ratio_to_shortest"],
        ]
        for r in results
    ]
    print_table(
        f"One command on a contract of N events, PostgreSQL (median of {RUNS}; target: within 2x of 10 events)",
        ["events", "command (cached contract)", "first command ms (cold)", "snapshot bytes", "x 10 events"],
        rows,
    )
    print(f"results: {write_results('contract_length', {'sizes': results, 'target_ratio': 2.0})}")


if __name__ == "__main__":
    sys.exit(main())
