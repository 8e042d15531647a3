"""The HTTP API under gunicorn (``ledger serve``, 2 workers): closed-loop rates, open-loop latency, worker memory.

Closed loop (CLIENTS threads, each on its own contract, median of 3 with range):
POST /communications (one event per command), GET the summary, and GET /healthz
(the trivial-route baseline). ``direct`` is ``LedgerApplication.execute``
in-process on the same store, one thread (the in-process baseline). Open loop,
PostgreSQL: a separate process (``bench.loadgen``) offers 70 % of the measured
maximum command rate at fixed arrival times; latency counts from the scheduled
time. Memory: the peak RSS (VmHWM) of each worker after the load.
Targets: HTTP commands >= 0.70 x direct; summaries >= 0.50 x /healthz; p99 < 50 ms at 70 %.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from application.service import LedgerApplication
from bench.common import (
    RUNS,
    TINY,
    median_of,
    postgres_url,
    print_table,
    ratio,
    scaled,
    show,
    sqlite_url,
    write_results,
)
from bench.workload import log_note, sign
from infrastructure.store import StoreConfig
from tests.e2e.bodies import TERMS
from tests.e2e.server import Client, migrate, start_gunicorn, stop

CLIENTS = 4
PER_CLIENT = scaled(100, 5)
OPEN_LOOP_S = scaled(20, 2)
LOAD_SHARE = 0.70
NOTE = {"occurred_on": "2026-02-01", "direction": "outbound", "channel": "email", "summary": "note"}


def drive(clients: list[Client], contracts: list[str], request: Callable[[Client, str], object]) -> float:
    def one_client(index: int) -> None:
        for _ in range(PER_CLIENT):
            request(clients[index], contracts[index])

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one_client, range(CLIENTS)))
    return CLIENTS * PER_CLIENT / (time.perf_counter() - start)


def post_note(client: Client, contract_id: str) -> None:
    assert client.post(f"/v1/contracts/{contract_id}/communications", NOTE).status_code == 201


def get_summary(client: Client, contract_id: str) -> None:
    assert client.get(f"/v1/contracts/{contract_id}").status_code == 200


def get_health(client: Client, contract_id: str) -> None:
    assert client.get("/healthz").status_code == 200


def direct(url: str) -> float:
    app = LedgerApplication(StoreConfig(url))
    contract_id = sign(app)
    start = time.perf_counter()
    for _ in range(PER_CLIENT):
        log_note(app, contract_id)
    figure = PER_CLIENT / (time.perf_counter() - start)
    app.close()
    return figure


def open_loop(url: str, key: str, rate: float, contracts: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.loadgen", url, key, f"{rate:.1f}", str(OPEN_LOOP_S), *contracts]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=OPEN_LOOP_S + 120)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def worker_peak_rss_kib(master_pid: int) -> list[int]:
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]))
    return peaks


def over_http(url: str, *, loaded: bool) -> dict[str, Any]:
    store = StoreConfig(url)
    migrate(store)
    setup = LedgerApplication(store, create_tables=False)
    key = setup.create_api_key(setup.create_account("Bench"))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_gunicorn(store, Path(folder), workers=2, threads=4)
        try:
            clients = [Client(base, key) for _ in range(CLIENTS)]
            contracts = [c.sign(TERMS) for c in clients]
            results["healthz_per_s"] = median_of(RUNS, lambda: drive(clients, contracts, get_health))
            results["commands_per_s"] = median_of(RUNS, lambda: drive(clients, contracts, post_note))
            results["summaries_per_s"] = median_of(RUNS, lambda: drive(clients, contracts, get_summary))
            if loaded:
                rate = LOAD_SHARE * results["commands_per_s"]["median"]
                results["open_loop_at_70_percent"] = open_loop(base, key, rate, contracts)
                results["worker_peak_rss_kib"] = worker_peak_rss_kib(process.pid)
        finally:
            stop(process)
            setup.close()
    results["direct_commands_per_s"] = median_of(RUNS, lambda: direct(url))
    return results


def main() -> None:
    rows, results = [], {}
    stores = (("postgres", postgres_url),) if TINY else (("sqlite", sqlite_url), ("postgres", postgres_url))
    for name, factory in stores:
        with factory() as url:
            found = over_http(url, loaded=name == "postgres")
        found["ratios"] = {
            "commands_vs_direct": ratio(found["commands_per_s"], found["direct_commands_per_s"]),
            "summaries_vs_healthz": ratio(found["summaries_per_s"], found["healthz_per_s"]),
        }
        results[name] = found
        load = found.get("open_loop_at_70_percent", {})
        rows.append(
            [
                name,
                show(found["direct_commands_per_s"]),
                show(found["commands_per_s"]),
                found["ratios"]["commands_vs_direct"],
                show(found["healthz_per_s"]),
                show(found["summaries_per_s"]),
                found["ratios"]["summaries_vs_healthz"],
                f"{load['p50_ms']}/{load['p95_ms']}/{load['p99_ms']} @ {load['offered_per_s']}/s" if load else "-",
                ",".join(str(kib // 1024) for kib in found.get("worker_peak_rss_kib", [])) or "-",
            ]
        )
    results["targets"] = {"commands_vs_direct": 0.7, "summaries_vs_healthz": 0.5, "p99_ms_at_70_percent": 50}
    print_table(
        f"HTTP API, gunicorn 2 workers x 4 threads, {CLIENTS} clients x {PER_CLIENT} (median of {RUNS}, range)",
        [
            "store",
            "direct execute/s",
            "HTTP commands/s",
            "x direct",
            "GET /healthz/s",
            "GET summary/s",
            "x healthz",
            "open loop p50/p95/p99 ms",
            "worker peak RSS MiB",
        ],
        rows,
    )
    print(f"results: {write_results('api_http', results)}")


if __name__ == "__main__":
    main()
