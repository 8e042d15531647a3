"""``ledger webhooks``: the webhook delivery worker (index the feed, fan out, deliver, retry).

Settings come from options or their ``LEDGER_WEBHOOKS_*`` environment variables;
the store from ``LEDGER_DATABASE_URL``. Run one instance per store.
"""

from __future__ import annotations

import click

from consumers.webhooks import WebhookSettings, run_worker
from ledger_cli.context import current_settings
from ledger_cli.kafka import stop_on_signals

DEFAULTS = WebhookSettings()


@click.command()
@click.option(
    "--allow-private/--no-allow-private",
    default=DEFAULTS.allow_private,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_ALLOW_PRIVATE",
    help="Deliver to loopback, private and link-local addresses (tests, closed networks).",
)
@click.option(
    "--backoff-base",
    type=click.FloatRange(0.01),
    default=DEFAULTS.backoff_base_s,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_BACKOFF_BASE_S",
    help="Seconds before the first retry; doubles each time.",
)
@click.option(
    "--backoff-max",
    type=click.FloatRange(0.01),
    default=DEFAULTS.backoff_max_s,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_BACKOFF_MAX_S",
    help="Longest wait between two attempts, in seconds.",
)
@click.option(
    "--retry-window",
    type=click.FloatRange(0),
    default=DEFAULTS.retry_window_s,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_RETRY_WINDOW_S",
    help="Seconds after the first attempt a delivery is retried before it is marked failed (3 days).",
)
@click.option(
    "--disable-after",
    type=click.IntRange(1, 10_000),
    default=DEFAULTS.disable_after,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_DISABLE_AFTER",
    help="Failed attempts in a row that disable an endpoint.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1, 60),
    default=DEFAULTS.connect_timeout_s,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_CONNECT_TIMEOUT_S",
    help="Seconds to connect.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(0.1, 120),
    default=DEFAULTS.read_timeout_s,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_READ_TIMEOUT_S",
    help="Seconds to wait for the receiver's answer.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULTS.concurrency,
    show_default=True,
    envvar="LEDGER_WEBHOOKS_CONCURRENCY",
    help="Endpoints delivered to at the same time.",
)
def webhooks(
    allow_private: bool,
    backoff_base: float,
    backoff_max: float,
    retry_window: float,
    disable_after: int,
    connect_timeout: float,
    read_timeout: float,
    concurrency: int,
) -> None:
    """Deliver every event to the webhook endpoints that want it, signed, retried, in order per endpoint."""
    settings = WebhookSettings(
        allow_private,
        backoff_base,
        backoff_max,
        retry_window,
        disable_after,
        connect_timeout,
        read_timeout,
        concurrency,
    )
    store = current_settings().store()
    stop = stop_on_signals()
    click.echo(f"delivering webhooks from the {store.kind} store (Ctrl-C to stop)")
    sent = run_worker(store, settings, stop)
    click.echo(f"stopped after {sent} successful deliveries")
