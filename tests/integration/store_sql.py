"""Raw SQL on the event store, for tests that tamper with what is stored.

History is append-only (infrastructure.history), so these act as someone who can lift that: on SQLite
they drop the triggers first (anyone with write access to the file can); on PostgreSQL they connect as
the tables' owner and set the maintenance switch.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from infrastructure.history import MAINTENANCE_SETTING
from infrastructure.store import StoreConfig

TABLES = {"sqlite": ("stored_events", "stored_snapshots"), "postgres": ("ledger_events", "ledger_snapshots")}


def sqlite_owner(store: StoreConfig) -> sqlite3.Connection:
    conn = sqlite3.connect(store.sqlite_path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    return conn


def pg_owner(store: StoreConfig) -> psycopg.Connection[Any]:
    conn = psycopg.connect(store.pg_conninfo, autocommit=True)
    conn.execute(f"SET {MAINTENANCE_SETTING} = 'on'")
    conn.execute(f'SET search_path TO "{store.pg_schema}"')
    return conn


def owner_execute(store: StoreConfig, statement: str, params: tuple[Any, ...] = ()) -> int:
    """Run one statement (``?`` placeholders, ``{events}`` for the events table) as the owner; rows changed."""
    sql = statement.format(events=TABLES[store.kind][0])
    if store.kind == "sqlite":
        with sqlite_owner(store) as conn:
            return conn.execute(sql, params).rowcount
    with pg_owner(store) as pg:
        return pg.execute(sql.replace("?", "%s"), params).rowcount


def stored_id(store: StoreConfig, contract_id: UUID) -> Any:
    return contract_id.hex if store.kind == "sqlite" else contract_id


def delete_newest_events(store: StoreConfig, contract_id: UUID, from_version: int) -> int:
    return owner_execute(
        store,
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version >= ?",
        (stored_id(store, contract_id), from_version),
    )


def delete_contract(store: StoreConfig, contract_id: UUID) -> int:
    return owner_execute(store, "DELETE FROM {events} WHERE originator_id = ?", (stored_id(store, contract_id),))


def rewrite_and_rehash(app: Any, store: StoreConfig, contract_id: UUID, version: int, change: Any) -> None:
    """Edit one event's state, then recompute its hash and every later event's link and hash: a chain that verifies."""
    previous = None
    for stored in app.recorder.select_events(contract_id):
        if stored.originator_version < version:
            previous = json.loads(stored.state)["hash"]
            continue
        state = json.loads(stored.state)
        if stored.originator_version == version:
            change(state)
        state["prev_hash"] = previous
        draft = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())
        state["hash"] = previous = app.chain_record(draft).computed_hash()
        owner_execute(
            store,
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (json.dumps(state).encode(), stored_id(store, contract_id), stored.originator_version),
        )


def update_state(store: StoreConfig, contract_id: UUID, version: int, change: Any) -> None:
    """Read one stored event's JSON state, let ``change`` edit the dict, write it back with SQL UPDATE."""
    if store.kind == "sqlite":
        with sqlite_owner(store) as conn:
            (raw,) = conn.execute(
                "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
                (contract_id.hex, version),
            ).fetchone()
            state = json.loads(raw)
            change(state)
            conn.execute(
                "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
                (json.dumps(state).encode(), contract_id.hex, version),
            )
        return
    with pg_owner(store) as conn:
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
        with sqlite_owner(store) as conn:
            raw, version = conn.execute(
                "SELECT state, originator_version FROM stored_snapshots WHERE originator_id=? "
                "ORDER BY originator_version DESC LIMIT 1",
                (contract_id.hex,),
            ).fetchone()
            document = json.loads(raw)
            change(document)
            conn.execute(
                "UPDATE stored_snapshots SET state=? WHERE originator_id=? AND originator_version=?",
                (json.dumps(document).encode(), contract_id.hex, version),
            )
        return
    with pg_owner(store) as conn:
        table = f'"{store.pg_schema}".ledger_snapshots'
        raw, version = conn.execute(
            f"SELECT state, originator_version FROM {table} WHERE originator_id=%s ORDER BY originator_version DESC LIMIT 1",
            (contract_id,),
        ).fetchone()
        document = json.loads(bytes(raw))
        change(document)
        conn.execute(
            f"UPDATE {table} SET state=%s WHERE originator_id=%s AND originator_version=%s",
            (json.dumps(document).encode(), contract_id, version),
        )
