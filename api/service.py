"""Routes about the service itself: health, readiness, metrics, the OpenAPI document and its page."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, current_app

from api import metrics
from api.edge import ledger, respond
from api.openapi import build_spec, operation
from api.readmodels import read_models
from api.security import check_metrics_access
from schemas.responses import HealthOut, ReadyOut

blueprint = Blueprint("service", __name__)
TAG = "service"


@blueprint.get("/healthz")
@operation("The process is up", TAG, response=HealthOut)
def healthz() -> Response:
    return respond({"status": "ok"})


@blueprint.get("/readyz")
@operation("The event store and the read-model database answer", TAG, response=ReadyOut, errors=(503,),
           description="Still ready, with a warning, when a rate table is within 30 days of (or past) its "
                       "verified-through date: claims past it are provisional.")
def readyz() -> Response:
    ledger().check_ready()
    read_models().check_ready()
    return respond(ReadyOut().dump({"status": "ready", "warnings": metrics.rate_warnings_now()}))


@blueprint.get("/metrics")
@operation("Prometheus metrics (operator only: the metrics token, or loopback clients when none is set)", TAG,
           content_type="text/plain", errors=(404,))
def prometheus() -> Response:
    check_metrics_access()
    return metrics.exposition()


@blueprint.get("/openapi.json")
@operation("This OpenAPI document", TAG, response={"type": "object"})
def openapi() -> Response:
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build_spec(current_app)
    return respond(document)


@blueprint.get("/docs")
@operation("A page that renders the OpenAPI document (no network needed)", TAG, content_type="text/html")
def docs() -> Response:
    page = resources.files("api").joinpath("static/docs.html").read_text(encoding="utf-8")
    return Response(page, mimetype="text/html")
