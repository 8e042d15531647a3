"""``create_app``: the Flask application factory (gunicorn runs ``api:create_app()`` in each worker).

The LedgerApplication is built here, so each gunicorn worker builds its own
after the fork (an application shared across a fork hangs on pooled sockets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from api import (
    commands,
    contracts,
    dunning,
    errors,
    evidence,
    integrations,
    metrics,
    readmodels,
    requestlog,
    security,
    service,
)
from api.config import settings
from api.openapi import build_spec
from api.startup import open_or_retry
from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.service import ReadModels

# Every blueprint of the service, in one place. Add yours here (see api/__init__.py).
BLUEPRINTS: list[Blueprint] = [
    service.blueprint,
    contracts.blueprint,
    commands.blueprint,
    evidence.blueprint,
    readmodels.blueprint,
    dunning.blueprint,
    integrations.blueprint,
]


def build_ledger(config: Mapping[str, Any]) -> LedgerApplication:
    given = config.get("LEDGER_APPLICATION")
    if isinstance(given, LedgerApplication):
        return given  # tests and embedders may pass a ready application
    return LedgerApplication(StoreConfig(config["DATABASE_URL"]), create_tables=config["CREATE_TABLES"],
                             group_commit=config["GROUP_COMMIT"])


def create_app(config: Mapping[str, Any] | None = None, **overrides: Any) -> Flask:
    """Defaults, then ``LEDGER_*`` environment variables, then ``config``, then ``overrides``."""
    values = settings(os.environ, config, overrides)  # the one read of the environment in the HTTP service
    app = Flask(__name__, static_folder=None)
    app.config.update(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_BODY_BYTES"]
    app.config["PROMETHEUS_MULTIPROC_DIR"] = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    requestlog.register(app)  # first: the request id is set before any other hook runs
    errors.register(app)
    metrics.register(app)
    security.register(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.extensions["openapi"] = build_spec(app)  # fails at start-up, before the store is opened, if a route is undocumented
    open_or_retry(app.extensions, ("ledger", "read_models", "dunning", "integrations"), lambda: open_stores(app, values))
    return app


def open_stores(app: Flask, values: Mapping[str, Any]) -> None:
    """The event store, then the read models (each once: a retry after a partial failure keeps what opened), then the
    dunning and integration services over them."""
    if not isinstance(app.extensions.get("ledger"), LedgerApplication):
        app.extensions["ledger"] = build_ledger(values)
    if not isinstance(app.extensions.get("read_models"), ReadModels):
        readmodels.register(app, StoreConfig(values["DATABASE_URL"]), values["RUN_PROJECTIONS"])
    dunning.register(app, StoreConfig(values["DATABASE_URL"]))  # both over the stores just opened
    integrations.register(app, StoreConfig(values["DATABASE_URL"]))
