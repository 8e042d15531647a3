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


@admin.command("list-keys")
@click.argument("account", required=False)
def list_keys(account: str | None) -> None:
    """List the API keys (of ACCOUNT, or all): id, account, the key's first characters, created, last used, state."""
    app = open_app()
    try:
        keys = app.list_keys(account)
    except LedgerError as error:
        fail(error)
    click.echo(f"{'key id':<17} {'account':<24} {'prefix':<8} {'created':<26} {'last used':<26} state")
    for info in keys:
        state = "revoked" if info.revoked else "active"
        click.echo(f"{info.key_id:<17} {info.account_id:<24} {info.prefix:<8} {info.created_at:<26} "
                   f"{info.last_used_at or 'never':<26} {state}")


@admin.command("revoke-key")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke the key with KEY_ID (as list-keys shows it): every worker refuses it from its next request."""
    app = open_app()
    try:
        record = app.revoke_key(key_id)
    except LedgerError as error:
        fail(error)
    click.echo(f"revoked key {record.key_id} of account {record.account_id}")


@admin.command("rotate-key")
@click.argument("key_id")
def rotate_key(key_id: str) -> None:
    """Issue a new key for KEY_ID's account and revoke KEY_ID in the same transaction; print the new key."""
    app = open_app()
    try:
        key, record = app.rotate_key(key_id)
    except LedgerError as error:
        fail(error)
    click.echo(key)
    click.echo(f"new key {record.key_id} for account {record.account_id}; key {key_id} is revoked. "
               "Store the new key now: it is never shown again.", err=True)
