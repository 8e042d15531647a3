"""Rebuild of the read models from 100,000 events on PostgreSQL (target: under 60 s on this 2-core machine).

Seeds the store fast (50 contracts per save, ~20 events each), then rebuilds each
read model alone from the whole log, the way ``ledger project --rebuild NAME``
does, and finally all five in one pass (as ``ledger project`` catches up).
``LEDGER_BENCH_EVENTS`` changes the event count; ``--sqlite`` runs on SQLite.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from typing import Any

from application.service import LedgerApplication
from bench.common import (
    RUNS,
    TINY,
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
from infrastructure.store import StoreConfig
from projections.models import READ_MODELS
from projections.projector import drop_model
from projections.runner import BATCH_SIZE, LogSource, Runner
from tests.seeding import seed

EVENTS = int(os.environ.get("LEDGER_BENCH_EVENTS") or scaled(100_000, 1_000))
TARGET_S = 60.0


def measure(runner: Runner, names: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    if len(names) == 1:
        applied = runner.rebuild(names[0])
    else:
        for name in names:
            drop_model(runner.db, READ_MODELS[name])
        runner = Runner(runner.app.store, names, app=runner.app, batch_size=BATCH_SIZE)
        applied = runner.catch_up() // len(names)
        runner.db.close()
    return applied, time.perf_counter() - started


def read_and_decode(app: LedgerApplication) -> int:
    """The baseline: the whole log read in pages and its contract events decoded, nothing applied."""
    source, position, decoded = LogSource(app), 0, 0
    while (batch := source.read(position, BATCH_SIZE)) is not None:
        position, decoded = batch.position, decoded + len(batch.events)
    return decoded


def rebuild_peak_rss(url: str, queue: Any) -> None:
    """In a fresh process: rebuild all five read models, report the peak RSS (KiB)."""
    runner = Runner(StoreConfig(url), list(READ_MODELS))
    measure(runner, list(READ_MODELS))
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss_of_rebuild(url: str) -> int:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=rebuild_peak_rss, args=(url, queue))
    process.start()
    peak = int(queue.get(timeout=1800))
    process.join()
    return peak


def run(url: str) -> dict[str, object]:
    store = StoreConfig(url)
    app = LedgerApplication(store, create_tables=True)
    started = time.perf_counter()
    seeded = seed(app, EVENTS)
    seed_s = time.perf_counter() - started
    rows, results = [], {}
    baseline = median_of(RUNS, lambda: rate(seeded, lambda: read_and_decode(app)))
    all_models = median_of(RUNS, lambda: all_rate(store, app))
    for name in [] if TINY else [*READ_MODELS, "all"]:
        names = list(READ_MODELS) if name == "all" else [name]
        runner = Runner(store, names, app=app, batch_size=BATCH_SIZE)
        applied, elapsed = measure(runner, names)
        runner.db.close()
        results[name] = {"events": applied, "seconds": round(elapsed, 2), "events_per_s": round(applied / elapsed)}
        rows.append(
            [name, applied, f"{elapsed:.2f}", f"{applied / elapsed:,.0f}", "yes" if elapsed < TARGET_S else "NO"]
        )
    app.close()
    rows.append(["raw read + decode (baseline)", seeded, "", show(baseline), ""])
    rows.append(
        [f"all five, median of {RUNS}", seeded, "", show(all_models), f"x baseline {ratio(all_models, baseline)}"]
    )
    print_table(
        f"Rebuild from {seeded:,} events ({store.kind}, batch {BATCH_SIZE}; seeding took {seed_s:.1f} s)",
        ["read model", "events", "seconds", "events/s", f"< {TARGET_S:.0f} s"],
        rows,
    )
    return {
        "store": store.kind,
        "events": seeded,
        "batch_size": BATCH_SIZE,
        "seed_seconds": round(seed_s, 1),
        "rebuilds": results,
        "all_events_per_s": all_models,
        "raw_read_decode_events_per_s": baseline,
        "all_vs_raw": ratio(all_models, baseline),
        "target_all_vs_raw": 0.5,
        "rebuild_peak_rss_kib": peak_rss_of_rebuild(url),
    }


def all_rate(store: StoreConfig, app: LedgerApplication) -> float:
    runner = Runner(store, list(READ_MODELS), app=app, batch_size=BATCH_SIZE)
    applied, elapsed = measure(runner, list(READ_MODELS))
    runner.db.close()
    return applied / elapsed


def main() -> None:
    on_sqlite = "--sqlite" in sys.argv
    with sqlite_url() if on_sqlite else postgres_url() as url:
        result = run(url)
    path = write_results("projections_rebuild" + ("_sqlite" if on_sqlite else ""), result)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
