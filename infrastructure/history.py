"""Append-only history: the stored events can be inserted and read, never changed or removed.

SQLite: triggers on the events table abort any UPDATE or DELETE (the library only ever INSERTs and
SELECTs events; snapshots are inserted too, and checked against the events by ``verify``).

PostgreSQL: two roles. The *owner* role runs ``ledger db migrate``: it owns the tables, and
``guard_postgres`` gives every events table a row trigger refusing UPDATE and DELETE and a statement
trigger refusing TRUNCATE, for the owner too, unless the session sets the maintenance switch
``SET ledger.history_maintenance = 'on'``. The *service* role (``grant_service_role``) may SELECT and
INSERT the events tables and nothing more there; it has full use of the read-model tables. It lacks
UPDATE, DELETE and TRUNCATE on the events, so the switch alone gives it nothing. A superuser can
still disable triggers: the service must not run as one.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

MAINTENANCE_SETTING = "ledger.history_maintenance"
REFUSAL = "history is append-only"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS {table}_no_{action} BEFORE {verb} ON {table} "
    "BEGIN SELECT RAISE(ABORT, '" + REFUSAL + ": {verb} of {table} refused'); END"
)
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ledger_refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION '{REFUSAL}: % of % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$"""
PG_TRIGGERS = (
    "CREATE OR REPLACE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_history_change()",
    "CREATE OR REPLACE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_history_change()",
)


def identifier(name: str) -> str:
    """A quoted SQL identifier, refusing anything but plain names (roles, schemas, tables come from settings)."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def guard_sqlite(path: str, tables: list[str]) -> None:
    """Install the UPDATE/DELETE triggers on the events tables of an SQLite store (idempotent)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        for table in tables:
            for action, verb in (("update", "UPDATE"), ("delete", "DELETE")):
                conn.execute(SQLITE_TRIGGER.format(table=identifier(table)[1:-1], action=action, verb=verb))
    finally:
        conn.close()


def guard_postgres(conn: Any, schema: str, tables: list[str]) -> None:
    """Install the refusal function and triggers in ``schema`` (run as the tables' owner; idempotent)."""
    conn.execute(f"SET search_path TO {identifier(schema)}")
    conn.execute(PG_FUNCTION)
    for table in tables:
        for statement in PG_TRIGGERS:
            conn.execute(statement.format(name=table, table=identifier(table)))


def grant_service_role(conn: Any, schema: str, role: str, tables: list[str]) -> None:
    """What the service role may do: read and append events, use the read models; never rewrite history."""
    schema_id, role_id = identifier(schema), identifier(role)
    events = ", ".join(f"{schema_id}.{identifier(table)}" for table in tables)
    conn.execute(
        f"GRANT USAGE, CREATE ON SCHEMA {schema_id} TO {role_id}"
    )  # read models create their tables if missing
    conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_id} TO {role_id}")
    conn.execute(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {events} FROM {role_id}")
    conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_id} TO {role_id}")
    conn.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema_id} TO {role_id}")
