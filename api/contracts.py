"""``/v1/contracts``: sign a contract, and read one contract (summary, events, statement, verify).

Single-contract reads come from the contract's own events, so they always
reflect the last write (the summary from its rendering at the contract's
current version, see ``api.summaries``). The list of contracts comes from the
read models (see the projections' blueprint).
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response

from api.auth import protect
from api.edge import (
    account_id,
    etag,
    idempotency_key,
    json_body,
    json_text,
    ledger,
    load_query,
    respond,
    respond_text,
)
from api.openapi import GET_ERRORS, operation
from api.results import command_response
from api.summaries import Rendered, current_version, rendered_summaries
from ledger.commands import SignContract
from schemas.commands import SignContractSchema
from schemas.queries import AsOfQuery, PageQuery
from schemas.responses import EventPageOut, StatementOut, SummaryOut, VerifyOut

blueprint = protect(Blueprint("contracts", __name__, url_prefix="/v1/contracts"))
TAG = "contracts"
AS_OF, SUMMARY = AsOfQuery(), SummaryOut()  # built once: marshmallow schemas are reusable across threads


@blueprint.post("")
@operation("Sign a contract", TAG, body=SignContractSchema, response=SummaryOut, status=201,
           description="Records ContractSigned; answers the summary with Location and ETag.")
def sign_contract() -> Response:
    body, key = json_body(), idempotency_key()
    command: SignContract = SignContractSchema().load(body)
    return command_response(ledger().sign_contract(account_id(), command, idempotency_key=key))


@blueprint.get("/<uuid:contract_id>")
@operation("Contract summary as of a date", TAG, query=AsOfQuery, response=SummaryOut, errors=GET_ERRORS)
def summary(contract_id: UUID) -> Response:
    as_of, account, cache = load_query(AS_OF)["as_of"], account_id(), rendered_summaries()
    rendered = cache.get(contract_id, current_version(contract_id), as_of.isoformat(), account)
    if rendered is None:
        found = ledger().summary(account, contract_id, as_of)
        rendered = Rendered(account, found["version"], json_text(SUMMARY.dump(found)))
        cache.put(contract_id, as_of.isoformat(), rendered)
    return respond_text(rendered.text, headers={"ETag": etag(rendered.version)})


@blueprint.get("/<uuid:contract_id>/events")
@operation("The contract's raw events with their hash chain, paged", TAG, query=PageQuery, response=EventPageOut,
           errors=GET_ERRORS)
def events(contract_id: UUID) -> Response:
    query = load_query(PageQuery())
    records = ledger().event_records(account_id(), contract_id)
    start, limit = int(query.get("cursor", 0)), query["limit"]
    end = start + limit
    page = {"items": [r.to_dict() for r in records[start:end]], "next_cursor": str(end) if end < len(records) else None}
    return respond(EventPageOut().dump(page))


@blueprint.get("/<uuid:contract_id>/statement")
@operation("Statement of account as of a date", TAG, query=AsOfQuery, response=StatementOut, errors=GET_ERRORS)
def statement(contract_id: UUID) -> Response:
    query = load_query(AsOfQuery())
    return respond(StatementOut().dump(ledger().statement(account_id(), contract_id, query["as_of"])))


@blueprint.get("/<uuid:contract_id>/verify")
@operation("Verify the contract's hash chain", TAG, response=VerifyOut, errors=GET_ERRORS)
def verify(contract_id: UUID) -> Response:
    return respond(VerifyOut().dump(ledger().verify(account_id(), contract_id).to_dict()))
