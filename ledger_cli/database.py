"""``ledger db``: create the tables (as the owner role) and lock history against rewriting."""

from __future__ import annotations

import click
import psycopg

from application.service import LedgerApplication
from infrastructure.history import grant_service_role, guard_postgres
from ledger_cli.context import open_app
from ledger_cli.project import create_read_model_tables


@click.group()
def db() -> None:
    """Database administration."""


@db.command()
@click.option(
    "--service-role",
    envvar="LEDGER_SERVICE_ROLE",
    default=None,
    help="PostgreSQL: the role the services run as; it is granted SELECT and INSERT on the events "
    "(never UPDATE, DELETE or TRUNCATE) and the use of the read models.",
)
def migrate(service_role: str | None) -> None:
    """Create the event store and read-model tables; make the stored events append-only.

    Run it once before starting workers on PostgreSQL, connected as the role that should own the tables
    (not the role the services run as).
    """
    app = open_app(create_tables=True)
    app.check_ready()
    create_read_model_tables(app.store)
    protect_history(app, service_role)
    click.echo(f"tables ready in {app.store.kind} store; stored events are append-only")
    if service_role:
        click.echo(f"role {service_role} may read and append events, never change them")


def protect_history(app: LedgerApplication, service_role: str | None) -> None:
    """SQLite: the triggers are installed when the tables are. PostgreSQL: triggers, then the service role's grants."""
    if app.store.kind != "postgres":
        return
    with psycopg.connect(app.store.pg_conninfo, autocommit=True) as conn:
        guard_postgres(conn, app.store.pg_schema, app.event_tables())
        if service_role:
            grant_service_role(conn, app.store.pg_schema, service_role, app.event_tables())
