"""``POST /v1/attachments`` (raw upload, content-addressed), ``GET /v1/contracts/{id}/evidence`` (ZIP) and
``GET /v1/contracts/{id}/claim`` (the statement of claim with its interest working, JSON) and
``GET /v1/contracts/{id}/filing`` (what an online money claim asks for, JSON).

Both open the attachment store per request: it lives in the event store's
database (see ``evidence.attachments``), so every API host sees every upload.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from flask import Blueprint, Response, current_app

from api.auth import protect
from api.edge import account_id, body_bytes, idempotency_key, ledger, load_query, respond
from api.openapi import GET_ERRORS, operation
from evidence.anchors import Tsa, load_tsa
from evidence.attachments import ATTACHMENT_BYTES_MAX, AttachmentStore
from evidence.export import claim_as_of, export_bundle, filing_as_of
from ledger import clock
from schemas.evidence import AttachmentOut, ClaimOut, FilingOut
from schemas.queries import AsOfQuery

blueprint = protect(Blueprint("evidence", __name__, url_prefix="/v1"))
TAG = "evidence"


@contextmanager
def attachment_store() -> Iterator[AttachmentStore]:
    store = AttachmentStore(ledger().store)
    try:
        yield store
    finally:
        store.close()


def configured_tsa() -> Tsa | None:
    return load_tsa(current_app.config.get("TSA_URL"), current_app.config.get("TSA_CA_FILE"))


@blueprint.post("/attachments")
@operation("Upload a document; answers its SHA-256 (the content address events refer to)", TAG,
           response=AttachmentOut, status=201, errors=(400, 401, 413, 422, 503), raw_body="application/octet-stream",
           description=f"The raw bytes are the body (any content type), at most {ATTACHMENT_BYTES_MAX} bytes. "
                       "Uploading the same bytes again answers the same hash.")
def upload_attachment() -> Response:
    idempotency_key()
    content = body_bytes(ATTACHMENT_BYTES_MAX)  # documents are larger than JSON commands
    with attachment_store() as store:
        digest = store.put(account_id(), content)
    return respond(AttachmentOut().dump({"sha256": digest, "bytes": len(content)}), status=201)


@blueprint.get("/contracts/<uuid:contract_id>/evidence")
@operation("Evidence bundle as of a date (ZIP: bundle.pdf, letter, events.jsonl, CSVs, attachments, manifest)", TAG,
           query=AsOfQuery, errors=GET_ERRORS, content_type="application/zip",
           description="Verify it offline with `ledger evidence verify FILE.zip`.")
def evidence_bundle(contract_id: UUID) -> Response:
    query = load_query(AsOfQuery())
    with attachment_store() as store:
        bundle = export_bundle(ledger(), account_id(), contract_id, as_of=query["as_of"], generated_at=clock.now(),
                               rates_dir=current_app.config.get("RATES_DIR"), attachments=store,
                               strict=bool(current_app.config.get("RATES_STRICT")), tsa=configured_tsa())
    name = f"evidence-{contract_id}-{query['as_of'].isoformat()}.zip"
    return Response(bundle.data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "ETag": f'"{bundle.fingerprint}"'})


@blueprint.get("/contracts/<uuid:contract_id>/claim")
@operation("Statement of claim as of a date: principal + interest + fixed compensation, period by period", TAG,
           query=AsOfQuery, response=ClaimOut, errors=GET_ERRORS)
def claim(contract_id: UUID) -> Response:
    query = load_query(AsOfQuery())
    found = claim_as_of(ledger(), account_id(), contract_id, as_of=query["as_of"],
                        rates_dir=current_app.config.get("RATES_DIR"), strict=bool(current_app.config.get("RATES_STRICT")))
    return respond(ClaimOut().dump(found.to_dict()))


@blueprint.get("/contracts/<uuid:contract_id>/filing")
@operation("Ready-to-file money claim as of a date: parties, amount, interest with its daily amount and basis, court "
           "fee, particulars of claim (at most 1,080 characters)", TAG, query=AsOfQuery, response=FilingOut,
           errors=GET_ERRORS)
def filing(contract_id: UUID) -> Response:
    query = load_query(AsOfQuery())
    found = filing_as_of(ledger(), account_id(), contract_id, as_of=query["as_of"],
                         rates_dir=current_app.config.get("RATES_DIR"), strict=bool(current_app.config.get("RATES_STRICT")))
    return respond(FilingOut().dump(found.to_dict()))
