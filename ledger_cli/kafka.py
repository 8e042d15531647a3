"""``ledger consume``, ``ledger relay`` and ``ledger dev up``: the Kafka processes.

Configuration is read here, at the entry point: ``LEDGER_DATABASE_URL`` for the
store and ``LEDGER_KAFKA_*`` (see ``consumers.settings``) for the broker, with
command-line options taking precedence.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from kafka.errors import KafkaError

from consumers import tansu
from consumers.command_consumer import BATCH_MAX, CommandConsumer
from consumers.projection_consumer import KafkaProjection
from consumers.relay import PAGE_SIZE, EventRelay
from consumers.settings import KafkaSettings
from ledger.errors import LedgerError
from ledger_cli.context import current_settings, fail, open_app
from projections.db import Database

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def kafka_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--bootstrap-servers", default=None, help="host:port[,host:port] ($LEDGER_KAFKA_BOOTSTRAP_SERVERS)."),
        click.option("--commands-topic", default=None, help="Inbound commands ($LEDGER_KAFKA_COMMANDS_TOPIC)."),
        click.option("--dlq-topic", default=None, help="Dead letters ($LEDGER_KAFKA_DLQ_TOPIC)."),
        click.option("--events-topic", default=None, help="Outbound events ($LEDGER_KAFKA_EVENTS_TOPIC)."),
        click.option("--group", "consumer_group", default=None, help="Consumer group ($LEDGER_KAFKA_CONSUMER_GROUP)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def stop_on_signals() -> threading.Event:
    """SIGTERM and SIGINT finish the current batch and exit cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    return stop


@click.command()
@kafka_options
@click.option("--batch-max", default=BATCH_MAX, show_default=True, help="Most messages per poll.")
def consume(batch_max: int, **options: str | None) -> None:
    """Consume command messages from Kafka; dead-letter what the ledger refuses."""
    settings = KafkaSettings.from_settings(current_settings(), **options)
    stop = stop_on_signals()
    app = open_app(create_tables=False)
    counts = CommandConsumer(app, settings, batch_max=batch_max).run(stop)
    click.echo(f"consume: stopped: {counts}", err=True)


@click.command()
@kafka_options
@click.option("--page-size", default=PAGE_SIZE, show_default=True, help="Notifications per acknowledged page.")
def relay(page_size: int, **options: str | None) -> None:
    """Publish every contract event from the notification log to the events topic."""
    settings = KafkaSettings.from_settings(current_settings(), **options)
    stop = stop_on_signals()
    store = current_settings().store()
    app = open_app(store, create_tables=False)
    published = EventRelay(app, settings, Database(store), page_size=page_size).run(stop)
    click.echo(f"relay: stopped after publishing {published} events", err=True)


@click.group()
def dev() -> None:
    """Local development helpers."""


def dev_processes(api_bind: str, smtp_port: int) -> list[list[str]]:
    return [["serve", "--bind", api_bind], ["consume"], ["relay"], ["project", "--source", "kafka"],
            ["dev", "mailsink", "--port", str(smtp_port)], ["remind", "--smtp-port", str(smtp_port)]]


@dev.command()
@click.option("--kafka-port", default=9092, show_default=True, help="Loopback port for the Tansu broker.")
@click.option("--api-bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT of the HTTP API.")
@click.option("--smtp-port", default=1025, show_default=True, help="Loopback port of the local mail sink.")
def up(kafka_port: int, api_bind: str, smtp_port: int) -> None:
    """Start a Tansu broker, then the API, consumer, relay, projections, a mail sink (messages in ./mail) and the
    reminder dispatcher sending to it; Ctrl-C stops them all."""
    root = click.get_current_context().find_root().command
    known = set(getattr(root, "commands", {}))
    processes = [argv for argv in dev_processes(api_bind, smtp_port) if argv[0] in known]
    broker = tansu.start(kafka_port)
    env = {**os.environ, "LEDGER_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}", "LEDGER_SMTP_HOST": "127.0.0.1"}
    open_app(create_tables=True).close()  # tables once, before the workers start
    children = [subprocess.Popen([sys.argv[0], *argv], env=env) for argv in processes]
    click.echo(f"dev: Tansu broker on 127.0.0.1:{kafka_port}; started: {', '.join(' '.join(a) for a in processes)}")
    stop = stop_on_signals()
    try:
        while not stop.wait(1.0):
            if any(child.poll() is not None for child in children):
                click.echo("dev: a process exited; stopping the others", err=True)
                break
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=15)
        tansu.stop(broker)


def project_from_kafka(names: list[str]) -> None:
    """``ledger project --source kafka``: one consumer group (and thread) per read model, until SIGTERM."""
    settings = KafkaSettings.from_settings(current_settings())
    stop = stop_on_signals()
    store = current_settings().store()
    projections = [KafkaProjection(open_app(store, create_tables=False), store, settings, name) for name in names]
    threads = [threading.Thread(target=p.run, args=(stop,), name=f"project-{p.name}") for p in projections]
    for thread in threads:
        thread.start()
    click.echo(f"projecting {', '.join(names)} from {settings.events_topic} (Ctrl-C to stop)", err=True)
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=1.0)
    click.echo(f"project: stopped after {sum(p.applied for p in projections)} events", err=True)


@click.command()
@click.option("--kafka/--no-kafka", default=True, show_default=True, help="Also check that the broker answers.")
def healthcheck(kafka: bool) -> None:
    """Exit 0 if the event store (and the Kafka broker) answer: the container health check of the workers."""
    app = open_app(create_tables=False)
    try:
        app.check_ready()
    except LedgerError as error:
        fail(error)
    finally:
        app.close()
    if kafka:
        try:
            admin = KafkaSettings.from_settings(current_settings()).admin()
            admin.list_topics()
            admin.close()
        except KafkaError as error:
            fail(f"Kafka broker not reachable: {error}")
    click.echo("ok")
