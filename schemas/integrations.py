"""The event feed and the webhooks: query strings, bodies and answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import DomainEvent
from marshmallow import ValidationError, fields, post_load, pre_dump, validate

from ledger.contract import Contract
from schemas.common import StrictSchema, text
from schemas.readmodels import POSITION_TOKEN
from schemas.responses import EventOut, Out, integer, many, string

# Every event type of the Contract stream (the library's own base classes aside).
EVENT_TYPES = tuple(
    sorted(
        name
        for name, value in vars(Contract).items()
        if isinstance(value, type) and issubclass(value, DomainEvent) and name not in ("Created", "Event")
    )
)
FEED_LIMIT_MAX = 500
FEED_LIMIT_DEFAULT = 100
WAIT_MAX_S = 30
TYPES_MAX = len(EVENT_TYPES)
DELIVERY_STATUSES = ("pending", "succeeded", "failed", "cancelled")
ENDPOINT_STATUSES = ("enabled", "disabled", "deleted")
CURSOR = r"^[0-9]{1,18}$"
UUID_TEXT = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def event_type_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(EVENT_TYPES))
    if not names or len(names) > TYPES_MAX or unknown:
        raise ValidationError(
            f"comma-separated event types, each one of {', '.join(EVENT_TYPES)}"
            + (f"; unknown: {', '.join(unknown[:5])}" if unknown else "")
        )
    return sorted(set(names))


class FeedQuery(StrictSchema):
    after = fields.String(
        validate=validate.Regexp(CURSOR, error="a cursor returned as next_cursor"),
        metadata={"description": "next_cursor of an earlier page (opaque); omit to start at the account's first event"},
    )
    types = fields.String(
        validate=[validate.Length(1, 1000), event_type_list],
        metadata={"description": "only these event types, comma-separated (e.g. PaymentReceived,InvoiceIssued)"},
    )
    limit = fields.Integer(load_default=FEED_LIMIT_DEFAULT, validate=validate.Range(1, FEED_LIMIT_MAX))
    min_position = fields.String(
        validate=validate.Regexp(POSITION_TOKEN, error="an X-Ledger-Position token"),
        metadata={"description": "wait (at most 5 s) until the feed has indexed this log position (the opaque X-Ledger-Position token of an earlier answer), for read-your-writes"},
    )
    wait = fields.Integer(
        load_default=0,
        validate=validate.Range(0, WAIT_MAX_S),
        metadata={
            "description": f"seconds (at most {WAIT_MAX_S}) to hold the request open "
            "until an event arrives (long poll); 0 answers at once"
        },
    )

    @post_load
    def parse(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["after"] = int(data.get("after", 0))
        data["types"] = event_type_list(data["types"]) if "types" in data else []
        return data


class FeedPageOut(Out):
    items = many(EventOut)
    next_cursor = string(description="pass as ?after= to read on; the same cursor when nothing is new")
    has_more = fields.Boolean(required=True, metadata={"description": "true: more events are ready now"})


def iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


class EndpointIn(StrictSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(1, 2000),
        metadata={
            "description": "http(s) URL; hosts resolving to loopback, private or link-local "
            "addresses are refused unless the operator allows them"
        },
    )
    event_types = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        load_default=list,
        validate=validate.Length(0, TYPES_MAX),
        metadata={"description": "event types to send; empty or absent: all"},
    )
    description = text(200, required=False)


class NoFieldsIn(StrictSchema):
    """The body of an action that takes no input: ``{}``."""


class EndpointOut(Out):
    id = string(format="uuid")
    url = string()
    description = string(nullable=True)
    event_types = many(fields.String())
    status = string(enum=list(ENDPOINT_STATUSES))
    disabled_reason = string(nullable=True)
    failures = integer()
    created_at = string(format="date-time")

    @pre_dump
    def rename(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "id": data["endpoint_id"], "created_at": iso(data["created_at"])}


class EndpointCreatedOut(EndpointOut):
    secret = string(description="the signing secret: shown in this answer only; keep it")


class EndpointListOut(Out):
    items = many(EndpointOut)


class DeliveryQuery(StrictSchema):
    endpoint_id = fields.String(validate=validate.Regexp(UUID_TEXT, error="an endpoint id"))
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    cursor = fields.String(validate=validate.Regexp(UUID_TEXT, error="a cursor returned as next_cursor"))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class DeliveryOut(Out):
    id = string(format="uuid")
    endpoint_id = string(format="uuid")
    contract_id = string(format="uuid")
    version = integer()
    event_type = string()
    status = string(enum=list(DELIVERY_STATUSES))
    attempts = integer()
    next_attempt_at = string(nullable=True, format="date-time")
    last_status = integer(nullable=True)
    last_response = string(nullable=True, description="the start of the last response body")
    last_error = string(nullable=True, description="why the last attempt failed without an HTTP answer")
    created_at = string(format="date-time")
    updated_at = string(format="date-time")

    @pre_dump
    def rename(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        pending = data["status"] == "pending"
        return {
            **data,
            "id": data["delivery_id"],
            "created_at": iso(data["created_at"]),
            "updated_at": iso(data["updated_at"]),
            "next_attempt_at": iso(data["next_attempt_at"]) if pending else None,
        }


class DeliveryPageOut(Out):
    items = many(DeliveryOut)
    next_cursor = string(nullable=True, description="pass as ?cursor= for older deliveries; null at the end")
