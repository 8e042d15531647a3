"""``LedgerClient``: one method per operation of the service's OpenAPI document.

``OPERATIONS`` maps each method name to its HTTP method and path; a test checks
it against the served ``/openapi.json`` both ways, so an operation added to the
service without a method here (or a method left for a removed one) fails the
build. Adding one is a row in the table and a two-line method calling
``self.call(name, ...)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

from paid_ledger_client.commands import COMMAND_OPERATIONS, Commands
from paid_ledger_client.transport import Answer, Transport
from paid_ledger_client.types import (
    Attachment,
    CreatedEndpoint,
    Delivery,
    DeliveryPage,
    Endpoint,
    Event,
    EventPage,
    FeedPage,
    Json,
)

OPERATIONS: dict[str, tuple[str, str]] = {
    "healthz": ("GET", "/healthz"),
    "readyz": ("GET", "/readyz"),
    "metrics": ("GET", "/metrics"),
    "openapi": ("GET", "/openapi.json"),
    "docs": ("GET", "/docs"),
    "sign_contract": ("POST", "/v1/contracts"),
    "list_contracts": ("GET", "/v1/contracts"),
    "get_contract": ("GET", "/v1/contracts/{contract_id}"),
    "contract_events": ("GET", "/v1/contracts/{contract_id}/events"),
    "statement": ("GET", "/v1/contracts/{contract_id}/statement"),
    "verify": ("GET", "/v1/contracts/{contract_id}/verify"),
    "claim": ("GET", "/v1/contracts/{contract_id}/claim"),
    "evidence": ("GET", "/v1/contracts/{contract_id}/evidence"),
    "filing": ("GET", "/v1/contracts/{contract_id}/filing"),
    "upload_attachment": ("POST", "/v1/attachments"),
    "aging": ("GET", "/v1/reports/aging"),
    "reminders_due": ("GET", "/v1/reminders/due"),
    "clients": ("GET", "/v1/clients"),
    "client": ("GET", "/v1/clients/{client_key}"),
    "licences": ("GET", "/v1/licences"),
    "events": ("GET", "/v1/events"),
    "create_webhook_endpoint": ("POST", "/v1/webhooks/endpoints"),
    "webhook_endpoints": ("GET", "/v1/webhooks/endpoints"),
    "webhook_endpoint": ("GET", "/v1/webhooks/endpoints/{endpoint_id}"),
    "delete_webhook_endpoint": ("DELETE", "/v1/webhooks/endpoints/{endpoint_id}"),
    "enable_webhook_endpoint": ("POST", "/v1/webhooks/endpoints/{endpoint_id}/enable"),
    "webhook_deliveries": ("GET", "/v1/webhooks/deliveries"),
    "webhook_delivery": ("GET", "/v1/webhooks/deliveries/{delivery_id}"),
    "redeliver_webhook": ("POST", "/v1/webhooks/deliveries/{delivery_id}/redeliver"),
    "dunning_policy": ("GET", "/v1/settings/dunning"),
    "set_dunning_policy": ("PUT", "/v1/settings/dunning"),
    "dunning_drafts": ("GET", "/v1/dunning/drafts"),
    "dunning_outbox": ("GET", "/v1/dunning/outbox"),
    "approve_dunning_draft": ("POST", "/v1/dunning/drafts/{reminder_id}/approve"),
    "discard_dunning_draft": ("POST", "/v1/dunning/drafts/{reminder_id}/discard"),
    "dunning_letter": ("GET", "/v1/dunning/reminders/{reminder_id}/letter.pdf"),
    **COMMAND_OPERATIONS,
}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class LedgerClient(Commands):
    """A client of one account (its API key). Errors are ``paid_ledger_client.errors`` exceptions."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 40.0, retries: int = 3) -> None:
        self.transport = Transport(base_url, api_key, timeout, retries)
        self.last: Answer | None = None  # the last answer (headers such as ETag and X-Ledger-Position)

    def call(
        self,
        name: str,
        *,
        path: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        idempotency_key: str | None = None,
        if_match: int | None = None,
    ) -> Answer:
        method, template = OPERATIONS[name]
        values = path or {}
        url = PLACEHOLDER.sub(lambda m: quote(values[m.group(1)]), template)
        self.last = self.transport.request(
            method, url, query=query, body=body, raw=raw, idempotency_key=idempotency_key, if_match=if_match
        )
        return self.last

    def json(self, name: str, **options: Any) -> Any:
        return self.call(name, **options).json()

    # -- the service --------------------------------------------------------------------------
    def healthz(self) -> Json:
        return cast(Json, self.json("healthz"))

    def readyz(self) -> Json:
        return cast(Json, self.json("readyz"))

    def metrics(self) -> str:
        return self.call("metrics").body.decode("utf-8")

    def openapi(self) -> Json:
        return cast(Json, self.json("openapi"))

    def docs(self) -> str:
        return self.call("docs").body.decode("utf-8")

    # -- contracts ------------------------------------------------------------------------------
    def sign_contract(self, terms: Json, *, idempotency_key: str | None = None) -> Json:
        return cast(Json, self.json("sign_contract", body=terms, idempotency_key=idempotency_key))

    def command(
        self,
        name: str,
        contract_id: str,
        body: Json,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
        **path: str,
    ) -> Json:
        return cast(
            Json,
            self.json(
                name,
                path={"contract_id": contract_id, **path},
                body=body,
                if_match=if_match,
                idempotency_key=idempotency_key,
            ),
        )

    def list_contracts(self, **query: Any) -> Json:
        return cast(Json, self.json("list_contracts", query=query))

    def get_contract(self, contract_id: str, as_of: str | None = None) -> Json:
        return cast(Json, self.json("get_contract", path={"contract_id": contract_id}, query={"as_of": as_of}))

    def contract_events(self, contract_id: str, cursor: str | None = None, limit: int | None = None) -> EventPage:
        query = {"cursor": cursor, "limit": limit}
        return cast(EventPage, self.json("contract_events", path={"contract_id": contract_id}, query=query))

    def statement(self, contract_id: str, as_of: str | None = None) -> Json:
        return cast(Json, self.json("statement", path={"contract_id": contract_id}, query={"as_of": as_of}))

    def verify(self, contract_id: str) -> Json:
        return cast(Json, self.json("verify", path={"contract_id": contract_id}))

    def claim(self, contract_id: str, as_of: str | None = None) -> Json:
        return cast(Json, self.json("claim", path={"contract_id": contract_id}, query={"as_of": as_of}))

    def evidence(self, contract_id: str, as_of: str | None = None) -> bytes:
        return self.call("evidence", path={"contract_id": contract_id}, query={"as_of": as_of}).body

    def filing(self, contract_id: str, as_of: str | None = None) -> Json:
        return cast(Json, self.json("filing", path={"contract_id": contract_id}, query={"as_of": as_of}))

    def upload_attachment(self, content: bytes, *, idempotency_key: str | None = None) -> Attachment:
        return cast(Attachment, self.json("upload_attachment", raw=content, idempotency_key=idempotency_key))

    # -- read models ----------------------------------------------------------------------------
    def aging(self, **query: Any) -> Json:
        return cast(Json, self.json("aging", query=query))

    def reminders_due(self, **query: Any) -> Json:
        return cast(Json, self.json("reminders_due", query=query))

    def clients(self, **query: Any) -> Json:
        return cast(Json, self.json("clients", query=query))

    def client(self, client_key: str, **query: Any) -> Json:
        return cast(Json, self.json("client", path={"client_key": client_key}, query=query))

    def licences(self, **query: Any) -> Json:
        return cast(Json, self.json("licences", query=query))

    # -- the event feed ---------------------------------------------------------------------------
    def events(
        self,
        after: str | None = None,
        *,
        types: list[str] | None = None,
        limit: int | None = None,
        wait: int | None = None,
    ) -> FeedPage:
        query = {"after": after, "types": ",".join(types) if types else None, "limit": limit, "wait": wait}
        return cast(FeedPage, self.json("events", query=query))

    def follow_events(
        self,
        after: str | None = None,
        *,
        types: list[str] | None = None,
        limit: int = 100,
        wait: int = 30,
        until_idle: bool = False,
    ) -> Iterator[FeedPage]:
        """Pages of the feed from ``after``, each a long poll of up to ``wait`` s; forever, or ``until_idle``.

        Save ``page["next_cursor"]`` once a page's events are handled: a restart from it repeats nothing
        that was saved and skips nothing. With ``until_idle`` the pages stop at the first that stays empty.
        """
        while True:
            page = self.events(after, types=types, limit=limit, wait=wait)
            if not page["items"] and until_idle:
                return
            yield page
            after = page["next_cursor"]

    def iter_events(self, after: str | None = None, **options: Any) -> Iterator[Event]:
        """Every event from ``after`` (see ``follow_events`` for the options), one at a time."""
        for page in self.follow_events(after, **options):
            yield from page["items"]

    # -- webhooks ---------------------------------------------------------------------------------
    def create_webhook_endpoint(
        self,
        url: str,
        event_types: list[str] | None = None,
        description: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> CreatedEndpoint:
        body = {"url": url, "event_types": event_types or [], "description": description}
        return cast(CreatedEndpoint, self.json("create_webhook_endpoint", body=body, idempotency_key=idempotency_key))

    def webhook_endpoints(self) -> list[Endpoint]:
        return cast(list[Endpoint], self.json("webhook_endpoints")["items"])

    def webhook_endpoint(self, endpoint_id: str) -> Endpoint:
        return cast(Endpoint, self.json("webhook_endpoint", path={"endpoint_id": endpoint_id}))

    def delete_webhook_endpoint(self, endpoint_id: str) -> Endpoint:
        return cast(Endpoint, self.json("delete_webhook_endpoint", path={"endpoint_id": endpoint_id}))

    def enable_webhook_endpoint(self, endpoint_id: str) -> Endpoint:
        return cast(Endpoint, self.json("enable_webhook_endpoint", path={"endpoint_id": endpoint_id}, body={}))

    def webhook_deliveries(
        self,
        *,
        endpoint_id: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> DeliveryPage:
        query = {"endpoint_id": endpoint_id, "status": status, "cursor": cursor, "limit": limit}
        return cast(DeliveryPage, self.json("webhook_deliveries", query=query))

    def webhook_delivery(self, delivery_id: str) -> Delivery:
        return cast(Delivery, self.json("webhook_delivery", path={"delivery_id": delivery_id}))

    def redeliver_webhook(self, delivery_id: str) -> Delivery:
        return cast(Delivery, self.json("redeliver_webhook", path={"delivery_id": delivery_id}, body={}))

    # -- dunning ----------------------------------------------------------------------------------
    def dunning_policy(self) -> Json:
        return cast(Json, self.json("dunning_policy"))

    def set_dunning_policy(self, policy: Json, *, idempotency_key: str | None = None) -> Json:
        """``mode`` auto or review, ``holidays``, ``quiet_weekdays``, ``letter_channel``."""
        return cast(Json, self.json("set_dunning_policy", body=policy, idempotency_key=idempotency_key))

    def dunning_drafts(self, limit: int | None = None) -> Json:
        return cast(Json, self.json("dunning_drafts", query={"limit": limit}))

    def dunning_outbox(self, status: str | None = None, limit: int | None = None) -> Json:
        return cast(Json, self.json("dunning_outbox", query={"status": status, "limit": limit}))

    def approve_dunning_draft(self, reminder_id: str, *, idempotency_key: str | None = None) -> Json:
        path = {"reminder_id": reminder_id}
        return cast(Json, self.json("approve_dunning_draft", path=path, body={}, idempotency_key=idempotency_key))

    def discard_dunning_draft(self, reminder_id: str, *, idempotency_key: str | None = None) -> Json:
        path = {"reminder_id": reminder_id}
        return cast(Json, self.json("discard_dunning_draft", path=path, body={}, idempotency_key=idempotency_key))

    def dunning_letter(self, reminder_id: str) -> bytes:
        """The letter before action queued ready to post, as PDF bytes."""
        return self.call("dunning_letter", path={"reminder_id": reminder_id}).body


def quote(value: str) -> str:
    from urllib.parse import quote as url_quote

    return url_quote(str(value), safe="")
