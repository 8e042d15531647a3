"""Prometheus metrics: requests by route and status with latencies, events appended, and the days left until each
reference-rate table's verified-through date (computed at each scrape from the tables in use).

With several gunicorn workers, ``ledger serve`` sets ``PROMETHEUS_MULTIPROC_DIR``
and every worker writes its samples there; ``/metrics`` then aggregates all
workers, whichever one answers the scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from dunning.service import DunningService
from ledger import clock
from ledger.errors import LedgerError
from ledger.rates import load_rate_tables
from ledger.rates.status import rate_warnings, table_status
from projections.outbox import STATUSES

REQUESTS = Counter("ledger_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "ledger_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EVENTS = Counter("ledger_events_appended", "Contract events appended through the HTTP API", ["type"])


def count_events(event_types: list[str]) -> None:
    for event_type in event_types:
        EVENTS.labels(event_type).inc()


def start_timer() -> None:
    g.started = time.perf_counter()


def observe(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    method = request.method if request.method in KNOWN_METHODS else "other"  # one series per known method, no more
    labels = (method, route, str(response.status_code))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(time.perf_counter() - g.get("started", time.perf_counter()))
    return response


class RateTablesCollector(Collector):
    """``ledger_rates_verified_days_remaining{table}``: negative once past (claims then say provisional)."""

    def __init__(self, rates_dir: str | None) -> None:
        self.rates_dir = rates_dir

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("ledger_rates_verified_days_remaining",
                                  "Days until each reference-rate table's verified-through date", labels=["table"])
        try:
            tables = load_rate_tables(self.rates_dir)
        except LedgerError:
            yield gauge
            return
        for status in table_status(tables, clock.now().date().isoformat()):
            gauge.add_metric([status.name], status.days_left)
        yield gauge


class OutboxCollector(Collector):
    """The dunning outbox as the dispatchers left it (read at scrape time, so every dispatcher process counts)."""

    def __init__(self, counts: Callable[[], tuple[dict[str, int], int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        by_status, failures = self.counts()
        gauge = GaugeMetricFamily("ledger_dunning_outbox", "Reminders in the dunning outbox by status", labels=["status"])
        for status in STATUSES:
            gauge.add_metric([status], by_status.get(status, 0))
        yield gauge
        yield CounterMetricFamily("ledger_dunning_send_failures", "Reminder emails the SMTP server refused or could "
                                  "not take (each attempt)", value=failures)


def outbox_exposition() -> bytes:
    service = current_app.extensions.get("dunning")
    if not isinstance(service, DunningService):  # not opened yet (the database was down at boot)
        return b""
    registry = CollectorRegistry()
    registry.register(OutboxCollector(service.counts))
    try:
        return generate_latest(registry)
    except LedgerError:  # the read-model database is down: the request metrics still answer
        return b""


def rate_warnings_now() -> list[str]:
    try:
        tables = load_rate_tables(current_app.config.get("RATES_DIR"))
    except LedgerError as error:
        return [f"the rate tables cannot be read: {error.message}"]
    return rate_warnings(tables, clock.now().date().isoformat())


def exposition() -> Response:
    directory = current_app.config.get("PROMETHEUS_MULTIPROC_DIR")
    registry = REGISTRY
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
    rates = CollectorRegistry()
    rates.register(RateTablesCollector(current_app.config.get("RATES_DIR")))
    body = generate_latest(registry) + generate_latest(rates) + outbox_exposition()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    app.before_request(start_timer)
    app.after_request(observe)
