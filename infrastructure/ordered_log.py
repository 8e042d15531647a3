"""PostgreSQL: writers of the event log commit in the order of their notification ids.

Every reader of the log (the read-model runner, the event feed's index, the
Kafka relay) keeps a position: the last notification id it has read, and reads
``id > position`` next. That is only correct if an id never becomes visible
after a higher one. On PostgreSQL the ids come from a sequence when a row is
inserted, and a transaction that took id 10 can commit after another that took
id 11: a reader between the two commits sees 11, moves its position past 10 and
never reads 10. The library's own insert statement prevents this with ``LOCK
TABLE ... IN EXCLUSIVE MODE``, but its database function (one round trip per
save, which the store uses) takes no lock, and the service role could not take
that table lock anyway: it may only SELECT and INSERT the events (see
``infrastructure.history``).

So this recorder's insert function first takes a transaction-scoped advisory
lock of the events table (no table privilege needed): saves take turns from
their first inserted row to their commit, and the lock is released only after
the commit is visible, so ids become visible in order. Readers never wait for
it. NOTIFY already serialises the commits of notifying transactions, so the
lock adds little to the cost of a save; group commit (``application.group_commit``)
puts several commands under one turn.

The function is created (``CREATE OR REPLACE``) with the tables, by ``ledger db
migrate``: a store migrated by an earlier version gets it on its next migration.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier, Literal

from ledger.errors import ConfigurationError


class OrderedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's recorder whose insert function commits saves in the order of their notification ids."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        function = insert_function(self)
        self.sql_create_pg_function_insert_events = function
        self.sql_create_statements[self.create_insert_function_statement_index] = function


def insert_function(recorder: PostgresApplicationRecorder) -> Any:
    """The library's ``es_insert_events`` function with an advisory lock of the events table taken first."""
    schema, table = recorder.datastore.schema, recorder.events_table_name
    return SQL(
        "CREATE OR REPLACE FUNCTION {schema}.{insert_events}(events {schema}.{event}[]) "
        "RETURNS SETOF bigint "
        "LANGUAGE plpgsql "
        "AS "
        "$BODY$"
        "BEGIN"
        "    SET LOCAL lock_timeout = '{lock_timeout}s';"
        "    PERFORM pg_advisory_xact_lock(hashtext({lock_name}));"
        "    NOTIFY {channel};"
        "    RETURN QUERY"
        "    INSERT INTO {schema}.{table} AS t ("
        "    originator_id, originator_version, topic, state)"
        "    SELECT originator_id, originator_version, topic, state"
        "    FROM unnest(events)"
        "    RETURNING notification_id;"
        "END;"
        "$BODY$"
    ).format(
        insert_events=Identifier(recorder.pg_function_name_insert_events),
        lock_timeout=recorder.datastore.lock_timeout,
        lock_name=Literal(f"ledger event log {schema}.{table}"),
        channel=Identifier(recorder.channel_name),
        event=Identifier(recorder.stored_event_type_name),
        schema=Identifier(schema),
        table=Identifier(table),
    )


def check_ordered(recorder: PostgresApplicationRecorder) -> None:
    """Refuse a store whose insert function was created by an older version (no ordering lock): ids could be missed.

    Only the migration (re)creates the function, so a service started on a store that was not migrated again after
    an upgrade would save without the lock; it is told to migrate instead. A store not migrated at all passes here
    (its first statement reports the missing tables)."""
    with recorder.datastore.get_connection() as conn:
        row = conn.execute(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = %s",
            (recorder.datastore.schema, recorder.pg_function_name_insert_events),
        ).fetchone()
    if row is not None and "pg_advisory_xact_lock" not in row["prosrc"]:
        raise ConfigurationError(
            "the event store's insert function predates the ordered log: run `ledger db migrate` (as the owner role) "
            "before starting the service"
        )
