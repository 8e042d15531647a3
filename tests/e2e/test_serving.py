"""How ``ledger serve`` behaves as a process: idle clients, a killed master, a graceful stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from tests.e2e.bodies import TERMS
from tests.e2e.server import Client, migrate, start_gunicorn, stop

IDLE_CONNECTIONS = 50
REQUESTS = 40


@pytest.fixture
def served(sqlite_store: StoreConfig, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    migrate(sqlite_store)
    setup = LedgerApplication(sqlite_store)
    key = setup.create_api_key(setup.create_account("Ada"))
    setup.close()
    process, url = start_gunicorn(sqlite_store, tmp_path)
    try:
        yield process, url, key
    finally:
        stop(process)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_fifty_connections_that_send_nothing_do_not_slow_down_other_clients(
    served: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, key = served
    client = Client(url, key)
    contract_id = client.sign(TERMS)
    port = int(url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE_CONNECTIONS)]
    try:
        time.sleep(0.2)  # every idle connection has been accepted by a worker
        latencies = []
        for _ in range(REQUESTS):
            started = time.monotonic()
            assert client.get(f"/v1/contracts/{contract_id}").status_code == 200
            latencies.append(time.monotonic() - started)
    finally:
        for sock in idle:
            sock.close()
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 1.0, f"p99 {p99:.2f} s with {IDLE_CONNECTIONS} idle connections open"


def test_a_killed_master_leaves_no_worker_holding_the_port(served: tuple[subprocess.Popen[bytes], str, str]) -> None:
    process, url, _ = served
    workers = children(process.pid)
    assert len(workers) == 2, workers
    port = int(url.rsplit(":", 1)[1])
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (any(alive(w) for w in workers) or not port_free(port)):
        time.sleep(0.1)
    assert not [w for w in workers if alive(w)], "workers outlived their master"
    assert port_free(port), "the port is still held after the master was killed"


def test_sigterm_lets_a_request_in_flight_finish_before_the_server_exits(
    served: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    process, url, key = served
    body = json.dumps(TERMS).encode()
    head = (
        f"POST /v1/contracts HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=20) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.5)  # a worker thread is reading the body
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        with pytest.raises((requests.ConnectionError, requests.Timeout)):
            requests.get(f"{url}/healthz", timeout=2)  # draining: new requests are not served
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    assert process.wait(timeout=15) == 0
