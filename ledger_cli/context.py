"""Opening the application from the environment: the one place the CLI reads configuration."""

from __future__ import annotations

import os
import sys
from typing import NoReturn
from uuid import UUID

import click

from application.service import LedgerApplication
from infrastructure.store import StoreConfig, config_from_environ
from ledger.errors import ContractInOtherAccount, ContractNotFound, LedgerError

ACCOUNT_ENV = "LEDGER_ACCOUNT"
DEFAULT_ACCOUNT = "default"


def open_app(store: StoreConfig | None = None, *, create_tables: bool | None = None) -> LedgerApplication:
    try:
        return LedgerApplication(store or config_from_environ(), create_tables=create_tables)
    except LedgerError as error:
        fail(error)


def default_account() -> str:
    return os.environ.get(ACCOUNT_ENV, DEFAULT_ACCOUNT)


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
