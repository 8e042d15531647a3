"""A PostgreSQL outage under a running API: fast 503s, nothing half-recorded, recovery on its own.

The database is reached through a TCP proxy the test cuts and restores (the
machine's PostgreSQL keeps running for everyone else); the API is the real
``ledger serve`` (gunicorn, threaded workers).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from application.service import LedgerApplication
from infrastructure.bounds import POOL_WAIT_S
from infrastructure.store import StoreConfig
from tests import pg
from tests.e2e.bodies import TERMS
from tests.e2e.server import Client, migrate, start_gunicorn, stop
from tests.e2e.tcpproxy import TcpProxy

NOTE = {"occurred_on": "2026-02-01", "direction": "outbound", "channel": "email", "summary": "note"}
RECOVERY_S = 5.0
WORKERS_READY_IN_A_ROW = 20


@pytest.fixture
def direct_store(pg_database_url: str) -> StoreConfig:
    store = StoreConfig(f"{pg_database_url}?schema={pg.create_schema(pg_database_url)}")
    migrate(store)
    return store


@pytest.fixture
def proxy(direct_store: StoreConfig) -> Iterator[TcpProxy]:
    parts = urlparse(direct_store.url)
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as running:
        yield running


def through(proxy: TcpProxy, store: StoreConfig) -> StoreConfig:
    parts = urlparse(store.url)
    return StoreConfig(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl())


def timed_get(url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = requests.get(url, timeout=30)
    return answer, time.monotonic() - started


def assert_unavailable(answer: requests.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "store_unavailable"
    assert answer.headers["Retry-After"] == "1"


def wait_ready(url: str, within_s: float, in_a_row: int = 1) -> float:
    """Seconds until ``/readyz`` answered 200 ``in_a_row`` times running (each request may reach either worker)."""
    started, running = time.monotonic(), 0
    while time.monotonic() - started < within_s:
        running = running + 1 if requests.get(f"{url}/readyz", timeout=within_s).status_code == 200 else 0
        if running >= in_a_row:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"/readyz not 200 {in_a_row} times in a row within {within_s} s of the database's return")


def contract_events(store: StoreConfig, contract_id: str) -> int:
    reader = LedgerApplication(store, create_tables=False)
    try:
        return len(list(reader.recorder.select_events(contract_id)))  # type: ignore[arg-type]
    finally:
        reader.close()


def test_while_the_database_is_down_readyz_and_writes_answer_503_fast_nothing_is_recorded_and_it_recovers(
    direct_store: StoreConfig, proxy: TcpProxy, tmp_path: Path
) -> None:
    setup = LedgerApplication(direct_store, create_tables=False)
    key = setup.create_api_key(setup.create_account("Ada"))
    setup.close()
    process, url = start_gunicorn(through(proxy, direct_store), tmp_path)
    try:
        client = Client(url, key)
        contract_id = client.sign(TERMS)
        client.command(contract_id, "/communications", NOTE)
        before = contract_events(direct_store, contract_id)

        proxy.cut()
        ready, ready_s = timed_get(f"{url}/readyz")
        assert_unavailable(ready)
        assert ready_s < 1.0, f"/readyz took {ready_s:.2f} s while the database was down"
        started = time.monotonic()
        write = client.post(f"/v1/contracts/{contract_id}/communications", NOTE)
        assert_unavailable(write)
        assert time.monotonic() - started < 15, "a write must give up well before the worker timeout"
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200

        proxy.restore()
        wait_ready(url, RECOVERY_S)
        assert contract_events(direct_store, contract_id) == before  # the refused write left nothing behind
        client.command(contract_id, "/communications", NOTE)
        assert contract_events(direct_store, contract_id) == before + 1
    finally:
        stop(process)


def test_workers_started_while_the_database_is_down_serve_healthz_and_recover_when_it_returns(
    direct_store: StoreConfig, proxy: TcpProxy, tmp_path: Path
) -> None:
    setup = LedgerApplication(direct_store, create_tables=False)
    key = setup.create_api_key(setup.create_account("Ada"))
    setup.close()
    proxy.cut()
    process, url = start_gunicorn(through(proxy, direct_store), tmp_path)
    try:
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        ready, ready_s = timed_get(f"{url}/readyz")
        assert_unavailable(ready)
        assert ready_s < 1.0
        assert_unavailable(Client(url, key).post("/v1/contracts", TERMS))

        proxy.restore()
        # Each worker opens its stores by itself, and one may be inside an attempt's connection wait when the
        # database returns: both are ready once /readyz answers 200 many times running, whichever worker answers.
        wait_ready(url, RECOVERY_S + POOL_WAIT_S, in_a_row=WORKERS_READY_IN_A_ROW)
        assert process.poll() is None, "gunicorn gave up while the database was down"
        Client(url, key).sign(TERMS)
    finally:
        stop(process)
