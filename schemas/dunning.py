"""Bodies, queries and answers of the dunning routes: the account's policy, drafts, the outbox."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load, validate

from projections.outbox import STATUSES  # the outbox owns its statuses; the schema lists the same ones
from schemas.common import StrictSchema, choice, day
from schemas.readmodels import POSITION_TOKEN
from schemas.responses import Out, integer, iso_day, many, string

MODES = ("auto", "review")
LETTER_CHANNELS = ("post", "certified_mail")
HOLIDAYS_MAX = 400


class DunningPolicyIn(StrictSchema):
    mode = choice(MODES, metadata={"description": "auto: reminders are sent; review: drafts wait for approval"})
    holidays = fields.List(
        day(),
        load_default=list,
        validate=validate.Length(max=HOLIDAYS_MAX),
        metadata={"description": "days on which nothing is sent (moved to the next working day)"},
    )
    quiet_weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(0, 6)),
        load_default=lambda: [5, 6],
        validate=validate.Length(max=5),
        metadata={"description": "0 = Monday ... 6 = Sunday; default Saturday and Sunday"},
    )
    letter_channel = choice(
        LETTER_CHANNELS,
        required=False,
        load_default="post",
        metadata={"description": "how the letter before action goes"},
    )

    @post_load
    def iso_days(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "holidays": [d.isoformat() for d in data.get("holidays", [])]}


class DunningPolicyOut(Out):
    mode = string()
    holidays = many(fields.String(metadata={"format": "date"}))
    quiet_weekdays = many(fields.Integer())
    letter_channel = string()


class OutboxQuery(StrictSchema):
    status = choice(STATUSES, required=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    min_position = fields.String(
        validate=validate.Regexp(POSITION_TOKEN, error="an X-Ledger-Position token"),
        metadata={"description": "accepted like on every account-wide read (an X-Ledger-Position token); the outbox is written by the dispatcher, not projected from the log, so it answers at once"},
    )


class DunningReminderOut(Out):
    id = string()
    contract_id = string(format="uuid")
    invoice_numbers = many(fields.String())
    stage = string()
    channel = string()
    status = string()
    stage_due_on = iso_day()
    send_on = iso_day()
    recipient = string()
    subject = string()
    preview = string()
    message_id = string()
    document_hash = string(nullable=True)
    sent_on = iso_day(nullable=True)
    attempts = integer()
    failures = integer()
    next_attempt_at = string()
    last_error = string(nullable=True)
    created_at = string()
    updated_at = string()


class DunningRemindersOut(Out):
    items = many(DunningReminderOut)
