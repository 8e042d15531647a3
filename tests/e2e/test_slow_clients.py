"""Slow clients behind the buffering front: nginx (the compose file's config) before the real ``ledger serve``.

Fifty clients trickle their request headers a byte at a time and fifty more
connect and send nothing; meanwhile an ordinary client's requests keep a p99
under one second. Without the front, each trickling client would hold a
gunicorn thread for as long as it trickles.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from tests.e2e.bodies import TERMS
from tests.e2e.server import Client, free_port, migrate, start_gunicorn, stop

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "ledger.conf.template"
SLOW_CLIENTS = 50
REQUESTS = 60
TRICKLE_PAUSE_S = 0.5


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("nginx is required (make system-deps installs it)")
        pytest.skip("nginx is not installed (make system-deps)")
    return found


def nginx_config(workdir: Path, listen: int, upstream: str) -> Path:
    server = (
        TEMPLATE.read_text().replace("${LEDGER_LISTEN}", f"127.0.0.1:{listen}").replace("${LEDGER_UPSTREAM}", upstream)
    )
    temp = {name: workdir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir(exist_ok=True)
    config = workdir / "nginx.conf"
    config.write_text(
        f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n access_log off;\n client_body_temp_path {temp['client_body']};\n proxy_temp_path {temp['proxy']};\n"
        f" fastcgi_temp_path {temp['fastcgi']};\n uwsgi_temp_path {temp['uwsgi']};\n scgi_temp_path {temp['scgi']};\n"
        f"{server}\n}}\n"
    )
    return config


@pytest.fixture
def fronted(sqlite_store: StoreConfig, tmp_path: Path) -> Iterator[tuple[str, str]]:
    binary = nginx_binary()
    migrate(sqlite_store)
    setup = LedgerApplication(sqlite_store)
    key = setup.create_api_key(setup.create_account("Ada"))
    setup.close()
    process, api_url = start_gunicorn(sqlite_store, tmp_path)
    port = free_port()
    config = nginx_config(tmp_path, port, api_url.removeprefix("http://"))
    nginx = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off; master_process off;"],
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
                time.sleep(0.05)
        yield url, key
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        stop(process)


def trickle(port: int, stop: threading.Event) -> None:
    """Send a request's headers one byte every TRICKLE_PAUSE_S, never finishing."""
    head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"x" * 200
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for byte in head:
            if stop.wait(TRICKLE_PAUSE_S):
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return  # the front closed it (header timeout): that is its job


def test_fifty_trickling_and_fifty_idle_clients_leave_other_requests_a_p99_under_one_second(
    fronted: tuple[str, str],
) -> None:
    url, key = fronted
    client = Client(url, key)
    contract_id = client.sign(TERMS)
    port = int(url.rsplit(":", 1)[1])
    stop = threading.Event()
    slow = [threading.Thread(target=trickle, args=(port, stop), daemon=True) for _ in range(SLOW_CLIENTS)]
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(SLOW_CLIENTS)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2 * TRICKLE_PAUSE_S)  # every slow client has started its request
        latencies = []
        for _ in range(REQUESTS):
            started = time.monotonic()
            assert client.get(f"/v1/contracts/{contract_id}").status_code == 200
            latencies.append(time.monotonic() - started)
    finally:
        stop.set()
        for sock in idle:
            sock.close()
        for thread in slow:
            thread.join(timeout=5)
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 1.0, f"p99 {p99:.2f} s with {SLOW_CLIENTS} trickling and {SLOW_CLIENTS} idle clients"
