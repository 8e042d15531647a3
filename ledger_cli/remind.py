"""``ledger remind``: the dunning dispatcher (a worker; ``--once`` for cron).

Configuration is read here, from the service's settings: ``LEDGER_DATABASE_URL`` for the store, ``LEDGER_SMTP_*``
for the mail server (see ``dunning.settings``), with command-line options taking precedence.
"""

from __future__ import annotations

from datetime import datetime

import click

from dunning.dispatcher import Dispatcher
from dunning.settings import SECURITY, Schedule, SmtpSettings
from ledger.errors import LedgerError
from ledger_cli.context import current_settings, fail, open_app
from ledger_cli.kafka import stop_on_signals


@click.command()
@click.option("--once", is_flag=True, help="One pass (plan, send, record), then exit: for cron.")
@click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day to act for (default: today, UTC)."
)
@click.option("--smtp-host", default=None, help="SMTP server host ($LEDGER_SMTP_HOST).")
@click.option("--smtp-port", type=int, default=None, help="SMTP server port ($LEDGER_SMTP_PORT).")
@click.option(
    "--smtp-security", type=click.Choice(SECURITY), default=None, help="none, starttls or ssl ($LEDGER_SMTP_SECURITY)."
)
@click.option("--smtp-from", "sender", default=None, help="Sender address ($LEDGER_SMTP_FROM).")
@click.option(
    "--poll-seconds", type=click.FloatRange(0.1, 3600), default=60.0, show_default=True, help="Pause between passes."
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(0.5, 86400),
    default=120.0,
    show_default=True,
    help="How long a taken reminder is this process's; after that another dispatcher may take it over.",
)
@click.option(
    "--backoff-seconds",
    type=click.FloatRange(0.1, 86400),
    default=60.0,
    show_default=True,
    help="First retry delay after a send failure (doubled each time, at most an hour).",
)
def remind(
    once: bool,
    today: datetime | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    sender: str | None,
    poll_seconds: float,
    lease_seconds: float,
    backoff_seconds: float,
) -> None:
    """Send the reminders that are due by email, queue letters ready to post, record each exactly once."""
    settings = current_settings()
    try:
        smtp = SmtpSettings.from_settings(
            settings, host=smtp_host, port=smtp_port, security=smtp_security, sender=sender
        )
    except LedgerError as error:
        fail(error)
    store = settings.store()
    schedule = Schedule(poll_s=poll_seconds, lease_s=lease_seconds, backoff_s=backoff_seconds)
    stop = stop_on_signals()
    dispatcher = Dispatcher(open_app(store, create_tables=store.kind == "sqlite"), store, smtp, schedule)
    day = today.date().isoformat() if today else None
    try:
        if once:
            click.echo(f"remind: {dispatcher.run_once(day)}")
        else:
            dispatcher.run(stop, day)
    except LedgerError as error:
        fail(error)
    finally:
        dispatcher.close()
