"""Command throughput of the application service, one thread, against the library's bare round trip.

Figures (commands/s, median of 3 with range, all in one run):
``raw_insert_commit`` the driver alone (one row per transaction); ``library`` eventsourcing's
get -> one event -> save on one aggregate, uncached; ``ledger`` ``LedgerApplication.execute``
(load, guards, hash chain, one event plus its idempotency record in one transaction);
``ledger_untuned`` the same service with the aggregate cache off and a pre-ping on every
statement (as it was before the store tuning), to show what the tuning bought.
"""

from __future__ import annotations

import sys
from datetime import date

from application.service import LedgerApplication
from bench.baselines import Untuned, library_round_trip, raw_insert_commit
from bench.common import (
    RUNS,
    median_of,
    postgres_url,
    print_table,
    rate,
    ratio,
    scaled,
    show,
    sqlite_url,
    write_results,
)
from bench.workload import log_note, sign
from infrastructure.store import StoreConfig

COMMANDS = scaled(400, 20)
NOTE = {"occurred_on": date(2026, 2, 1), "direction": "outbound", "channel": "email", "summary": "note"}


def ledger_rate(url: str, app_class: type[LedgerApplication] = LedgerApplication) -> float:

    app = app_class(StoreConfig(url), create_tables=True)
    contract_id = sign(app)

    def run() -> None:
        for _ in range(COMMANDS):
            log_note(app, contract_id)

    try:
        return rate(COMMANDS, run)
    finally:
        app.close()


def measure(url: str) -> dict[str, dict[str, float]]:
    return {
        "raw_insert_commit": median_of(RUNS, lambda: raw_insert_commit(url, COMMANDS)),
        "library": median_of(RUNS, lambda: library_round_trip(url, COMMANDS)),
        "ledger": median_of(RUNS, lambda: ledger_rate(url)),
        "ledger_untuned": median_of(RUNS, lambda: ledger_rate(url, Untuned)),
    }


def main() -> None:
    rows, results = [], {}
    for name, factory in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        with factory() as url:
            figures = measure(url)
        ratios = {
            "ledger_vs_library": ratio(figures["ledger"], figures["library"]),
            "ledger_vs_raw_insert": ratio(figures["ledger"], figures["raw_insert_commit"]),
            "tuned_vs_untuned": ratio(figures["ledger"], figures["ledger_untuned"]),
        }
        results[name] = {"commands_per_s": figures, "ratios": ratios, "target": {"ledger_vs_library": 1.0}}
        rows.append(
            [
                name,
                show(figures["raw_insert_commit"]),
                show(figures["library"]),
                show(figures["ledger_untuned"]),
                show(figures["ledger"]),
                ratios["ledger_vs_library"],
                ratios["tuned_vs_untuned"],
            ]
        )
    print_table(
        f"Commands/s, one thread, {COMMANDS} commands on one contract (median of {RUNS}, range)",
        [
            "store",
            "raw INSERT+COMMIT",
            "library get/save",
            "ledger before tuning",
            "ledger",
            "ledger/library (target >= 1)",
            "after/before",
        ],
        rows,
    )
    print(f"results: {write_results('core_commands', results)}")


if __name__ == "__main__":
    sys.exit(main())
