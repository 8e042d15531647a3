"""The full stack as an operator runs it, each part a real process the fault run can kill and start again.

PostgreSQL (a throwaway cluster), the Tansu broker, ``ledger serve`` (gunicorn), ``ledger consume``,
``ledger relay`` and ``ledger project``: the same commands docker-compose runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from consumers import tansu
from tests.faults.cluster import Cluster
from tests.pg import _free_port

LEDGER_BIN = Path(sys.executable).parent / "ledger"
WORKERS = ("consume", "relay", "project")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT does not count
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Stack:
    def __init__(self, workdir: Path, *, http_workers: int = 2, http_threads: int = 4) -> None:
        self.workdir = workdir
        self.http_workers, self.http_threads = http_workers, http_threads
        self.cluster = Cluster()
        self.database = "ledger_faults"
        self.database_url = self.cluster.create_database(self.database)
        self.kafka_port = tansu.free_port()
        self.http_port = _free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.broker: subprocess.Popen[bytes] | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        (workdir / "metrics").mkdir(exist_ok=True)

    # -- environment and commands ------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LEDGER_DATABASE_URL": self.database_url,
            "LEDGER_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.kafka_port}",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"),
            "LEDGER_RATE_LIMIT": "0",  # a few keys send all the load: per-key limits are tested elsewhere
        }

    def ledger(self, *args: str) -> str:
        done = subprocess.run([str(LEDGER_BIN), *args], env=self.env(), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"ledger {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        return subprocess.Popen(
            [str(LEDGER_BIN), *args],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,
        )

    # -- start and stop the parts -------------------------------------------------
    def start(self) -> None:
        self.ledger("db", "migrate")
        self.start_broker()
        self.start_api()
        for name in WORKERS:
            self.start_worker(name)

    def start_broker(self) -> None:
        self.broker = tansu.start(self.kafka_port, self.workdir / "tansu.log")
        from tests.kafka import fresh_settings

        settings = fresh_settings(f"127.0.0.1:{self.kafka_port}")
        settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)

    def start_api(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not port_is_free(self.http_port):  # a killed master's workers must let go of the port
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.http_port} still held {timeout_s}s after the master died")
            time.sleep(0.1)
        self.api = self.spawn(
            "api",
            "serve",
            "--bind",
            f"127.0.0.1:{self.http_port}",
            "--workers",
            str(self.http_workers),
            "--threads",
            str(self.http_threads),
            "--no-dev-key",
        )
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("the API did not answer /healthz in time")

    def start_worker(self, name: str) -> None:
        self.workers[name] = self.spawn(name, name)

    def http_worker_pids(self) -> list[int]:
        if self.api is None or self.api.poll() is not None:
            return []
        return [child.pid for child in psutil.Process(self.api.pid).children()]

    def orphans(self) -> list[int]:
        """Processes other than a live master that still listen on the API's port."""
        master = self.api.pid if self.api is not None and self.api.poll() is None else None
        return sorted(
            {
                c.pid
                for c in psutil.net_connections("tcp")
                if c.laddr
                and c.laddr.port == self.http_port
                and c.status == psutil.CONN_LISTEN
                and c.pid is not None
                and c.pid != master
            }
        )

    def reap_orphans(self, wait_s: float) -> int:
        """Workers still serving ``wait_s`` after their master died: counted (they are a defect), then killed."""
        deadline = time.monotonic() + wait_s
        while self.orphans() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.orphans()
        for pid in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
        return len(left)

    def kill(self, process: subprocess.Popen[bytes] | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.api.wait(timeout=20)
        for process in [self.api, *self.workers.values()]:
            if process is not None and process.poll() is None:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=20)
                self.kill(process)
        self.reap_orphans(wait_s=0)
        if self.broker is not None:
            tansu.stop(self.broker)
        self.cluster.destroy()
