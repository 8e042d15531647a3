"""Cross-contract reads from the projections: contracts list, aging, reminders due, clients, licences.

Every answer carries ``X-Ledger-Position`` (the log position the read model has
applied) and accepts ``min_position`` to wait for one (read-your-writes).
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app
from marshmallow import Schema, fields

from api.auth import protect
from api.edge import account_id, load_query, respond
from api.openapi import GET_ERRORS, operation
from api.positions import position_of, token
from api.startup import ready
from infrastructure.store import StoreConfig
from projections.runner import start_background
from projections.service import ReadModels
from schemas.readmodels import (
    AgingOut,
    AgingQuery,
    ClientDetailOut,
    ClientsOut,
    ContractListOut,
    ContractListQuery,
    LicencesOut,
    LicencesQuery,
    ReadModelQuery,
    RemindersDueOut,
)

blueprint = protect(Blueprint("readmodels", __name__, url_prefix="/v1"))
POSITION_HEADER = "X-Ledger-Position"
DESCRIPTION = "From the read models; X-Ledger-Position (an opaque token) tells how far they have applied the log."


def read_models() -> ReadModels:
    return cast(ReadModels, ready(current_app.extensions["read_models"]))


def answer(schema: Schema, result: tuple[dict[str, Any], int]) -> Response:
    body, position = result
    return respond(schema.dump(body), headers={POSITION_HEADER: token(position)})


def query_of(schema: Schema) -> dict[str, Any]:
    """The query with dates as ISO strings (the read models' form)."""
    query = load_query(schema)
    if "min_position" in query:
        query["min_position"] = position_of(query["min_position"])
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in query.items()}


@blueprint.get("/contracts")
@operation("List the account's contracts", "contracts", query=ContractListQuery, response=ContractListOut,
           errors=GET_ERRORS, description=DESCRIPTION)
def list_contracts() -> Response:
    return answer(ContractListOut(), read_models().contracts(account_id(), **query_of(ContractListQuery())))


@blueprint.get("/reports/aging")
@operation("Aging of open invoices as of a date", "reports", query=AgingQuery, response=AgingOut, errors=GET_ERRORS,
           description=DESCRIPTION)
def aging() -> Response:
    return answer(AgingOut(), read_models().aging(account_id(), **query_of(AgingQuery())))


@blueprint.get("/reminders/due")
@operation("Reminders due as of a date", "reports", query=ReadModelQuery, response=RemindersDueOut,
           errors=GET_ERRORS, description=DESCRIPTION)
def reminders_due() -> Response:
    return answer(RemindersDueOut(), read_models().reminders_due(account_id(), **query_of(ReadModelQuery())))


@blueprint.get("/clients")
@operation("How each client pays", "clients", query=ReadModelQuery, response=ClientsOut, errors=GET_ERRORS,
           description=DESCRIPTION)
def clients() -> Response:
    return answer(ClientsOut(), read_models().clients(account_id(), **query_of(ReadModelQuery())))


@blueprint.get("/clients/<client_key>")
@operation("How one client pays", "clients", query=ReadModelQuery, response=ClientDetailOut, errors=GET_ERRORS,
           path={"client_key": fields.String(metadata={"description": "company number as co-<NUMBER>, or the email"})},
           description=DESCRIPTION)
def client(client_key: str) -> Response:
    return answer(ClientDetailOut(), read_models().client(account_id(), client_key, **query_of(ReadModelQuery())))


@blueprint.get("/licences")
@operation("Licence state and expiry of each contract", "licences", query=LicencesQuery, response=LicencesOut,
           errors=GET_ERRORS, description=DESCRIPTION)
def licences() -> Response:
    return answer(LicencesOut(), read_models().licences(account_id(), **query_of(LicencesQuery())))


def register(app: Flask, store: StoreConfig, run_projections: bool | None) -> None:
    """Open the read models; on the embedded default (or if asked) also run the projections in this process."""
    app.extensions["read_models"] = ReadModels(store, head=app.extensions["ledger"].recorder.max_notification_id)
    run = run_projections if run_projections is not None else store.kind == "sqlite"
    if run and "projection_runner" not in app.extensions:
        app.extensions["projection_runner"] = start_background(store)
