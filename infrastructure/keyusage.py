"""Per-key request counts (rate limits, "last used") and service secrets, in the event store's own database.

Every worker and process shares them through the database, so a limit holds across all gunicorn workers
and a secret is the same everywhere. These are plain tables (not events): a counter is updated in place.
The statements run on the library's datastore (its connection pool on PostgreSQL, its lock on SQLite).

Counting a request is one statement. On PostgreSQL its commit does not wait for the WAL flush
(``synchronous_commit`` off for that transaction only): a counter is not ledger data, and a server crash
can lose at most the last fraction of a second of counts, letting a key make that many more requests.
``hit_if_at`` also checks, in the same statement, that the key's aggregate is still at the version its
caller knows (``application.accounts.KnownKeys``), so a known key costs one round trip per request and a
revocation recorded by any process is seen at once.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from infrastructure.heads import Heads, one_statement

USAGE_TABLE = "ledger_key_usage"
SECRETS_TABLE = "ledger_secrets"
SECRET_BYTES = 32
COUNT = (
    "ON CONFLICT (key_id) DO UPDATE SET "
    "hits = CASE WHEN u.window_start = excluded.window_start THEN u.hits + 1 ELSE 1 END, "
    "window_start = excluded.window_start, last_used_at = excluded.last_used_at RETURNING hits"
)
# PostgreSQL: this statement's own transaction commits without waiting for the WAL flush (see above).
RELAXED = "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting) "


class KeyUsage:
    def __init__(self, datastore: Any, kind: str, schema: str = "public", heads: Heads | None = None) -> None:
        self.datastore = datastore
        self.kind = kind
        self.heads = heads
        prefix = f'"{schema}".' if kind == "postgres" else ""
        self.usage, self.secrets = prefix + USAGE_TABLE, prefix + SECRETS_TABLE
        self.relaxed = RELAXED if kind == "postgres" else ""

    def sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else statement.replace("?", "%s")

    def run(self, statement: str, params: tuple[Any, ...] = (), *, fetch: bool = False) -> list[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self.sql(statement), params)
            return list(cursor.fetchall()) if fetch else []

    def create_tables(self) -> None:
        self.run(
            f"CREATE TABLE IF NOT EXISTS {self.usage} (key_id TEXT PRIMARY KEY, window_start BIGINT NOT NULL, "
            "hits BIGINT NOT NULL, last_used_at TEXT NOT NULL)"
        )
        self.run(f"CREATE TABLE IF NOT EXISTS {self.secrets} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def hit(self, key_id: str, window_start: int, used_at: str) -> int:
        """Count one request of ``key_id`` in the window starting at ``window_start``; the window's count so far."""
        rows = one_statement(
            self.datastore, self.kind,
            f"{self.relaxed}INSERT INTO {self.usage} AS u (key_id, window_start, hits, last_used_at) "
            f"SELECT ?, ?, 1, ? {'FROM relaxed ' if self.relaxed else ''}WHERE true {COUNT}",
            (key_id, window_start, used_at), write=True,
        )
        return int(rows[0]["hits"])

    def hit_if_at(
        self, key_id: str, window_start: int, used_at: str, aggregate_id: UUID, version: int, about: UUID | None = None
    ) -> tuple[int | None, int | None]:
        """``hit``, but only if the key's aggregate is still at ``version`` (else nothing is counted and the hits
        are None); with ``about``, that aggregate's current version too, read by the same statement (None if
        not counted: the caller reads it again)."""
        if self.heads is None:
            raise RuntimeError("KeyUsage needs the events table (heads) to check a key's version")
        extra = f", {self.heads.head_sql()} AS head" if about else ""
        rows = one_statement(
            self.datastore, self.kind,
            f"{self.relaxed}INSERT INTO {self.usage} AS u (key_id, window_start, hits, last_used_at) "
            f"SELECT ?, ?, 1, ? {'FROM relaxed ' if self.relaxed else ''}"
            f"WHERE {self.heads.head_sql()} = ? {COUNT}{extra}",
            (key_id, window_start, used_at, self.heads.originator(aggregate_id), version,
             *((self.heads.originator(about),) if about else ())),
            write=True,
        )
        if not rows:
            return None, None
        head = rows[0]["head"] if about else None
        return int(rows[0]["hits"]), None if head is None else int(head)

    def last_used(self) -> dict[str, str]:
        return {
            row["key_id"]: row["last_used_at"]
            for row in self.run(f"SELECT key_id, last_used_at FROM {self.usage}", fetch=True)
        }

    def secret(self, name: str) -> bytes:
        """A random secret shared by every process, made on first use and kept."""
        self.run(
            f"INSERT INTO {self.secrets} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_hex(SECRET_BYTES)),
        )
        rows = self.run(f"SELECT value FROM {self.secrets} WHERE name = ?", (name,), fetch=True)
        return bytes.fromhex(rows[0]["value"])
