"""Baselines measured in the same run as the figures they judge: what the library and the driver do bare.

``library_round_trip``: get -> one event -> save with eventsourcing alone (no idempotency record, no hash
chain, no guards). ``raw_insert_commit``: one ``INSERT`` and ``COMMIT`` per row on one connection with the
bare driver (psycopg or sqlite3): the floor of a durable write on this machine.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import Environment

from application.service import LedgerApplication
from bench.common import rate
from infrastructure.store import StoreConfig


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, note: str) -> None:
        self.count += 1


class Bare(Application):
    snapshotting_intervals = {Counter: 100}  # noqa: RUF012 - same snapshot interval as the ledger's contracts

    def construct_env(self, name: str, env: Any = None) -> Environment:
        return Environment(name, dict(env or {}))  # only the settings given, as the ledger does


class Untuned(LedgerApplication):
    """The service as it was before the store tuning: no aggregate cache, a pre-ping on every statement."""

    def construct_env(self, name: str, env: Any = None) -> Environment:
        return super().construct_env(name, {**(env or {}), "AGGREGATE_CACHE_MAXSIZE": "", "POSTGRES_PRE_PING": "y"})


def library_round_trip(url: str, commands: int, *, cached: bool = False) -> float:
    """Commands/s of get -> one event -> save on one aggregate, eventsourcing alone (uncached by default)."""
    env = StoreConfig(url).library_env(create_tables=True)
    if not cached:
        env = {**env, "AGGREGATE_CACHE_MAXSIZE": ""}
    app = Bare(env=env)
    counter = Counter()
    app.save(counter)

    def run() -> None:
        for index in range(commands):
            item = app.repository.get(counter.id)
            item.increment(note=f"n{index}")
            app.save(item)

    try:
        return rate(commands, run)
    finally:
        app.close()


def raw_insert_commit(url: str, rows: int) -> float:
    """Rows/s of ``INSERT`` + ``COMMIT``, one transaction per row, with the bare driver."""
    store = StoreConfig(url)
    table = f"bench_raw_{uuid4().hex[:8]}"
    payload = b"x" * 300  # about one stored event
    if store.kind == "sqlite":
        conn = sqlite3.connect(store.sqlite_path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body BLOB)")

        def run_sqlite() -> None:
            for _ in range(rows):
                conn.execute("BEGIN")
                conn.execute(f"INSERT INTO {table} (body) VALUES (?)", (payload,))  # nosec B608 - our own table name
                conn.execute("COMMIT")

        try:
            return rate(rows, run_sqlite)
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(store.pg_conninfo) as pg:
        pg.execute(f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, body BYTEA)")
        pg.commit()

        def run_pg() -> None:
            for _ in range(rows):
                pg.execute(f"INSERT INTO {table} (body) VALUES (%s)", (payload,))  # nosec B608 - our own table name
                pg.commit()

        figure = rate(rows, run_pg)
        pg.execute(f"DROP TABLE {table}")
        pg.commit()
        return figure
