"""What the HTTP adapter asks about the event feed and the webhooks: one method per route.

One ``Database`` for every thread, the read models' own when given (on
PostgreSQL: the store's pool, see ``projections.pgpool``); a database that
cannot be reached is ``StoreUnavailable``. The feed's long poll waits in
short sleeps, bounded by the caller's ``wait`` (at most ``WAIT_MAX_S``).
"""

from __future__ import annotations

import functools
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from infrastructure.urlguard import check_url
from ledger import clock
from ledger.errors import InvalidCursor, StoreUnavailable, WebhookDeliveryNotFound
from projections import feed, queries, webhooks
from projections.db import Database, create_with_retries
from projections.service import ReadModels

P = ParamSpec("P")
T = TypeVar("T")
UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)
WAIT_MAX_S = 30.0
WAIT_STEP_S = 0.25
ENDPOINTS_MAX = 20
SECRET_PREFIX = "whsec_"  # the prefix shown before every signing secret, not a secret  # nosec B105


def unavailable(method: Callable[Concatenate[Integrations, P], T]) -> Callable[Concatenate[Integrations, P], T]:
    @functools.wraps(method)
    def wrapper(self: Integrations, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as error:
            raise StoreUnavailable(f"feed and webhook tables unavailable ({type(error).__name__}): {error}") from error

    return wrapper


class Integrations:
    def __init__(self, store: StoreConfig, app: LedgerApplication, read_models: ReadModels | None = None) -> None:
        """With ``read_models``, its ``Database`` is shared (one pool, not two handles)."""
        self.store, self.app, self.read_models = store, app, read_models
        self.database = read_models.db() if read_models is not None else Database(store)
        def create() -> None:
            feed.ensure_feed_tables(self.db())
            webhooks.ensure_webhook_tables(self.db())

        create_with_retries(create)

    def db(self) -> Database:
        return self.database

    def close(self) -> None:
        """Closes its own ``Database`` only (the read models' one belongs to them)."""
        if self.read_models is None:
            self.database.close()

    # -- the feed ------------------------------------------------------------------------
    @unavailable
    def feed_page(
        self,
        account_id: str,
        after: int,
        limit: int,
        types: Sequence[str] = (),
        wait: float = 0,
        min_position: int | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Events of the account after the cursor ``after``; with ``wait``, hold on until one arrives or time is up.

        ``min_position`` first waits (bounded) until the index has read the log that far, if the log has it.
        """
        if min_position is not None:
            head = int(self.app.recorder.max_notification_id() or 0)
            queries.wait_for_position(self.db(), [feed.FEED], min(min_position, head))
        deadline = time.monotonic() + min(max(wait, 0.0), WAIT_MAX_S)
        head = feed.last_seq(self.db(), account_id)
        if after > head:
            raise InvalidCursor("the cursor is not one this account's feed has issued", field="after")
        while True:
            rows = feed.feed_rows(self.db(), account_id, after, limit + 1, types, upto=head)
            if rows or time.monotonic() >= deadline:
                break
            time.sleep(WAIT_STEP_S)
            head = feed.last_seq(self.db(), account_id)
        page, more = rows[:limit], len(rows) > limit
        cursor = page[-1].seq if more else max(head, after)
        items = feed.event_documents(self.app, page)
        return {"items": items, "next_cursor": str(cursor), "has_more": more}, feed.feed_position(self.db())

    # -- endpoints -----------------------------------------------------------------------
    @unavailable
    def create_endpoint(
        self, account_id: str, key: str, digest: str, body: dict[str, Any], *, allow_private: bool
    ) -> dict[str, Any]:
        """A new endpoint (its URL checked by the SSRF guard); the same key and body answer the first one again."""
        check_url(body["url"], allow_private=allow_private)
        endpoint = {
            "endpoint_id": str(uuid.uuid4()),
            "account_id": account_id,
            "url": body["url"],
            "description": body.get("description"),
            "event_types": list(body.get("event_types", [])),
            "secret": SECRET_PREFIX + secrets.token_urlsafe(32),
            "status": "enabled",
            "disabled_reason": None,
            "failures": 0,
            "after_notification": int(self.app.recorder.max_notification_id() or 0),
            "created_at": clock.now().timestamp(),
            "idempotency_key": key,
            "digest": digest,
        }
        return webhooks.create_endpoint(self.db(), endpoint, ENDPOINTS_MAX)

    @unavailable
    def endpoints(self, account_id: str) -> list[dict[str, Any]]:
        return webhooks.list_endpoints(self.db(), account_id)

    @unavailable
    def endpoint(self, account_id: str, endpoint_id: str) -> dict[str, Any]:
        return webhooks.get_endpoint(self.db(), account_id, endpoint_id)

    @unavailable
    def delete_endpoint(self, account_id: str, endpoint_id: str) -> None:
        webhooks.delete_endpoint(self.db(), account_id, endpoint_id, clock.now().timestamp())

    @unavailable
    def enable_endpoint(self, account_id: str, endpoint_id: str) -> dict[str, Any]:
        return webhooks.enable_endpoint(self.db(), account_id, endpoint_id)

    # -- deliveries ----------------------------------------------------------------------
    @unavailable
    def deliveries(
        self,
        account_id: str,
        *,
        limit: int,
        cursor: str | None = None,
        endpoint_id: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        """Newest first; the cursor is the last delivery id of the previous page (no global counter is shown)."""
        try:
            before = webhooks.get_delivery(self.db(), account_id, cursor)["num"] if cursor else None
        except WebhookDeliveryNotFound:
            raise InvalidCursor("the cursor is not one this delivery log has issued", field="cursor") from None
        rows = webhooks.list_deliveries(
            self.db(), account_id, before=before, limit=limit + 1, endpoint_id=endpoint_id, status=status
        )
        page = rows[:limit]
        return {"items": page, "next_cursor": page[-1]["delivery_id"] if len(rows) > limit else None}

    @unavailable
    def delivery(self, account_id: str, delivery_id: str) -> dict[str, Any]:
        return webhooks.get_delivery(self.db(), account_id, delivery_id)

    @unavailable
    def redeliver(self, account_id: str, delivery_id: str) -> dict[str, Any]:
        return webhooks.redeliver(self.db(), account_id, delivery_id, clock.now().timestamp())
