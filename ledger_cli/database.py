"""``ledger db``: create the tables (as the owner role) and lock history; ``ledger backup`` and ``ledger restore``."""

from __future__ import annotations

from pathlib import Path

import click
import psycopg

from application.service import LedgerApplication
from evidence.audit import audit
from infrastructure.backup import backup, restore
from infrastructure.history import grant_service_role, guard_postgres
from ledger.errors import LedgerError
from ledger_cli.context import current_settings, fail, open_app
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


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent copy of the running store to FILE (SQLite: a database file; PostgreSQL: a pg_dump archive)."""
    store = current_settings().store()
    try:
        backup(store, file)
    except LedgerError as error:
        fail(error)
    click.echo(f"backup of the {store.kind} store written to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore_command(file: Path) -> None:
    """Restore FILE into the (new, empty) store LEDGER_DATABASE_URL names, then audit every contract."""
    store = current_settings().store()
    try:
        restore(store, file)
        app = open_app(store)
        report = audit(app)
    except LedgerError as error:
        fail(error)
    for finding in report.findings or []:
        click.echo(f"TAMPERED {finding}")
    click.echo(
        f"restored {file} into the {store.kind} store; audit: {'OK' if report.ok else 'FAILED'}  "
        f"{report.contracts} contracts, {report.witnesses} witnesses checked"
    )
    if not report.ok:
        raise SystemExit(1)
