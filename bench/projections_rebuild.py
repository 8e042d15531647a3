"""Read models on PostgreSQL: rebuild from the whole log against the raw read of that log, and the live lag.

Seeds the store fast (50 contracts per save, ~20 events each), then in the same run:

- the baseline: read the whole notification log in pages and decode every contract event (what any projection must
  do at least), median of 3;
- all five rebuilt in one pass (as ``ledger project`` catches up), median of 3, and its ratio to the baseline
  (target >= 0.50); each run right after a run of the baseline, so that both see the same load;
- each read model rebuilt alone, the way ``ledger project --rebuild NAME`` does (once each);
- the live lag: a runner woken by the store's NOTIFY while events are saved one at a time at a fixed rate; for each
  event the time from its recording to the commit of the read models that applied it (target p99 < 100 ms); and,
  as the same run's reference, a runner polling every 50 ms (SQLite's way, and PostgreSQL's while LISTEN is down).

``LEDGER_BENCH_EVENTS`` changes the event count (default 100,000); ``--sqlite`` runs on SQLite.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from typing import Any

from application.service import LedgerApplication
from bench.common import postgres_url, print_table, scaled, sqlite_url, write_results
from infrastructure.store import StoreConfig
from projections.models import READ_MODELS
from projections.projector import drop_model
from projections.runner import BATCH_SIZE, POLL_INTERVAL_S, LogSource, Runner
from tests.seeding import new_contract, seed

EVENTS = int(os.environ.get("LEDGER_BENCH_EVENTS") or scaled(100_000, 1_000))
RUNS = scaled(3, 1)
RATIO_TARGET = 0.50
LAG_TARGET_MS = 100.0
LAG_EVENTS = int(os.environ.get("LEDGER_BENCH_LAG_EVENTS") or scaled(200, 20))
LAG_INTERVAL_S = 0.05


def read_and_decode(app: LedgerApplication) -> tuple[int, float]:
    """The baseline: every page of the log read and its contract events decoded, nothing written."""
    source, position, decoded = LogSource(app), 0, 0
    started = time.perf_counter()
    while (batch := source.read(position, BATCH_SIZE)) is not None:
        position, decoded = batch.position, decoded + len(batch.events)
    return decoded, time.perf_counter() - started


def rebuild(store: StoreConfig, app: LedgerApplication, names: list[str]) -> tuple[int, float]:
    """Drop the models and catch them up from the start of the log; (contract events, seconds)."""
    dropping = Runner(store, names, app=app, batch_size=BATCH_SIZE)
    for name in names:
        drop_model(dropping.db, READ_MODELS[name])
    dropping.db.close()
    runner = Runner(store, names, app=app, batch_size=BATCH_SIZE)
    try:
        started = time.perf_counter()
        applied = runner.catch_up() // len(names)
        return applied, time.perf_counter() - started
    finally:
        runner.db.close()


def live_lag(store: StoreConfig, app: LedgerApplication, *, listen: bool = True) -> list[float]:
    """Lags in ms of ``LAG_EVENTS`` events saved one at a time every ``LAG_INTERVAL_S``, projected as they come by a
    runner woken by the store's NOTIFY (``listen``) or polling every ``POLL_INTERVAL_S``."""
    runner = Runner(store, app=app)
    runner.catch_up()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), kwargs={"listen": listen}, daemon=True)
    thread.start()
    contract = new_contract("bench-lag", 0)
    app.save(contract)
    runner.projector.lags.clear()
    try:
        for n in range(LAG_EVENTS):
            time.sleep(LAG_INTERVAL_S)
            contract.log_communication(occurred_on=date(2026, 6, 1), direction="inbound", channel="email",
                                       summary=f"lag probe {n}")
            app.save(contract)
        deadline = time.monotonic() + 30
        while len(runner.projector.lags) < LAG_EVENTS and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
        runner.db.close()
    return [1000 * lag for lag in list(runner.projector.lags)[-LAG_EVENTS:]]


def rate_of(measured: tuple[int, float]) -> float:
    count, seconds = measured
    return count / seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def rebuild_in_a_process(store: StoreConfig) -> tuple[int, float]:
    """All five dropped, then rebuilt by ``ledger project`` in its own process: (peak RSS in KiB, seconds).

    The peak is the process's own (``wait4``'s resource usage of that child), so the benchmark's memory does not count.
    The seconds include the process's start-up."""
    dropping = Runner(store, list(READ_MODELS), batch_size=BATCH_SIZE)
    for name in READ_MODELS:
        drop_model(dropping.db, READ_MODELS[name])
    dropping.db.close()
    command = [sys.executable, "-c", "from ledger_cli.main import cli; cli()", "project", "--exit-when-caught-up"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, "LEDGER_DATABASE_URL": store.url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"ledger project exited with {process.returncode}")
    return int(usage.ru_maxrss), elapsed  # KiB on Linux


