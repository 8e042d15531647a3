"""One small adapter over the read-model database: the event store's SQLite file or PostgreSQL schema.

The projections write plain SQL with ``?`` placeholders; ``for_psycopg`` turns
them into psycopg's ``%s`` once per statement (a ``?`` inside a quoted literal
stays, a literal ``%`` is escaped), and the PostgreSQL ``search_path`` is set to
the store's schema, so the same statements run on both. A transaction is a ``with``
block; everything a batch writes (rows and tracking) is inside one.

psycopg never reconnects by itself: a connection the server dropped (restart,
``pg_terminate_backend``) stays broken. So before each statement or
transaction a broken connection is replaced, and a statement outside a
transaction that fails because the connection was lost is retried once on a
new one. Inside a transaction the error propagates (the caller retries the
whole batch; the next transaction starts on a new connection).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from infrastructure.store import StoreConfig

SQLITE_BUSY_TIMEOUT_S = 30.0
PG_STATEMENT_TIMEOUT_MS = 60_000
PG_CONNECT_TIMEOUT_S = 2
SMALL_PAGE_ROWS = 300  # up to this many rows (a few contracts), one INSERT statement for all tables beats a COPY per table
T = TypeVar("T")
# A quoted literal (kept whole), a placeholder, or a percent sign.
SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|%")


class Database:
    """A single connection to the read-model tables of one store."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        self.kind = store.kind
        self.conn: Any = self.connect()
        self.in_transaction = False
        self.types: dict[str, list[str]] = {}  # column types per table (PostgreSQL), for array parameters

    def connect(self) -> Any:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.store.sqlite_path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")  # readers never block the event store's writer
            return conn
        import psycopg  # imported here so the SQLite default never needs a PostgreSQL driver at import

        pg_conn = psycopg.connect(self.store.pg_conninfo, autocommit=True, connect_timeout=PG_CONNECT_TIMEOUT_S)
        pg_conn.execute(f"SET search_path TO {quote_ident(self.store.pg_schema)}")
        pg_conn.execute(f"SET statement_timeout = {PG_STATEMENT_TIMEOUT_MS}")
        return pg_conn

    @property
    def usable(self) -> bool:
        """False once the server dropped a PostgreSQL connection (psycopg marks it closed or broken)."""
        return self.kind == "sqlite" or not (self.conn.closed or self.conn.broken)

    def reconnect(self) -> None:
        with suppress(Exception):  # the old connection is already gone: closing it may fail too
            self.conn.close()
        self.conn = self.connect()

    def run(self, call: Callable[[], T]) -> T:
        """One statement: on a new connection if the old one was lost; retried once outside a transaction."""
        if not self.in_transaction and not self.usable:
            self.reconnect()
        try:
            return call()
        except Exception:
            if self.in_transaction or self.usable:
                raise  # a real error (or mid-transaction): not ours to retry
        self.reconnect()
        return call()

    def sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else for_psycopg(statement)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """BEGIN ... COMMIT, or ROLLBACK on any error: a batch is all or nothing."""
        self.run(lambda: self.conn.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN"))
        self.in_transaction = True
        try:
            yield self
        except BaseException:
            if self.usable:  # a lost connection has rolled back already, and cannot say ROLLBACK
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self.in_transaction = False
        self.conn.execute("COMMIT")

    def pipelined_transaction(self, send: Callable[[], Sequence[tuple[Any, int]]]) -> bool:
        """PostgreSQL: BEGIN and the statements ``send`` issues (with ``send``/``replace_rows``) in one round trip
        (psycopg's pipeline mode), then COMMIT if each ``(cursor, rows)`` it returns changed exactly that many rows,
        else ROLLBACK and False. An error rolls back and propagates. (No COPY inside: a pipeline cannot.)"""
        if not self.usable:
            self.reconnect()
        self.in_transaction = True
        try:
            with self.conn.pipeline():
                self.conn.execute("BEGIN")
                checks = send()
            complete = all(cursor.rowcount == rows for cursor, rows in checks)
            self.conn.execute("COMMIT" if complete else "ROLLBACK")
            return complete
        except BaseException:
            if self.usable:  # a lost connection has rolled back already
                with suppress(Exception):
                    self.conn.execute("ROLLBACK")
            raise
        finally:
            self.in_transaction = False

    def send(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Execute and return the cursor (inside ``pipelined_transaction``: its results arrive at the sync)."""
        return self.conn.execute(self.sql(statement), tuple(params))

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.run(lambda: self.conn.execute(self.sql(statement), tuple(params)))

    def execute_count(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Execute and return how many rows changed."""
        return self.run(lambda: int(self.conn.execute(self.sql(statement), tuple(params)).rowcount))

    def replace_rows(self, tables: Sequence[tuple[str, int, Sequence[str], Sequence[Sequence[Any]]]]) -> None:
        """For each ``(table, width, contract_ids, rows)``: delete the contracts' rows, insert ``rows``.

        PostgreSQL: one DELETE statement for every table together, then the rows: a small page (the live case) in
        one INSERT statement for every table, a large one (a rebuild) with one ``COPY ... FROM STDIN`` per table, which
        costs less per row; SQLite (in process, no round trips): a chunked DELETE and an ``executemany`` per table."""
        if self.kind == "sqlite":
            for table, width, ids, rows in tables:
                self.delete_where_in(table, "contract_id", ids)
                if rows:
                    self.conn.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * width)})", rows)
            return
        deletes = [(table, list(ids)) for table, _, ids, _ in tables if ids]
        if deletes:
            parts = ", ".join(f"d{n} AS (DELETE FROM {table} WHERE contract_id = ANY(%s))"
                              for n, (table, _) in enumerate(deletes))
            self.conn.execute(f"WITH {parts} SELECT 1", [ids for _, ids in deletes])
        inserts = [(table, rows) for table, _, _, rows in tables if rows]
        if sum(len(rows) for _, rows in inserts) <= SMALL_PAGE_ROWS:
            self.insert_unnest(inserts)
            return
        with self.conn.cursor() as cursor:
            for table, rows in inserts:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

    def insert_unnest(self, inserts: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Every table's rows in ONE statement (an INSERT per table in a WITH, one array parameter per column)."""
        if not inserts:
            return
        parts, params = [], []
        for n, (table, rows) in enumerate(inserts):
            columns = ", ".join(f"%s::{kind}[]" for kind in self.column_types(table))
            parts.append(f"i{n} AS (INSERT INTO {table} SELECT * FROM unnest({columns}))")
            params += [list(column) for column in zip(*rows, strict=True)]
        self.conn.execute(f"WITH {', '.join(parts)} SELECT 1", params)

    def column_types(self, table: str) -> list[str]:
        """The table's column types in order, from the catalog once per table and connection."""
        if table not in self.types:
            rows = self.conn.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [table]).fetchall()
            self.types[table] = [str(row[0]) for row in rows]
        return self.types[table]

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.kind == "sqlite":
            self.conn.executemany(statement, rows)
        else:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql(statement), rows)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.run(lambda: list(self.conn.execute(self.sql(statement), tuple(params)).fetchall()))

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
        self.conn.close()


@functools.lru_cache(maxsize=1024)
def for_psycopg(statement: str) -> str:
    """``?`` placeholders as ``%s``; every ``%`` (in a literal or an operator) doubled, as psycopg requires."""
    return SQL_TOKEN.sub(lambda m: {"?": "%s", "%": "%%"}.get(m.group(), m.group().replace("%", "%%")), statement)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
