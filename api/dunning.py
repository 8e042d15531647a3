"""Dunning over HTTP: the account's policy, drafts waiting for review, the outbox, a queued letter's PDF.

The dispatcher itself is ``ledger remind``; these routes read and steer it. Every route is the account's own:
another account's reminder is 404.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, Response, current_app
from marshmallow import fields

from api.auth import protect
from api.edge import account_id, idempotency_key, json_body, load_query, respond
from api.openapi import GET_ERRORS, operation
from dunning.service import DunningService
from infrastructure.store import StoreConfig
from schemas.dunning import DunningPolicyIn, DunningPolicyOut, DunningReminderOut, DunningRemindersOut, OutboxQuery

blueprint = protect(Blueprint("dunning", __name__, url_prefix="/v1"))
TAG = "dunning"
REMINDER_ID = {"reminder_id": fields.String(metadata={"description": "the reminder's id in the outbox"})}
DECISION_ERRORS = (400, 401, 404, 422, 503)


def dunning() -> DunningService:
    return cast(DunningService, current_app.extensions["dunning"])


@blueprint.get("/settings/dunning")
@operation("The account's dunning policy", TAG, response=DunningPolicyOut, errors=GET_ERRORS)
def get_policy() -> Response:
    return respond(DunningPolicyOut().dump(dunning().policy(account_id())))


@blueprint.put("/settings/dunning")
@operation(
    "Set the account's dunning policy (auto or review, quiet days, letter channel)",
    TAG,
    body=DunningPolicyIn,
    response=DunningPolicyOut,
)
def put_policy() -> Response:
    idempotency_key()
    policy = DunningPolicyIn().load(json_body())
    return respond(DunningPolicyOut().dump(dunning().set_policy(account_id(), policy)))


@blueprint.get("/dunning/drafts")
@operation(
    "Drafts waiting for review, with a preview of each",
    TAG,
    query=OutboxQuery,
    response=DunningRemindersOut,
    errors=GET_ERRORS,
    description="The same entries as the outbox with status draft.",
)
def drafts() -> Response:
    query = load_query(OutboxQuery())
    return respond(DunningRemindersOut().dump({"items": dunning().listed(account_id(), "draft", query["limit"])}))


@blueprint.get("/dunning/outbox")
@operation(
    "The outbox: every reminder planned, with its status",
    TAG,
    query=OutboxQuery,
    response=DunningRemindersOut,
    errors=GET_ERRORS,
)
def outbox() -> Response:
    query = load_query(OutboxQuery())
    return respond(
        DunningRemindersOut().dump({"items": dunning().listed(account_id(), query.get("status"), query["limit"])})
    )


@blueprint.post("/dunning/drafts/<reminder_id>/approve")
@operation(
    "Approve a draft: it is sent (an email) or queued ready to post (a letter)",
    TAG,
    response=DunningReminderOut,
    path=REMINDER_ID,
    errors=DECISION_ERRORS,
    idempotent=True,
    description="Approving an approved draft again answers it as it is now.",
)
def approve(reminder_id: str) -> Response:
    idempotency_key()
    return respond(DunningReminderOut().dump(dunning().decide(account_id(), reminder_id, approve=True)))


@blueprint.post("/dunning/drafts/<reminder_id>/discard")
@operation(
    "Discard a draft: it is never sent",
    TAG,
    response=DunningReminderOut,
    path=REMINDER_ID,
    errors=DECISION_ERRORS,
    idempotent=True,
    description="Discarding a discarded draft again answers it as it is now.",
)
def discard(reminder_id: str) -> Response:
    idempotency_key()
    return respond(DunningReminderOut().dump(dunning().decide(account_id(), reminder_id, approve=False)))


@blueprint.get("/dunning/reminders/<reminder_id>/letter.pdf")
@operation(
    "The letter before action queued for the post (PDF)",
    TAG,
    path=REMINDER_ID,
    errors=GET_ERRORS,
    content_type="application/pdf",
    description="Record its posting with the record_reminder_sent command, giving its document_hash.",
)
def letter(reminder_id: str) -> Response:
    data = dunning().letter_pdf(account_id(), reminder_id)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="letter-{reminder_id}.pdf"'},
    )


def register(app: Flask, store: StoreConfig) -> None:
    """After ``readmodels.register``: the outbox lives in the read-model database, so its connections serve both."""
    app.extensions["dunning"] = DunningService(store, app.extensions["read_models"].db)