def run(url: str) -> dict[str, Any]:
    store = StoreConfig(url)
    app = LedgerApplication(store, create_tables=True)
    started = time.perf_counter()
    seeded = seed(app, EVENTS)
    seed_s = time.perf_counter() - started
    # The baseline and the all-five rebuild alternate, so that both see the same load on a shared machine.
    raw: list[float] = []
    every: list[float] = []
    for _ in range(RUNS):
        raw.append(rate_of(read_and_decode(app)))
        every.append(rate_of(rebuild(store, app, list(READ_MODELS))))
    rows: list[list[Any]] = []
    results: dict[str, dict[str, Any]] = {}
    for name in READ_MODELS:
        applied, elapsed = rebuild(store, app, [name])
        results[name] = {"events": applied, "seconds": round(elapsed, 2), "events_per_s": round(applied / elapsed)}
        rows.append([name, f"{applied / elapsed:,.0f}", "1 run", f"{applied / elapsed / statistics.median(raw):.2f}"])
    ratio = statistics.median(every) / statistics.median(raw)
    results["all"] = {"events_per_s": round(statistics.median(every)), "range": [round(min(every)), round(max(every))]}
    rows.append(["all five in one pass", f"{statistics.median(every):,.0f}", spread(every), f"{ratio:.2f}"])
    rows.append(["baseline: raw read + decode", f"{statistics.median(raw):,.0f}", spread(raw), "1.00"])
    peak_kib, process_s = rebuild_in_a_process(store)
    rows.append(["all five, `ledger project` process", f"{seeded / process_s:,.0f}", "1 run",
                 f"peak RSS {peak_kib / 1024:.0f} MiB"])
    lags = live_lag(store, app)
    polled = live_lag(store, app, listen=False)  # the same run's reference: the runner polling as SQLite's does
    app.close()
    print_table(f"Rebuild from {seeded:,} events ({store.kind}, batch {BATCH_SIZE}; seeding took {seed_s:.1f} s; "
                f"median of {RUNS} where a range is shown)",
                ["read model", "events/s", "range", f"ratio to raw (target all five >= {RATIO_TARGET})"], rows)
    p50, p99 = percentile(lags, 0.50), percentile(lags, 0.99)
    print_table(f"Live lag: {len(lags)} events saved every {LAG_INTERVAL_S * 1000:.0f} ms, recorded -> read models "
                "committed", ["runner", "p50 ms", "p99 ms", "max ms", f"p99 < {LAG_TARGET_MS:.0f} ms"],
                [["woken by NOTIFY", f"{p50:.1f}", f"{p99:.1f}", f"{max(lags):.1f}",
                  "yes" if p99 < LAG_TARGET_MS else "NO"],
                 [f"polling every {POLL_INTERVAL_S * 1000:.0f} ms", f"{percentile(polled, 0.5):.1f}",
                  f"{percentile(polled, 0.99):.1f}", f"{max(polled):.1f}", "-"]])
    return {"store": store.kind, "events": seeded, "batch_size": BATCH_SIZE, "seed_seconds": round(seed_s, 1),
            "raw_read_decode_per_s": round(statistics.median(raw)), "raw_range": [round(min(raw)), round(max(raw))],
            "all_five_ratio_to_raw": round(ratio, 3),
            "rebuild_process": {"peak_rss_kib": peak_kib, "seconds": round(process_s, 2)}, "ratio_target": RATIO_TARGET, "rebuilds": results,
            "lag_ms": {"events": len(lags), "p50": round(p50, 1), "p99": round(p99, 1), "max": round(max(lags), 1),
                       "target_p99": LAG_TARGET_MS},
            "lag_ms_polling": {"events": len(polled), "p50": round(percentile(polled, 0.5), 1),
                               "p99": round(percentile(polled, 0.99), 1), "max": round(max(polled), 1),
                               "poll_interval_ms": POLL_INTERVAL_S * 1000}}


def main() -> None:
    on_sqlite = "--sqlite" in sys.argv
    with sqlite_url() if on_sqlite else postgres_url() as url:
        result = run(url)
    path = write_results("projections_rebuild" + ("_sqlite" if on_sqlite else ""), result)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
