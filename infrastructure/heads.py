"""The current version of one aggregate in one indexed read, without loading it.

A read that can answer from something it built before (a known API key in
``application.accounts``, a rendered contract summary in ``api.summaries``)
only needs to know whether the aggregate moved since: ``max(originator_version)``
on the events table's primary key. On PostgreSQL it is one statement on an
autocommit connection (one round trip, no BEGIN/ROLLBACK around it), where a
fast-forward of the library's cache costs three and a copy of the aggregate.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from infrastructure.bounds import bounded


def events_table(recorder: Any, kind: str, schema: str) -> str:
    """The application's events table as SQL (schema-qualified on PostgreSQL)."""
    name = str(recorder.events_table_name)
    return f'"{schema}"."{name}"' if kind == "postgres" else name


def one_statement(datastore: Any, kind: str, statement: str, params: tuple[Any, ...], *, write: bool) -> list[Any]:
    """Run one statement and fetch its rows: on PostgreSQL alone on a pooled autocommit connection (its own
    transaction, one round trip), with the bounded attempts of the recorder's calls (``infrastructure.bounds``:
    a connection the server closed costs a retry, not a failed request); on SQLite in the library's
    transaction (its reader/writer lock)."""
    if kind == "postgres":
        return cast(list[Any], bounded(alone, datastore.pool)(datastore, statement.replace("?", "%s"), params))
    with datastore.transaction(commit=write) as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall())


def alone(datastore: Any, statement: str, params: tuple[Any, ...]) -> list[Any]:
    with datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []


class Heads:
    def __init__(self, datastore: Any, kind: str, table: str) -> None:
        self.datastore, self.kind, self.table = datastore, kind, table

    def originator(self, aggregate_id: UUID) -> Any:
        """The originator_id as the store keeps it (uuid on PostgreSQL, hex text on SQLite)."""
        return aggregate_id if self.kind == "postgres" else aggregate_id.hex

    def head_sql(self) -> str:
        """A scalar subquery: the version of the aggregate given as its one parameter."""
        return f"(SELECT max(originator_version) FROM {self.table} WHERE originator_id = ?)"

    def version(self, aggregate_id: UUID) -> int | None:
        """The aggregate's last version, or None if it has no events."""
        return self.versions(aggregate_id)[0]

    def versions(self, *aggregate_ids: UUID) -> list[int | None]:
        """The last version of each aggregate (None: no events), in one statement."""
        columns = ", ".join(f"{self.head_sql()} AS v{index}" for index in range(len(aggregate_ids)))
        rows = one_statement(self.datastore, self.kind, f"SELECT {columns}",
                             tuple(self.originator(i) for i in aggregate_ids), write=False)
        return [None if rows[0][f"v{i}"] is None else int(rows[0][f"v{i}"]) for i in range(len(aggregate_ids))]
