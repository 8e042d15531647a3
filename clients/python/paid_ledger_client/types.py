"""The shapes the service answers, as TypedDicts (JSON objects; money is integer minor units)."""

from __future__ import annotations

from typing import Any, TypedDict

Json = dict[str, Any]


class Money(TypedDict):
    amount: int
    currency: str


class Event(TypedDict):
    """One event as in events.jsonl, with its hash-chain link."""

    contract_id: str
    version: int
    type: str
    schema_version: int
    payload: dict[str, Any]
    occurred_on: str
    recorded_at: str
    prev_hash: str
    hash: str


class FeedPage(TypedDict):
    items: list[Event]
    next_cursor: str
    has_more: bool


class EventPage(TypedDict):
    items: list[Event]
    next_cursor: str | None


class Endpoint(TypedDict):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    status: str
    disabled_reason: str | None
    failures: int
    created_at: str


class CreatedEndpoint(Endpoint):
    secret: str


class Delivery(TypedDict):
    id: str
    endpoint_id: str
    contract_id: str
    version: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_response: str | None
    last_error: str | None
    created_at: str
    updated_at: str


class DeliveryPage(TypedDict):
    items: list[Delivery]
    next_cursor: str | None


class Attachment(TypedDict):
    sha256: str
    bytes: int
