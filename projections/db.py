"""One small adapter over the read-model database: the event store's SQLite file or PostgreSQL schema.

The projections write plain SQL with ``?`` placeholders; ``for_psycopg`` turns
them into psycopg's ``%s`` once per statement (a ``?`` inside a quoted literal
stays, a literal ``%`` is escaped), and the PostgreSQL ``search_path`` is set to
the store's schema, so the same statements run on both. A transaction is a ``with``
block; everything a batch writes (rows and tracking) is inside one.

One ``Database`` may serve many threads. On PostgreSQL it borrows from the
store's connection pool (``projections.pgpool``: one per store per process,
bounded, each connection checked before use): a statement outside a
transaction takes a connection for that statement only; a transaction holds
one connection for its whole block (the thread's statements inside it run on
that connection). A statement outside a transaction that fails because the
server dropped its connection is retried once on another one; inside a
transaction the error propagates (the caller retries the whole batch). No
connection within ``pgpool.WAIT_S`` (the database is down, or the pool is
exhausted) is ``PoolTimeout``, a ``psycopg.OperationalError``. On SQLite each
thread has a connection of its own to the file.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from infrastructure.store import StoreConfig
from projections import pgpool

SQLITE_BUSY_TIMEOUT_S = 30.0
SMALL_PAGE_ROWS = 300  # up to this many rows (a few contracts), one INSERT statement for all tables beats a COPY per table
T = TypeVar("T")
# A quoted literal (kept whole), a placeholder, or a percent sign.
SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|%")


class ThreadConnection(sqlite3.Connection):
    """A thread's SQLite connection; a subclass only so that ``Database`` can hold it by a weak reference (it closes
    when its thread ends)."""


class Database:
    """The read-model tables of one store, for any number of threads."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        self.kind = store.kind
        self.local = threading.local()  # per thread: the transaction's connection, the SQLite connection
        self.types: dict[str, list[str]] = {}  # column types per table (PostgreSQL), for array parameters
        self.lock = threading.Lock()
        self.sqlite_connections: weakref.WeakSet[ThreadConnection] = weakref.WeakSet()
        self.pool: Any = None
        self.pid = os.getpid()
        self.released: weakref.finalize | None = None
        if self.kind == "postgres":
            self.attach()

    def attach(self) -> None:
        """Use this process's pool of the store (a handle carried across a fork gets its new process's pool)."""
        self.pid = os.getpid()
        self.pool = pgpool.POOLS.acquire(self.store)
        self.released = weakref.finalize(self, pgpool.POOLS.release, pgpool.key_of(self.store), self.pid)

    def sqlite_connection(self) -> sqlite3.Connection:
        conn: ThreadConnection | None = getattr(self.local, "sqlite", None)
        if conn is None:
            conn = sqlite3.connect(self.store.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False, factory=ThreadConnection)
            conn.execute("PRAGMA journal_mode=WAL")  # readers never block the event store's writer
            self.local.sqlite = conn
            with self.lock:
                self.sqlite_connections.add(conn)
        return conn

    def borrow(self) -> Any:
        """A checked pooled connection (PostgreSQL), to give back with ``self.pool.putconn``."""
        if self.pid != os.getpid():
            self.attach()
        return pgpool.borrow(self.pool)

    def run(self, call: Callable[[Any], T]) -> T:
        """One statement on this thread's transaction, else on a pooled connection: retried once if it was lost."""
        pinned = getattr(self.local, "transaction", None)
        if pinned is not None:
            return call(pinned)
        if self.kind == "sqlite":
            return call(self.sqlite_connection())
        for retry in (False, True):
            conn = self.borrow()
            try:
                return call(conn)
            except Exception:
                if retry or not pgpool.lost(conn):
                    raise  # a real error (or lost twice): not ours to retry
            finally:
                self.pool.putconn(conn)  # a lost one is discarded and replaced by the pool
        raise AssertionError("unreachable")

    def sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else for_psycopg(statement)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """BEGIN ... COMMIT on one connection held for the block, or ROLLBACK on any error: all or nothing."""
        if self.kind == "sqlite":
            conn: Any = self.sqlite_connection()
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn = self.borrow()
        try:
            if self.kind == "postgres":
                conn.execute("BEGIN")
            self.local.transaction = conn
            try:
                yield self
            except BaseException:
                if self.kind == "sqlite" or not pgpool.lost(conn):  # a lost connection has rolled back already
                    conn.execute("ROLLBACK")
                raise
            finally:
                self.local.transaction = None
            conn.execute("COMMIT")
        finally:
            if self.kind == "postgres":
                self.pool.putconn(conn)

    def pipelined_transaction(self, send: Callable[[], Sequence[tuple[Any, int]]]) -> bool:
        """PostgreSQL: BEGIN and the statements ``send`` issues (with ``send``/``replace_rows``) in one round trip
        (psycopg's pipeline mode), then COMMIT if each ``(cursor, rows)`` it returns changed exactly that many rows,
        else ROLLBACK and False. An error rolls back and propagates. (No COPY inside: a pipeline cannot.)"""
        conn = self.borrow()
        try:
            self.local.transaction = conn
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    checks = send()
                complete = all(cursor.rowcount == rows for cursor, rows in checks)
            except BaseException:
                if not pgpool.lost(conn):  # a lost connection has rolled back already
                    conn.execute("ROLLBACK")
                raise
            finally:
                self.local.transaction = None
            conn.execute("COMMIT" if complete else "ROLLBACK")
            return complete
        finally:
            self.pool.putconn(conn)

    def send(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Execute and return the cursor (inside ``pipelined_transaction``: its results arrive at the sync)."""
        return self.run(lambda conn: conn.execute(self.sql(statement), tuple(params)))

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.run(lambda conn: conn.execute(self.sql(statement), tuple(params)))

    def execute_count(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Execute and return how many rows changed."""
        return self.run(lambda conn: int(conn.execute(self.sql(statement), tuple(params)).rowcount))

    def replace_rows(self, tables: Sequence[tuple[str, int, Sequence[str], Sequence[Sequence[Any]]]]) -> None:
        """For each ``(table, width, contract_ids, rows)``: delete the contracts' rows, insert ``rows``.

        PostgreSQL: one DELETE statement for every table together, then the rows: a small page (the live case) in
        one INSERT statement for every table, a large one (a rebuild) with one ``COPY ... FROM STDIN`` per table, which
        costs less per row; SQLite (in process, no round trips): a chunked DELETE and an ``executemany`` per table."""
        if self.kind == "sqlite":
            for table, width, ids, rows in tables:
                self.delete_where_in(table, "contract_id", ids)
                self.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * width)})", rows)
            return
        self.run(lambda conn: self.replace_pg_rows(conn, tables))

    def replace_pg_rows(self, conn: Any, tables: Sequence[tuple[str, int, Sequence[str], Sequence[Sequence[Any]]]]
                        ) -> None:
        deletes = [(table, list(ids)) for table, _, ids, _ in tables if ids]
        if deletes:
            parts = ", ".join(f"d{n} AS (DELETE FROM {table} WHERE contract_id = ANY(%s))"
                              for n, (table, _) in enumerate(deletes))
            conn.execute(f"WITH {parts} SELECT 1", [ids for _, ids in deletes])
        inserts = [(table, rows) for table, _, _, rows in tables if rows]
        if sum(len(rows) for _, rows in inserts) <= SMALL_PAGE_ROWS:
            self.insert_unnest(conn, inserts)
            return
        with conn.cursor() as cursor:
            for table, rows in inserts:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

    def insert_unnest(self, conn: Any, inserts: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Every table's rows in ONE statement (an INSERT per table in a WITH, one array parameter per column)."""
        if not inserts:
            return
        parts, params = [], []
        for n, (table, rows) in enumerate(inserts):
            columns = ", ".join(f"%s::{kind}[]" for kind in self.column_types(conn, table))
            parts.append(f"i{n} AS (INSERT INTO {table} SELECT * FROM unnest({columns}))")
            params += [list(column) for column in zip(*rows, strict=True)]
        conn.execute(f"WITH {', '.join(parts)} SELECT 1", params)

    def column_types(self, conn: Any, table: str) -> list[str]:
        """The table's column types in order, from the catalog once per table."""
        if table not in self.types:
            rows = conn.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [table]).fetchall()
            self.types[table] = [str(row[0]) for row in rows]
        return self.types[table]

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.kind == "sqlite":
            self.run(lambda conn: conn.executemany(statement, rows))
            return

        def many(conn: Any) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(self.sql(statement), rows)

        self.run(many)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.run(lambda conn: list(conn.execute(self.sql(statement), tuple(params)).fetchall()))

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.fetchall(statement, params)
        return rows[0] if rows else None

    def delete_where_in(self, table: str, column: str, values: Sequence[Any]) -> None:
        """DELETE rows whose ``column`` is one of ``values``: one statement on PostgreSQL, chunks on SQLite."""
        if self.kind == "postgres":
            self.execute(f"DELETE FROM {table} WHERE {column} = ANY(?)", [list(values)])
            return
        for start in range(0, len(values), 500):
            chunk = list(values[start : start + 500])
            marks = ",".join("?" * len(chunk))
            self.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)

    def close(self) -> None:
        """SQLite: close every thread's connection; PostgreSQL: this handle lets go of the pool (the last one closes it)."""
        with self.lock:
            connections, self.sqlite_connections = list(self.sqlite_connections), weakref.WeakSet()
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()
        if self.released is not None:
            self.released()


DDL_ATTEMPTS = 5


def create_with_retries(create: Callable[[], None], attempts: int = DDL_ATTEMPTS) -> None:
    """Run ``create`` (CREATE ... IF NOT EXISTS statements), retried: two processes creating the same tables at once
    can still collide in PostgreSQL's catalogue, and the second try finds them made. A database that cannot be
    reached at all (no connection within the pool's wait) is not a race: that fails at once, so a worker starting
    during an outage learns it in one wait, not in several, and its next attempt runs as soon as the database is back.
    """
    for attempt in range(attempts):
        try:
            create()
            return
        except pgpool.PoolTimeout:
            raise
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@functools.lru_cache(maxsize=1024)
def for_psycopg(statement: str) -> str:
    """``?`` placeholders as ``%s``; every ``%`` (in a literal or an operator) doubled, as psycopg requires."""
    return SQL_TOKEN.sub(lambda m: {"?": "%s", "%": "%%"}.get(m.group(), m.group().replace("%", "%%")), statement)

