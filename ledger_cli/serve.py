"""``ledger serve``: the HTTP API under gunicorn, one LedgerApplication per worker.

The store is opened once here first, before any worker starts: on SQLite that
creates the tables (so workers never race to create them) and the dev key; on
PostgreSQL it checks that ``ledger db migrate`` has run, and the workers start
with table creation off.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from application.accounts import account_exists
from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.errors import LedgerError
from ledger_cli.context import current_settings, default_account, fail, open_app

DEV_ACCOUNT_NAME = "Development account"


def dev_key_path(store: StoreConfig) -> Path:
    return Path(f"{store.sqlite_path}.dev-key")


def ensure_dev_key(app: LedgerApplication, store: StoreConfig, account_id: str) -> str:
    """The dev account's key, created on first start and kept (mode 0600) beside the SQLite file."""
    path = dev_key_path(store)
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if app.authenticate(key) == account_id:
            return key
    if not account_exists(app, account_id):
        app.create_account(DEV_ACCOUNT_NAME, account_id=account_id)
    key = app.create_api_key(account_id)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


# gunicorn refuses longer request lines (414) and header fields (400) itself, with its own HTML page, before
# the app sees them: set generously (8190 is gunicorn's largest request line short of "unlimited").
REQUEST_LINE_BYTES_MAX = 8190
HEADER_FIELD_BYTES_MAX = 16384


def gunicorn_command(bind: str, workers: int, threads: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--limit-request-line", str(REQUEST_LINE_BYTES_MAX),
            "--limit-request-field_size", str(HEADER_FIELD_BYTES_MAX),
            "--access-logfile", "-", "--graceful-timeout", "10", "api:create_app()"]


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
@click.option("--dev-key/--no-dev-key", default=True, show_default=True,
              help="On the embedded SQLite store, print a key of the dev account (created on first start).")
def serve(bind: str, workers: int, threads: int, dev_key: bool) -> None:
    """Serve the HTTP API (gunicorn running api:create_app())."""
    store = current_settings().store()
    app = open_app(store)
    try:
        app.check_ready()
        key = ensure_dev_key(app, store, default_account()) if dev_key and store.kind == "sqlite" else None
    except LedgerError as error:
        fail(f"{error.message} (on PostgreSQL, run `ledger db migrate` first)")
    finally:
        app.close()
    click.echo(f"Ledger API on http://{bind}  (store: {store.kind}; docs at http://{bind}/docs)")
    if key:
        click.echo(f"Dev key for account {default_account()!r}: {key}")
    env = {**os.environ, "LEDGER_DATABASE_URL": store.url}
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ledger-metrics-"))
    sys.stdout.flush()
    os.execve(sys.executable, gunicorn_command(bind, workers, threads), env)
