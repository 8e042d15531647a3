"""``/v1/events`` (the account's event feed) and ``/v1/webhooks/...`` (endpoints, the delivery log, redelivery).

The feed and the delivery queue are filled from the log by ``projections.feed``
and ``projections.webhooks`` (the read-model runner and ``ledger webhooks``);
these routes only read them, create or change endpoints, and requeue deliveries.
"""

from __future__ import annotations

import hashlib
import json
from typing import cast
from uuid import UUID

from flask import Blueprint, Flask, Response, current_app

from api.auth import protect
from api.edge import account_id, idempotency_key, json_body, load_query, respond
from api.openapi import GET_ERRORS, POST_ERRORS, operation
from api.positions import position_of, token
from api.startup import ready
from infrastructure.store import StoreConfig
from projections.integrations import Integrations
from schemas.integrations import (
    DeliveryOut,
    DeliveryPageOut,
    DeliveryQuery,
    EndpointCreatedOut,
    EndpointIn,
    EndpointListOut,
    EndpointOut,
    FeedPageOut,
    FeedQuery,
    NoFieldsIn,
)

blueprint = protect(Blueprint("integrations", __name__, url_prefix="/v1"))
POSITION_HEADER = "X-Ledger-Position"
WEBHOOKS = "webhooks"
CHANGE_ERRORS = (401, 404, 503)


def integrations() -> Integrations:
    return cast(Integrations, ready(current_app.extensions["integrations"]))


@blueprint.get("/events")
@operation(
    "Every event of the account, in log order, after a cursor (long poll with wait)",
    "events",
    query=FeedQuery,
    response=FeedPageOut,
    errors=GET_ERRORS,
    description="Each item is the event as in events.jsonl. Follow next_cursor; X-Ledger-Position tells how "
    "far the feed index has read the log.",
)
def feed() -> Response:
    query = load_query(FeedQuery())
    waited = position_of(query["min_position"]) if "min_position" in query else None
    page, position = integrations().feed_page(
        account_id(), query["after"], query["limit"], query["types"], query["wait"], waited
    )
    return respond(FeedPageOut().dump(page), headers={POSITION_HEADER: token(position)})


@blueprint.post("/webhooks/endpoints")
@operation(
    "Add a webhook endpoint (the answer shows its signing secret, once)",
    WEBHOOKS,
    body=EndpointIn,
    response=EndpointCreatedOut,
    status=201,
    errors=POST_ERRORS,
)
def create_endpoint() -> Response:
    body, key = json_body(), idempotency_key()
    loaded = EndpointIn().load(body)
    digest = hashlib.sha256(json.dumps(loaded, sort_keys=True).encode()).hexdigest()
    allow_private = bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    endpoint = integrations().create_endpoint(account_id(), key, digest, loaded, allow_private=allow_private)
    return respond(
        EndpointCreatedOut().dump(endpoint), 201, {"Location": f"/v1/webhooks/endpoints/{endpoint['endpoint_id']}"}
    )


@blueprint.get("/webhooks/endpoints")
@operation("The account's webhook endpoints", WEBHOOKS, response=EndpointListOut, errors=(401, 503))
def endpoints() -> Response:
    return respond(EndpointListOut().dump({"items": integrations().endpoints(account_id())}))


@blueprint.get("/webhooks/endpoints/<uuid:endpoint_id>")
@operation(
    "One webhook endpoint",
    WEBHOOKS,
    response=EndpointOut,
    errors=CHANGE_ERRORS,
    path={"endpoint_id": EndpointOut().fields["id"]},
)
def endpoint(endpoint_id: UUID) -> Response:
    return respond(EndpointOut().dump(integrations().endpoint(account_id(), str(endpoint_id))))


@blueprint.delete("/webhooks/endpoints/<uuid:endpoint_id>")
@operation(
    "Delete a webhook endpoint (its pending deliveries are cancelled)",
    WEBHOOKS,
    response=EndpointOut,
    errors=CHANGE_ERRORS,
    path={"endpoint_id": EndpointOut().fields["id"]},
)
def delete_endpoint(endpoint_id: UUID) -> Response:
    found = integrations().endpoint(account_id(), str(endpoint_id))
    integrations().delete_endpoint(account_id(), str(endpoint_id))
    return respond(EndpointOut().dump({**found, "status": "deleted"}))


@blueprint.post("/webhooks/endpoints/<uuid:endpoint_id>/enable")
@operation(
    "Enable a disabled endpoint again (its waiting deliveries resume)",
    WEBHOOKS,
    body=NoFieldsIn,
    response=EndpointOut,
    errors=POST_ERRORS,
    path={"endpoint_id": EndpointOut().fields["id"]},
)
def enable_endpoint(endpoint_id: UUID) -> Response:
    idempotency_key()  # required on every POST; a repeat enables it again, which is harmless
    NoFieldsIn().load(json_body())
    return respond(EndpointOut().dump(integrations().enable_endpoint(account_id(), str(endpoint_id))))


@blueprint.get("/webhooks/deliveries")
@operation(
    "The delivery log, newest first: status, attempts, last response, next attempt",
    WEBHOOKS,
    query=DeliveryQuery,
    response=DeliveryPageOut,
    errors=GET_ERRORS,
)
def deliveries() -> Response:
    query = load_query(DeliveryQuery())
    return respond(DeliveryPageOut().dump(integrations().deliveries(account_id(), **query)))


@blueprint.get("/webhooks/deliveries/<uuid:delivery_id>")
@operation(
    "One delivery",
    WEBHOOKS,
    response=DeliveryOut,
    errors=CHANGE_ERRORS,
    path={"delivery_id": DeliveryOut().fields["id"]},
)
def delivery(delivery_id: UUID) -> Response:
    return respond(DeliveryOut().dump(integrations().delivery(account_id(), str(delivery_id))))


@blueprint.post("/webhooks/deliveries/<uuid:delivery_id>/redeliver")
@operation(
    "Send a delivery again (same delivery id), now, with a fresh retry window",
    WEBHOOKS,
    body=NoFieldsIn,
    response=DeliveryOut,
    errors=POST_ERRORS,
    path={"delivery_id": DeliveryOut().fields["id"]},
)
def redeliver(delivery_id: UUID) -> Response:
    idempotency_key()  # required on every POST; a repeat queues it again (the same delivery id: at least once)
    NoFieldsIn().load(json_body())
    return respond(DeliveryOut().dump(integrations().redeliver(account_id(), str(delivery_id))))


def register(app: Flask, store: StoreConfig) -> None:
    app.extensions["integrations"] = Integrations(store, app.extensions["ledger"], app.extensions["read_models"])
