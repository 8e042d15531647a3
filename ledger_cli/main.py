"""Entry point of the ``ledger`` command."""

from __future__ import annotations

import json
from uuid import UUID

import click

from evidence.audit import audit
from ledger.errors import LedgerError
from ledger_cli.admin import admin
from ledger_cli.anchor import anchor
from ledger_cli.context import default_account, fail, fail_for_contract, open_app
from ledger_cli.database import backup_command, db, restore_command
from ledger_cli.demo import demo
from ledger_cli.evidence import evidence
from ledger_cli.kafka import consume, dev, healthcheck, relay
from ledger_cli.mailsink import mailsink
from ledger_cli.project import project
from ledger_cli.rates import rates
from ledger_cli.remind import remind
from ledger_cli.serve import serve
from ledger_cli.webhooks import webhooks


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
cli.add_command(db)
cli.add_command(backup_command)
cli.add_command(restore_command)
cli.add_command(rates)
cli.add_command(remind)
cli.add_command(webhooks)


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
    """Walk a contract's stored events, check every hash and link, and check the head against its witnesses."""
    app = open_app()
    try:
        result = app.verify_stored(contract_id)
        report = audit(app, only=contract_id)
    except LedgerError as error:
        fail(error)
    if not result.ok and result.events > 0:
        click.echo(f"verify: BROKEN at version {result.broken_version}: {result.reason}")
        raise SystemExit(1)
    for finding in report.findings or []:
        click.echo(f"verify: TAMPERED {finding}")
    if report.findings:
        raise SystemExit(1)
    if result.events == 0:
        fail(f"no events are stored for contract {contract_id} in this store, and no witness ever saw it")
    click.echo(f"verify: OK  {result.events} events  fingerprint {result.fingerprint} (version {result.version}); "
               f"{report.witnesses} witnesses agree")


@cli.command("audit")
def audit_command() -> None:
    """Verify every contract's chain and check its head against the idempotency records and read models."""
    app = open_app()
    try:
        report = audit(app)
    except LedgerError as error:
        fail(error)
    for finding in report.findings or []:
        click.echo(f"TAMPERED {finding}")
    verdict = "OK" if report.ok else f"{len(report.findings or [])} contract(s) TAMPERED"
    click.echo(f"audit: {verdict}  {report.contracts} contracts, {report.witnesses} witnesses checked")
    if not report.ok:
        raise SystemExit(1)
