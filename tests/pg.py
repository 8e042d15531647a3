"""PostgreSQL for the test suite: given, found on 127.0.0.1:5432, or started as a throwaway cluster.

Order: ``LEDGER_TEST_DATABASE_URL`` if set; else a server answering on
127.0.0.1:5432 (a throwaway database is created for the run and dropped
after); else a throwaway cluster started with the installed server binaries.
Under ``CI=true`` PostgreSQL must be available: failing is better than skipping.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@contextmanager
def _throwaway_cluster() -> Iterator[str]:
    initdb, pg_ctl = _server_bin("initdb"), _server_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("no PostgreSQL: set LEDGER_TEST_DATABASE_URL, run one on 127.0.0.1:5432, or install it")
    data = tempfile.mkdtemp(prefix="ledger-pg-")
    port = _free_port()
    user = "postgres"
    subprocess.run([initdb, "-D", data, "-U", user, "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run(
        [pg_ctl, "-D", data, "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def server_url() -> Iterator[str]:
    """A URL of a PostgreSQL server's maintenance database."""
    given = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if given:
        yield given
    elif _answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
    else:
        with _throwaway_cluster() as url:
            yield url


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        for _ in range(20):
            try:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                time.sleep(0.25)


def create_schema(database_url: str) -> str:
    """A fresh schema per test: fast isolation inside the run's database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


@contextmanager
def connections_refused(admin_url: str, database: str) -> Iterator[None]:
    """While the block runs, the server refuses new connections to ``database`` (existing ones stay)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
