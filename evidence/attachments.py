"""Content-addressed attachment store: each account's documents kept by their SHA-256, in the event store's database.

One table beside the event store (the SQLite file or the PostgreSQL schema), so
several API hosts on one PostgreSQL all see every upload and the embedded
default needs nothing more. Content is immutable: a second upload of the same
bytes is a no-op returning the same hash, and nothing is ever updated. Every
document belongs to the account that uploaded it: knowing a hash (hashes travel
in events and bundles) never gives another account the bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from infrastructure.store import StoreConfig
from ledger import clock
from ledger.errors import ValidationError
from projections.db import Database, create_with_retries

ATTACHMENT_BYTES_MAX = 25 * 1024 * 1024  # a limit on everything: one document up to 25 MiB
TABLE = "ledger_account_attachments"
DDL = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {TABLE} (account_id TEXT NOT NULL, sha256 TEXT NOT NULL, "
              "size_bytes INTEGER NOT NULL, content BLOB NOT NULL, stored_at TEXT NOT NULL, PRIMARY KEY (account_id, sha256))",
    "postgres": f"CREATE TABLE IF NOT EXISTS {TABLE} (account_id TEXT NOT NULL, sha256 TEXT NOT NULL, "
                "size_bytes BIGINT NOT NULL, content BYTEA NOT NULL, stored_at TEXT NOT NULL, PRIMARY KEY (account_id, sha256))",
}
CREATED: set[str] = set()  # stores whose table this process has already made sure of (once per process, not per request)


def check_content(content: bytes) -> None:
    if not content:
        raise ValidationError("an attachment cannot be empty", {"body": ["empty"]})
    if len(content) > ATTACHMENT_BYTES_MAX:
        raise ValidationError(f"an attachment is at most {ATTACHMENT_BYTES_MAX} bytes", {"body": ["too large"]},
                              limit=ATTACHMENT_BYTES_MAX)


class AttachmentStore:
    """Put and get an account's documents by SHA-256 (hex, lowercase)."""

    def __init__(self, store: StoreConfig) -> None:
        self.db = Database(store)
        if store.url not in CREATED:
            self.create_table()
            CREATED.add(store.url)

    def create_table(self) -> None:
        create_with_retries(lambda: self.db.execute(DDL[self.db.kind]))

    def put(self, account_id: str, content: bytes) -> str:
        check_content(content)
        digest = hashlib.sha256(content).hexdigest()
        self.db.execute(
            f"INSERT INTO {TABLE} (account_id, sha256, size_bytes, content, stored_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account_id, sha256) DO NOTHING",
            (account_id, digest, len(content), content, clock.now().isoformat(timespec="seconds")),
        )
        return digest

    def get(self, account_id: str, digest: str) -> bytes | None:
        row = self.db.fetchone(f"SELECT content FROM {TABLE} WHERE account_id = ? AND sha256 = ?", (account_id, digest))
        return bytes(row[0]) if row else None

    def get_many(self, account_id: str, digests: Iterable[str]) -> dict[str, bytes | None]:
        return {digest: self.get(account_id, digest) for digest in digests}

    def close(self) -> None:
        self.db.close()
