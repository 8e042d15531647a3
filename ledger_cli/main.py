"""Entry point of the ``ledger`` command."""

from __future__ import annotations

import json
from uuid import UUID

import click

from ledger.errors import LedgerError
from ledger_cli.admin import admin
from ledger_cli.anchor import anchor
from ledger_cli.context import default_account, fail, fail_for_contract, open_app
from ledger_cli.demo import demo
from ledger_cli.evidence import evidence
from ledger_cli.kafka import consume, dev, healthcheck, relay
from ledger_cli.mailsink import mailsink
from ledger_cli.project import create_read_model_tables, project
from ledger_cli.rates import rates
from ledger_cli.remind import remind
from ledger_cli.serve import serve


@click.group()
def cli() -> None:
    """Event-sourced payment ledger: get paid for delivered work."""


cli.add_command(demo)
cli.add_command(admin)
cli.add_command(serve)
cli.add_command(evidence)
cli.add_command(anchor)
cli.add_command(consume)
cli.add_command(relay)
cli.add_command(dev)
dev.add_command(mailsink)
cli.add_command(healthcheck)
cli.add_command(project)
cli.add_command(rates)
cli.add_command(remind)


@cli.command()
@click.argument("contract_id", type=click.UUID)
@click.option("--account", default=None, help="Account that owns the contract (default: $LEDGER_ACCOUNT or 'default').")
@click.option("--json", "as_json", is_flag=True, help="One JSON event per line (the events.jsonl form).")
def events(contract_id: UUID, account: str | None, as_json: bool) -> None:
    """Print a contract's raw event log with its hash chain."""
    app = open_app()
    try:
        records = app.event_records(account or default_account(), contract_id)
    except LedgerError as error:
        fail_for_contract(app, error, contract_id, account or default_account())
    for record in records:
        if as_json:
            click.echo(json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=False))
        else:
            click.echo(f"v{record.version:<4} {record.occurred_on}  {record.event_type:<22} "
                       f"recorded {record.recorded_at}\n      prev {record.prev_hash}\n      hash {record.hash}")


@cli.command()
@click.argument("contract_id", type=click.UUID)
def verify(contract_id: UUID) -> None:
    """Walk a contract's stored events and check every hash and link."""
    app = open_app()
    try:
        result = app.verify_stored(contract_id)
    except LedgerError as error:
        fail(error)
    if result.ok:
        click.echo(f"verify: OK  {result.events} events  fingerprint {result.fingerprint} (version {result.version})")
        return
    if result.events == 0:
        fail(f"no events are stored for contract {contract_id} in this store")
    click.echo(f"verify: BROKEN at version {result.broken_version}: {result.reason}")
    raise SystemExit(1)


@cli.group()
def db() -> None:
    """Database administration."""


@db.command()
def migrate() -> None:
    """Create the event store tables (run once before starting workers on PostgreSQL)."""
    app = open_app(create_tables=True)
    app.check_ready()
    create_read_model_tables(app.store)
    click.echo(f"tables ready in {app.store.kind} store")
