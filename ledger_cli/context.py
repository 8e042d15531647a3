"""Opening the application from the environment: the one place the CLI reads configuration."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from application.service import LedgerApplication
from infrastructure.store import StoreConfig, config_from_environ
from ledger.errors import LedgerError

ACCOUNT_ENV = "LEDGER_ACCOUNT"
DEFAULT_ACCOUNT = "default"


def open_app(store: StoreConfig | None = None, *, create_tables: bool | None = None) -> LedgerApplication:
    try:
        return LedgerApplication(store or config_from_environ(), create_tables=create_tables)
    except LedgerError as error:
        fail(error)


def default_account() -> str:
    return os.environ.get(ACCOUNT_ENV, DEFAULT_ACCOUNT)


def fail(error: LedgerError | str, code: int = 1) -> NoReturn:
    text = f"error [{error.code}]: {error.message}" if isinstance(error, LedgerError) else f"error: {error}"
    click.echo(text, err=True)
    sys.exit(code)
