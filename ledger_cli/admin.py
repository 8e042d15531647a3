"""``ledger admin``: accounts and API keys."""

from __future__ import annotations

import click

from ledger.errors import LedgerError
from ledger_cli.context import fail, open_app


@click.group()
def admin() -> None:
    """Accounts and API keys."""


@admin.command("create-account")
@click.argument("name")
@click.option("--id", "account_id", default=None, help="Choose the account id (default: generated).")
def create_account(name: str, account_id: str | None) -> None:
    """Create an account and print its id."""
    app = open_app()
    try:
        click.echo(app.create_account(name, account_id))
    except LedgerError as error:
        fail(error)


@admin.command("create-key")
@click.argument("account")
def create_key(account: str) -> None:
    """Create an API key for ACCOUNT and print it (only its hash is stored: it is never shown again)."""
    app = open_app()
    try:
        key = app.create_api_key(account)
    except LedgerError as error:
        fail(error)
    click.echo(key)
    click.echo("Store this key now: the ledger keeps only its hash and cannot show it again.", err=True)
