"""Request ids and JSON-line logs.

Each request gets an id: the client's ``X-Request-Id`` if it is sane (1 to 128 of ``A-Z a-z 0-9 . _ : -``),
else a new random one. It is echoed in the ``X-Request-Id`` answer header, set in
``infrastructure.requests.REQUEST_ID`` so every event the request stores carries it, and written in the
one JSON line logged per request (method, route, status, duration, account) and in every error logged
while it runs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from infrastructure.requests import REQUEST_ID

HEADER = "X-Request-Id"
SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("ledger.requests")


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and any ``extra`` fields."""

    FIELDS = ("method", "route", "path", "status", "duration_ms", "account_id")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        line.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, sort_keys=True)


def configure(stream: Any = None) -> None:
    """JSON lines on stderr for our loggers (``ledger.*`` and the adapter's ``api``); set once per process."""
    for name in ("ledger", "api"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
            handler = logging.StreamHandler(stream or sys.stderr)
            handler.setFormatter(JsonLines())
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


def begin() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if SANE.match(given) else uuid.uuid4().hex
    g.request_token = REQUEST_ID.set(g.request_id)
    g.request_started = time.perf_counter()


def finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        log.info(
            "request",
            extra={
                "method": request.method[:16],
                "route": route,
                "path": request.path[:200],
                "status": response.status_code,
                "duration_ms": round(elapsed, 2),
                "account_id": g.get("account_id"),
            },
        )
    return response


def end(_error: BaseException | None) -> None:
    token = g.pop("request_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


def register(app: Flask) -> None:
    configure()
    app.before_request(begin)
    app.after_request(finish)
    app.teardown_request(end)
