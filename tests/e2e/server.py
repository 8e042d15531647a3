"""A real gunicorn serving the API for the e2e tests, and a small client for it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from application.service import LedgerApplication, is_contract_topic
from infrastructure.store import StoreConfig

START_TIMEOUT_S = 30
LEDGER_BIN = Path(sys.executable).parent / "ledger"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def migrate(store: StoreConfig) -> None:
    """``ledger db migrate``: the event store and read-model tables, created once before any worker starts."""
    env = {"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": store.url}
    subprocess.run([str(LEDGER_BIN), "db", "migrate"], env=env, check=True, capture_output=True, timeout=60)


def start_gunicorn(store: StoreConfig, workdir: Path, *, workers: int = 2, threads: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """``ledger serve`` on a free port (the real entry point), waiting until /healthz answers."""
    port = free_port()
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": store.url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "LEDGER_RUN_PROJECTIONS": "yes",  # the read models follow the log in the workers, on both stores
           "LEDGER_WEBHOOKS_ALLOW_PRIVATE": "yes",  # webhook receivers in the tests listen on 127.0.0.1
           "LEDGER_RATE_LIMIT": "100000"}  # few keys for many requests (the limits: test_keys_and_limits)
    log = (workdir / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(LEDGER_BIN), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads",
         str(threads), "--no-dev-key"],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, url, workdir / "gunicorn.log")
    return process, url


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_S}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Client:
    """One account's view of the API."""

    url: str
    key: str
    session: requests.Session = field(default_factory=requests.Session)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.url + path, params=params, headers=self.headers(), timeout=30)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url + path, headers=self.headers(), timeout=30)

    def post(self, path: str, body: Any, key: str | None = None, **headers: str) -> requests.Response:
        extra = {"Content-Type": "application/json", "Idempotency-Key": key or uuid.uuid4().hex}
        extra.update({name.replace("_", "-"): value for name, value in headers.items()})
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.session.post(self.url + path, data=data, headers=self.headers(extra), timeout=30)

    def sign(self, terms: dict[str, Any]) -> str:
        answer = self.post("/v1/contracts", terms)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def command(self, contract_id: str, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        answer = self.post(f"/v1/contracts/{contract_id}{path}", body, **headers)
        assert answer.status_code == 201, f"{path}: {answer.status_code} {answer.text}"
        return dict(answer.json())

    def events(self, contract_id: str) -> list[dict[str, Any]]:
        answer = self.get(f"/v1/contracts/{contract_id}/events", limit=500)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])


@dataclass
class Server:
    url: str
    store: StoreConfig
    reader: LedgerApplication  # a separate process's view of the same store, to check what was recorded
    ada: Client
    bob: Client

    def new_client(self, name: str) -> Client:
        """A fresh account with its own key (its invoice numbers start again at INV-000001)."""
        return Client(self.url, self.reader.create_api_key(self.reader.create_account(name)))

    def notification_count(self) -> int:
        return int(self.reader.recorder.max_notification_id() or 0)

    def contract_event_count(self) -> int:
        notifications = self.reader.recorder.select_notifications(start=1, limit=1_000_000)
        return sum(1 for n in notifications if is_contract_topic(n.topic))


def is_problem(answer: requests.Response, status: int, code: str | None = None) -> bool:
    """The answer is RFC 9457 problem details with our fields, for this status (and code)."""
    assert answer.status_code == status, f"{answer.status_code} {answer.text}"
    assert answer.headers["Content-Type"].startswith("application/problem+json"), answer.headers["Content-Type"]
    body = answer.json()
    assert set(body) == {"type", "title", "status", "detail", "code", "errors"}, body
    assert body["status"] == status and isinstance(body["errors"], dict) and body["detail"]
    assert body["type"].endswith(body["code"])
    if code is not None:
        assert body["code"] == code, body
    return True
