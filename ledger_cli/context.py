"""The settings of a ``ledger`` run and the application they open: the one place the CLI reads configuration."""

from __future__ import annotations

import sys
from typing import NoReturn
from uuid import UUID

import click

from application.service import LedgerApplication
from infrastructure.settings import Settings
from infrastructure.store import StoreConfig
from ledger.errors import ContractInOtherAccount, ContractNotFound, LedgerError

ACCOUNT_ENV = "LEDGER_ACCOUNT"  # named in messages; read through Settings


def current_settings() -> Settings:
    """Read from the environment once per ``ledger`` run (by the first command that needs them), then kept."""
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, Settings):
        try:
            root.obj = Settings.from_environ()
        except LedgerError as error:
            fail(error)
    return root.obj


def open_app(store: StoreConfig | None = None, *, create_tables: bool | None = None) -> LedgerApplication:
    settings = current_settings()
    try:
        return LedgerApplication(store or settings.store(), create_tables=create_tables,
                                 pause_in_group_save_s=settings.test_pause_in_group_save_s)
    except LedgerError as error:
        fail(error)


def default_account() -> str:
    return current_settings().account


def fail_for_contract(app: LedgerApplication, error: LedgerError, contract_id: UUID, account: str) -> NoReturn:
    """A contract not found in the chosen account, but held by another, is said to be so: the CLI is an operator's
    tool (the HTTP API keeps its plain 404)."""
    if isinstance(error, ContractNotFound):
        owner = app.owner_account(contract_id)
        if owner is not None and owner != account:
            fail(ContractInOtherAccount(
                f"contract {contract_id} belongs to account {owner!r}, not {account!r}: pass "
                f"--account {owner} or set {ACCOUNT_ENV}", contract_id=str(contract_id), account_id=owner))
    fail(error)


def fail(error: LedgerError | str, code: int = 1) -> NoReturn:
    text = f"error [{error.code}]: {error.message}" if isinstance(error, LedgerError) else f"error: {error}"
    click.echo(text, err=True)
    sys.exit(code)
