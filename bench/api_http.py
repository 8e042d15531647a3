"""The HTTP API under gunicorn: commands/s and latency over real HTTP, against the application called directly.

Each of CLIENTS threads drives its own contract with POST /communications
(one event per command, a fresh Idempotency-Key each); then the same threads
read summaries. ``direct`` is ``LedgerApplication.execute`` in-process on the
same store: the ratio is what HTTP, auth, schemas and the rendered summary cost.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from application.service import LedgerApplication
from bench.common import postgres_url, print_table, sqlite_url, write_results
from infrastructure.store import StoreConfig
from tests.e2e.bodies import TERMS
from tests.e2e.server import Client, migrate, start_gunicorn, stop
from tests.factories import as_command

CLIENTS = 4
PER_CLIENT = 150
NOTE = {"occurred_on": "2026-02-01", "direction": "outbound", "channel": "email", "summary": "note"}


def drive(clients: list[Client], contracts: list[str], request: Callable[[Client, str], object]) -> tuple[float, list[float]]:
    def one_client(index: int) -> list[float]:
        latencies = []
        for _ in range(PER_CLIENT):
            start = time.perf_counter()
            request(clients[index], contracts[index])
            latencies.append(time.perf_counter() - start)
        return latencies

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = [x for chunk in pool.map(one_client, range(CLIENTS)) for x in chunk]
    return len(latencies) / (time.perf_counter() - start), latencies


def post_note(client: Client, contract_id: str) -> None:
    assert client.post(f"/v1/contracts/{contract_id}/communications", NOTE).status_code == 201


def get_summary(client: Client, contract_id: str) -> None:
    assert client.get(f"/v1/contracts/{contract_id}").status_code == 200


def direct(url: str) -> float:
    from ledger_cli.story import SIGNING

    app = LedgerApplication(StoreConfig(url), create_tables=True)
    contract_id = app.sign_contract("bench", SIGNING, idempotency_key=str(uuid.uuid4())).contract_id
    args = {**NOTE, "occurred_on": date(2026, 3, 3)}
    start = time.perf_counter()
    for _ in range(PER_CLIENT):
        app.execute("bench", contract_id, as_command("log_communication", args), idempotency_key=uuid.uuid4().hex)
    rate = PER_CLIENT / (time.perf_counter() - start)
    app.close()
    return rate


def over_http(url: str) -> dict[str, float]:
    store = StoreConfig(url)
    migrate(store)
    setup = LedgerApplication(store, create_tables=False)
    key = setup.create_api_key(setup.create_account("Bench"))
    with tempfile.TemporaryDirectory() as folder:
        process, base = start_gunicorn(store, Path(folder))
        try:
            clients = [Client(base, key) for _ in range(CLIENTS)]
            contracts = [c.sign(TERMS) for c in clients]
            writes, write_latency = drive(clients, contracts, post_note)
            reads, read_latency = drive(clients, contracts, get_summary)
        finally:
            stop(process)
            setup.close()
    return {"commands_per_s": writes, "command_p50_ms": 1000 * statistics.median(write_latency),
            "command_p95_ms": 1000 * statistics.quantiles(write_latency, n=20)[18],
            "summaries_per_s": reads, "summary_p50_ms": 1000 * statistics.median(read_latency)}


def main() -> None:
    rows, results = [], {}
    for name, factory in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        with factory() as url:
            http = over_http(url)
        with factory() as url:
            http["direct_commands_per_s"] = direct(url)
        results[name] = {k: round(v, 1) for k, v in http.items()}
        rows.append([name, f"{http['direct_commands_per_s']:,.0f}", f"{http['commands_per_s']:,.0f}",
                     f"{http['command_p50_ms']:.1f} / {http['command_p95_ms']:.1f}", f"{http['summaries_per_s']:,.0f}",
                     f"{http['summary_p50_ms']:.1f}"])
    print_table(f"HTTP API under gunicorn (2 workers x 2 threads, {CLIENTS} clients x {PER_CLIENT} requests)",
                ["store", "direct execute/s", "HTTP commands/s", "command p50/p95 ms", "HTTP summaries/s",
                 "summary p50 ms"], rows)
    print(f"results: {write_results('api_http', results)}")


if __name__ == "__main__":
    main()
