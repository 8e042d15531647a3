"""Consistent online copies of a store, and restoring one.

SQLite: the sqlite3 backup API copies the live database page by page under its own locking, including
what is still in the write-ahead log, so the copy is one consistent moment even while the service writes
(copying the file alone can miss everything not yet checkpointed). The copy holds every table: events,
snapshots, idempotency records, keys, attachments and read models, with the append-only triggers.

PostgreSQL: ``pg_dump --format=custom`` of the store's schema (one consistent snapshot, taken in a
repeatable-read transaction), restored with ``pg_restore`` into a database that does not have the schema
yet; owners and grants are not restored (run ``ledger db migrate --service-role ...`` after).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess  # runs pg_dump/pg_restore with argument lists, never a shell
from pathlib import Path

from infrastructure.store import StoreConfig
from ledger.errors import ConfigurationError

PG_TIMEOUT_S = 3600


def backup(store: StoreConfig, target: Path) -> None:
    if target.exists():
        raise ConfigurationError(f"{target} exists: a backup never overwrites a file")
    if store.kind == "sqlite":
        copy_sqlite(Path(store.sqlite_path), target)
    else:
        run(
            [
                tool("pg_dump"),
                "--format=custom",
                f"--schema={store.pg_schema}",
                f"--file={target}",
                f"--dbname={store.pg_conninfo}",
            ]
        )


def restore(store: StoreConfig, source: Path) -> None:
    if not source.is_file():
        raise ConfigurationError(f"no backup file {source}")
    if store.kind == "sqlite":
        target = Path(store.sqlite_path)
        if target.exists() and target.stat().st_size > 0:
            raise ConfigurationError(f"{target} exists: restore into a new file (set LEDGER_DATABASE_URL to it)")
        copy_sqlite(source, target)
    else:
        run(
            [
                tool("pg_restore"),
                "--exit-on-error",
                "--no-owner",
                "--no-acl",
                f"--dbname={store.pg_conninfo}",
                str(source),
            ]
        )


def copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
    origin.close()
    copy.close()
    if check != "ok":
        raise ConfigurationError(f"the copy in {target} fails SQLite's integrity check: {check}")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(f"{name} is not installed: install the PostgreSQL client tools")
    return found


def run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise ConfigurationError(f"{Path(argv[0]).name} failed: {result.stderr.strip()[:2000]}")
