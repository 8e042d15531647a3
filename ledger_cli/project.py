"""``ledger project``: run, rebuild or inspect the read models from the notification log."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import click
from tqdm import tqdm

from infrastructure.store import StoreConfig
from ledger_cli.context import current_settings
from ledger_cli.kafka import project_from_kafka
from projections import outbox
from projections.db import Database
from projections.feed import ensure_feed_tables
from projections.models import READ_MODELS
from projections.projector import ensure_tables
from projections.runner import BATCH_SIZE, LISTEN_POLL_INTERVAL_S, POLL_INTERVAL_S, Runner
from projections.webhooks import ensure_webhook_tables


@click.command()
@click.argument("names", nargs=-1, type=click.Choice(sorted(READ_MODELS)))
@click.option("--rebuild", "rebuild_name", type=click.Choice(sorted(READ_MODELS)), default=None,
              help="Drop this read model and rebuild it from the whole log, with a progress bar.")
@click.option("--status", "show_status", is_flag=True, help="Show each read model's position and lag, then exit.")
@click.option("--exit-when-caught-up", is_flag=True, help="Catch up once and exit instead of polling forever.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=BATCH_SIZE, show_default=True,
              help="Notifications applied per transaction.")
@click.option("--source", type=click.Choice(["log", "kafka"]), default="log", show_default=True,
              help="Where events come from: the local notification log, or the Kafka events topic.")
def project(names: tuple[str, ...], rebuild_name: str | None, show_status: bool, exit_when_caught_up: bool,
            batch_size: int, source: str) -> None:
    """Run read models (all, or NAMES) from the event store's notification log, in batches per transaction."""
    if source == "kafka":
        project_from_kafka(list(names) or list(READ_MODELS))
        return
    runner = Runner(current_settings().store(), list(names) or None, batch_size=batch_size)
    try:
        if show_status:
            print_status(runner.status())
        elif rebuild_name:
            rebuild(runner, rebuild_name)
        elif exit_when_caught_up:
            click.echo(f"applied {runner.catch_up()} contract events")
        else:
            run(runner)
    finally:
        runner.close()


def create_read_model_tables(store: StoreConfig) -> None:
    """Part of ``ledger db migrate``: the read models' tables (and the dunning outbox's), created once before any
    worker starts."""
    db = Database(store)
    try:
        ensure_tables(db, list(READ_MODELS.values()))
        outbox.ensure_tables(db)
        ensure_feed_tables(db)
        ensure_webhook_tables(db)
    finally:
        db.close()


def print_status(rows: list[dict[str, Any]]) -> None:
    click.echo(f"{'read model':<12} {'position':>10} {'head':>10} {'lag':>8} {'behind s':>9} {'events':>10}  updated")
    for row in rows:
        click.echo(f"{row['projection']:<12} {row['position']:>10} {row['head']:>10} {row['lag']:>8} "
                   f"{row['behind_s']:>9.3f} {row['events_applied']:>10}  {row['updated_at'] or '-'}")


def rebuild(runner: Runner, name: str) -> None:
    head = runner.source.head()
    started = time.perf_counter()
    with tqdm(total=head, unit="event", unit_scale=True, desc=f"rebuild {name}", dynamic_ncols=True) as bar:
        applied = runner.rebuild(name, on_batch=lambda read, _applied: bar.update(read))
    elapsed = time.perf_counter() - started
    rate = applied / elapsed if elapsed > 0 else 0.0
    click.echo(f"rebuilt {name}: {applied} contract events from {head} notifications in {elapsed:.2f} s "
               f"= {rate:,.0f} events/s")


def run(runner: Runner) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"projecting {', '.join(runner.names)} ({waits(runner)}; Ctrl-C to stop)")
    runner.run_forever(stop)


def waits(runner: Runner) -> str:
    if runner.store.kind == "postgres":
        return f"woken by each write's NOTIFY, polling every {LISTEN_POLL_INTERVAL_S} s as a safety net"
    return f"poll every {POLL_INTERVAL_S} s"
