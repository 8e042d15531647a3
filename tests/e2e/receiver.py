"""A real webhook receiver (http.server on a free port) and the ``ledger webhooks`` worker as a subprocess."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infrastructure.store import StoreConfig
from tests.e2e.server import LEDGER_BIN

# (path, delivery id, how many times this id arrived before) -> status to answer (after an optional pause)
Behaviour = Callable[[str, str, int], int]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    behaviour: Behaviour = field(default=lambda _path, _id, _seen: 200)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                delivery_id = self.headers.get("Ledger-Delivery-Id", "")
                with receiver.lock:
                    seen = sum(1 for r in receiver.received if r.headers.get("Ledger-Delivery-Id") == delivery_id)
                status = receiver.behaviour(self.path, delivery_id, seen)
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status} ".encode() + b"x" * 5000)  # longer than the stored snippet

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def start_worker(store: StoreConfig, log: Path, *options: str) -> subprocess.Popen[bytes]:
    env = {"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": store.url, "LEDGER_WEBHOOKS_ALLOW_PRIVATE": "yes"}
    with log.open("ab") as out:
        return subprocess.Popen([str(LEDGER_BIN), "webhooks", *options], env=env, stdout=out, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
