"""Raw SQL on the event store, for tests that tamper with what is stored."""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from uuid import UUID

import psycopg

from infrastructure.store import StoreConfig


def update_state(store: StoreConfig, contract_id: UUID, version: int, change: Any) -> None:
    """Read one stored event's JSON state, let ``change`` edit the dict, write it back with SQL UPDATE."""
    if store.kind == "sqlite":
        with sqlite3.connect(store.sqlite_path) as conn:
            (raw,) = conn.execute(
                "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?", (contract_id.hex, version)
            ).fetchone()
            state = json.loads(raw)
            change(state)
            conn.execute(
                "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
                (json.dumps(state).encode(), contract_id.hex, version),
            )
        return
    with psycopg.connect(store.pg_conninfo, autocommit=True) as conn:
        table = f'"{store.pg_schema}".ledger_events'
        (raw,) = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id=%s AND originator_version=%s", (contract_id, version)
        ).fetchone()
        state = json.loads(bytes(raw))
        change(state)
        conn.execute(
            f"UPDATE {table} SET state=%s WHERE originator_id=%s AND originator_version=%s",
            (json.dumps(state).encode(), contract_id, version),
        )


def update_snapshot(store: StoreConfig, contract_id: UUID, change: Any) -> None:
    """Edit the newest snapshot's JSON state with SQL, as someone with database access could."""
    if store.kind == "sqlite":
        with sqlite3.connect(store.sqlite_path) as conn:
            raw, version = conn.execute(
                "SELECT state, originator_version FROM stored_snapshots WHERE originator_id=? "
                "ORDER BY originator_version DESC LIMIT 1", (contract_id.hex,)
            ).fetchone()
            document = json.loads(raw)
            change(document)
            conn.execute("UPDATE stored_snapshots SET state=? WHERE originator_id=? AND originator_version=?",
                         (json.dumps(document).encode(), contract_id.hex, version))
        return
    with psycopg.connect(store.pg_conninfo, autocommit=True) as conn:
        table = f'"{store.pg_schema}".ledger_snapshots'
        raw, version = conn.execute(
            f"SELECT state, originator_version FROM {table} WHERE originator_id=%s ORDER BY originator_version DESC LIMIT 1",
            (contract_id,),
        ).fetchone()
        document = json.loads(bytes(raw))
        change(document)
        conn.execute(f"UPDATE {table} SET state=%s WHERE originator_id=%s AND originator_version=%s",
                     (json.dumps(document).encode(), contract_id, version))
