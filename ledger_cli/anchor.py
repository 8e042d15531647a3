"""``ledger anchor``: timestamp every contract whose chain head changed (cron, compose service), and
``ledger anchor check``: name any contract whose anchored head is no longer in its chain."""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

import click

from application.audit import is_contract_topic
from application.service import LedgerApplication
from evidence.anchors import AnchorStore, Tsa, anchor_head, check_anchor, load_tsa
from ledger.errors import LedgerError
from ledger_cli.context import current_settings, fail, open_app

PAGE = 500  # notifications read per page while looking for contract heads


def tsa_from(url: str | None, ca_file: Path | None) -> Tsa:
    settings = current_settings()
    try:
        tsa = load_tsa(url or settings.tsa_url, ca_file or settings.tsa_ca_file)
    except LedgerError as error:
        fail(error)
    if tsa is None:
        raise click.UsageError("set LEDGER_TSA_URL and LEDGER_TSA_CA_FILE (or --tsa-url and --tsa-ca-file)")
    return tsa


def contract_ids(app: LedgerApplication) -> list[str]:
    """Every contract in the store, from the notification log, page by page."""
    found: dict[str, None] = {}
    start = 1
    while True:
        page = app.recorder.select_notifications(start, PAGE)
        for notification in page:
            if is_contract_topic(notification.topic):
                found.setdefault(str(notification.originator_id))
        if len(page) < PAGE:
            return list(found)
        start = page[-1].id + 1


@click.group(invoke_without_command=True)
@click.option("--tsa-url", default=None, help="RFC 3161 timestamp authority, POST (default: LEDGER_TSA_URL).")
@click.option(
    "--tsa-ca-file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM CA certificates of the TSA (default: LEDGER_TSA_CA_FILE).",
)
@click.option(
    "--every",
    "every",
    type=click.IntRange(min=60),
    default=None,
    help="Run again every SECONDS (a compose service); default: once (cron).",
)
@click.pass_context
def anchor(ctx: click.Context, tsa_url: str | None, tsa_ca_file: Path | None, every: int | None) -> None:
    """Timestamp the chain head of every contract whose head changed since it was last anchored."""
    if ctx.invoked_subcommand is not None:
        return
    tsa, app = tsa_from(tsa_url, tsa_ca_file), open_app()
    while True:
        click.echo(f"anchored {anchor_all(app, tsa)} chain head(s)")
        if every is None:
            return
        time.sleep(every)


def anchor_all(app: LedgerApplication, tsa: Tsa) -> int:
    store = AnchorStore(app.store)
    try:
        made = 0
        for contract_id in contract_ids(app):
            records = list(app.chain_records(UUID(contract_id)))
            account = app.replay_contract(contract_id).account_id
            made += anchor_head(store, tsa, account, records) is not None
        return made
    finally:
        store.close()


@anchor.command("check")
def check_command() -> None:
    """Every anchored head must still be in its contract's chain; exit 1 naming each one that is not."""
    app = open_app()
    store = AnchorStore(app.store)
    try:
        failures = []
        for _account, anchored in store.all():
            records = list(app.chain_records(UUID(anchored.contract_id)))
            why = check_anchor(anchored, records)
            if why:
                failures.append(f"contract {anchored.contract_id}: {why}")
    finally:
        store.close()
    for line in failures:
        click.echo(f"FAILED: {line}")
    if failures:
        raise SystemExit(1)
    click.echo("OK  every anchored head is in its chain")
