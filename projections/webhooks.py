"""Webhook endpoints and deliveries: every SQL statement of the webhooks lives here.

``wh_endpoints``: an account's endpoints (URL, event types wanted, signing
secret, status, consecutive failed attempts, why it was disabled). An endpoint
receives the events recorded after it was created (``after_notification``).

``wh_deliveries``: one row per (endpoint, event), created by ``fan_out`` from the
feed index in the same transaction that moves its position (``rm_tracking``
row ``("webhooks", "feed")``), so an event is never skipped and never fanned out
twice. ``num`` orders the deliveries; an endpoint is sent only its lowest
pending delivery (per-endpoint order). Times are Unix seconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ledger.errors import IdempotencyConflict, WebhookDeliveryNotFound, WebhookEndpointLimit, WebhookEndpointNotFound
from projections.db import Database
from projections.projector import TRACKING_DDL, move_position, read_position

FAN_OUT = "webhooks"
FEED_SOURCE = "feed"
FAN_OUT_BATCH = 500
ENDPOINT_COLUMNS = (
    "endpoint_id",
    "account_id",
    "url",
    "description",
    "event_types",
    "secret",
    "status",
    "disabled_reason",
    "failures",
    "after_notification",
    "created_at",
    "idempotency_key",
    "digest",
)
DELIVERY_COLUMNS = (
    "num",
    "delivery_id",
    "endpoint_id",
    "account_id",
    "notification_id",
    "contract_id",
    "version",
    "event_type",
    "status",
    "attempts",
    "next_attempt_at",
    "window_start",
    "last_status",
    "last_response",
    "last_error",
    "created_at",
    "updated_at",
)
WEBHOOK_DDL = (
    "CREATE TABLE IF NOT EXISTS wh_endpoints (endpoint_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, url TEXT NOT NULL, "
    "description TEXT, event_types TEXT NOT NULL, secret TEXT NOT NULL, status TEXT NOT NULL, disabled_reason TEXT, "
    "failures BIGINT NOT NULL, after_notification BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "idempotency_key TEXT NOT NULL, digest TEXT NOT NULL, UNIQUE (account_id, idempotency_key))",
    "CREATE TABLE IF NOT EXISTS wh_deliveries (num BIGINT PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE, "
    "endpoint_id TEXT NOT NULL, account_id TEXT NOT NULL, notification_id BIGINT NOT NULL, contract_id TEXT NOT NULL, "
    "version BIGINT NOT NULL, event_type TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL, "
    "next_attempt_at DOUBLE PRECISION NOT NULL, window_start DOUBLE PRECISION, last_status INTEGER, "
    "last_response TEXT, last_error TEXT, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, "
    "UNIQUE (endpoint_id, notification_id))",
    "CREATE INDEX IF NOT EXISTS wh_deliveries_queue ON wh_deliveries (endpoint_id, status, num)",
    "CREATE INDEX IF NOT EXISTS wh_deliveries_account ON wh_deliveries (account_id, num)",
)


def ensure_webhook_tables(db: Database) -> None:
    with db.transaction():
        db.execute(TRACKING_DDL)
        for statement in WEBHOOK_DDL:
            db.execute(statement)
        db.execute("INSERT INTO rm_tracking VALUES (?, ?, 0, 0, NULL) ON CONFLICT DO NOTHING", (FAN_OUT, FEED_SOURCE))


def endpoint_of(row: Sequence[Any]) -> dict[str, Any]:
    found = dict(zip(ENDPOINT_COLUMNS, row, strict=True))
    found["event_types"] = json.loads(found["event_types"])
    return found


def delivery_of(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(DELIVERY_COLUMNS, row, strict=True))


def select_endpoints(db: Database, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    rows = db.fetchall(f"SELECT {', '.join(ENDPOINT_COLUMNS)} FROM wh_endpoints WHERE {where}", params)
    return [endpoint_of(row) for row in rows]


# -- endpoints -----------------------------------------------------------------------------
def create_endpoint(db: Database, endpoint: dict[str, Any], limit: int) -> dict[str, Any]:
    """Insert ``endpoint`` (all of ENDPOINT_COLUMNS); a repeated idempotency key answers the first one."""
    with db.transaction():
        account, key = endpoint["account_id"], endpoint["idempotency_key"]
        earlier = select_endpoints(db, "account_id = ? AND idempotency_key = ?", (account, key))
        if earlier:
            if earlier[0]["digest"] != endpoint["digest"]:
                raise IdempotencyConflict("this idempotency key was used for a different request", key=key)
            return earlier[0]
        row = db.fetchone("SELECT COUNT(*) FROM wh_endpoints WHERE account_id = ? AND status <> 'deleted'", (account,))
        if row and int(row[0]) >= limit:
            raise WebhookEndpointLimit(f"an account may have at most {limit} webhook endpoints; delete one first")
        values = {**endpoint, "event_types": json.dumps(sorted(endpoint["event_types"]))}
        db.execute(
            f"INSERT INTO wh_endpoints VALUES ({','.join('?' * len(ENDPOINT_COLUMNS))})",
            [values[c] for c in ENDPOINT_COLUMNS],
        )
    return {**endpoint, "event_types": sorted(endpoint["event_types"])}


def get_endpoint(db: Database, account_id: str, endpoint_id: str) -> dict[str, Any]:
    found = select_endpoints(
        db, "account_id = ? AND endpoint_id = ? AND status <> 'deleted'", (account_id, endpoint_id)
    )
    if not found:
        raise WebhookEndpointNotFound(f"no webhook endpoint {endpoint_id} in this account", endpoint_id=endpoint_id)
    return found[0]


def list_endpoints(db: Database, account_id: str) -> list[dict[str, Any]]:
    return select_endpoints(
        db, "account_id = ? AND status <> 'deleted' ORDER BY created_at, endpoint_id", (account_id,)
    )


def delete_endpoint(db: Database, account_id: str, endpoint_id: str, now: float) -> None:
    """Delete the endpoint; its pending deliveries are cancelled (the log keeps them)."""
    with db.transaction():
        get_endpoint(db, account_id, endpoint_id)
        db.execute("UPDATE wh_endpoints SET status = 'deleted' WHERE endpoint_id = ?", (endpoint_id,))
        db.execute(
            "UPDATE wh_deliveries SET status = 'cancelled', updated_at = ? WHERE endpoint_id = ? "
            "AND status = 'pending'",
            (now, endpoint_id),
        )


def enable_endpoint(db: Database, account_id: str, endpoint_id: str) -> dict[str, Any]:
    with db.transaction():
        get_endpoint(db, account_id, endpoint_id)
        db.execute(
            "UPDATE wh_endpoints SET status = 'enabled', disabled_reason = NULL, failures = 0 WHERE endpoint_id = ?",
            (endpoint_id,),
        )
    return get_endpoint(db, account_id, endpoint_id)


# -- fan-out: feed rows -> deliveries --------------------------------------------------------
def fan_out(db: Database, new_id: Any, now: float, batch: int = FAN_OUT_BATCH) -> int:
    """Create the deliveries of the next feed rows; return how many feed rows were read (0: caught up)."""
    with db.transaction():
        start = read_position(db, FAN_OUT, FEED_SOURCE, lock=True)
        rows = db.fetchall(
            "SELECT account_id, notification_id, contract_id, version, event_type FROM feed_events "
            "WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
            (start, batch),
        )
        if not rows:
            return 0
        endpoints = endpoints_by_account(db, sorted({str(r[0]) for r in rows}))
        top = db.fetchone("SELECT MAX(num) FROM wh_deliveries")
        num = int(top[0]) if top and top[0] is not None else 0
        created = []
        for account, notification_id, contract_id, version, event_type in rows:
            for endpoint in endpoints.get(str(account), []):
                wanted = endpoint["event_types"]
                if notification_id > endpoint["after_notification"] and (not wanted or event_type in wanted):
                    num += 1
                    created.append(
                        (
                            num,
                            str(new_id()),
                            endpoint["endpoint_id"],
                            account,
                            notification_id,
                            contract_id,
                            version,
                            event_type,
                            "pending",
                            0,
                            now,
                            None,
                            None,
                            None,
                            None,
                            now,
                            now,
                        )
                    )
        db.executemany(f"INSERT INTO wh_deliveries VALUES ({','.join('?' * len(DELIVERY_COLUMNS))})", created)
        move_position(db, FAN_OUT, FEED_SOURCE, start, int(rows[-1][1]), len(created))
    return len(rows)


def endpoints_by_account(db: Database, accounts: list[str]) -> dict[str, list[dict[str, Any]]]:
    marks = ",".join("?" * len(accounts))
    found: dict[str, list[dict[str, Any]]] = {}
    for endpoint in select_endpoints(db, f"account_id IN ({marks}) AND status <> 'deleted'", accounts):
        found.setdefault(endpoint["account_id"], []).append(endpoint)
    return found


# -- the delivery queue ------------------------------------------------------------------------
def due_heads(db: Database, now: float, limit: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(delivery, endpoint) for each enabled endpoint whose lowest pending delivery is due."""
    columns = ", ".join(f"d.{c}" for c in DELIVERY_COLUMNS)
    rows = db.fetchall(
        f"SELECT {columns} FROM wh_deliveries d JOIN wh_endpoints e ON e.endpoint_id = d.endpoint_id "
        "WHERE e.status = 'enabled' AND d.status = 'pending' AND d.next_attempt_at <= ? AND d.num = "
        "(SELECT MIN(p.num) FROM wh_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.status = 'pending') "
        "ORDER BY d.num LIMIT ?",
        (now, limit),
    )
    deliveries = [delivery_of(row) for row in rows]
    ids = sorted({d["endpoint_id"] for d in deliveries})
    endpoints = (
        {e["endpoint_id"]: e for e in select_endpoints(db, f"endpoint_id IN ({','.join('?' * len(ids))})", ids)}
        if ids
        else {}
    )
    return [(d, endpoints[d["endpoint_id"]]) for d in deliveries]


def record_attempt(
    db: Database, delivery: dict[str, Any], outcome: dict[str, Any], now: float, disable_after: int
) -> None:
    """Store one attempt's outcome: ``status`` (succeeded, pending with ``next_attempt_at``, or failed) and the
    response; the endpoint's run of failures is reset on success, and the endpoint disabled at ``disable_after``."""
    with db.transaction():
        changed = db.execute_count(
            "UPDATE wh_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, window_start = ?, "
            "last_status = ?, last_response = ?, last_error = ?, updated_at = ? WHERE num = ? AND status = 'pending'",
            (
                outcome["status"],
                outcome.get("next_attempt_at", now),
                outcome["window_start"],
                outcome["code"],
                outcome["snippet"],
                outcome["error"],
                now,
                delivery["num"],
            ),
        )
        if changed != 1:
            return  # deleted (cancelled) while it was in flight
        if outcome["status"] == "succeeded":
            db.execute("UPDATE wh_endpoints SET failures = 0 WHERE endpoint_id = ?", (delivery["endpoint_id"],))
            return
        db.execute("UPDATE wh_endpoints SET failures = failures + 1 WHERE endpoint_id = ?", (delivery["endpoint_id"],))
        reason = (
            f"disabled after {disable_after} failed attempts in a row; last: "
            f"{outcome['error'] or 'HTTP ' + str(outcome['code'])}"
        )[:500]
        db.execute(
            "UPDATE wh_endpoints SET status = 'disabled', disabled_reason = ? WHERE endpoint_id = ? "
            "AND status = 'enabled' AND failures >= ?",
            (reason, delivery["endpoint_id"], disable_after),
        )


# -- the delivery log ---------------------------------------------------------------------------
def list_deliveries(
    db: Database,
    account_id: str,
    *,
    before: int | None,
    limit: int,
    endpoint_id: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The account's deliveries, newest first, with ``num`` below ``before``."""
    where: list[str] = ["account_id = ?"]
    params: list[Any] = [account_id]
    for column, value in (("endpoint_id", endpoint_id), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if before is not None:
        where.append("num < ?")
        params.append(before)
    rows = db.fetchall(
        f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM wh_deliveries WHERE {' AND '.join(where)} "
        "ORDER BY num DESC LIMIT ?",
        [*params, limit],
    )
    return [delivery_of(row) for row in rows]


def get_delivery(db: Database, account_id: str, delivery_id: str) -> dict[str, Any]:
    rows = db.fetchall(
        f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM wh_deliveries WHERE account_id = ? AND delivery_id = ?",
        (account_id, delivery_id),
    )
    if not rows:
        raise WebhookDeliveryNotFound(f"no webhook delivery {delivery_id} in this account", delivery_id=delivery_id)
    return delivery_of(rows[0])


def redeliver(db: Database, account_id: str, delivery_id: str, now: float) -> dict[str, Any]:
    """Queue the delivery again, now, with a fresh retry window (same delivery id: receivers may dedupe on it)."""
    with db.transaction():
        delivery = get_delivery(db, account_id, delivery_id)
        get_endpoint(db, account_id, delivery["endpoint_id"])  # a deleted endpoint's deliveries stay as they are
        db.execute(
            "UPDATE wh_deliveries SET status = 'pending', next_attempt_at = ?, window_start = NULL, "
            "updated_at = ? WHERE num = ?",
            (now, now, delivery["num"]),
        )
    return get_delivery(db, account_id, delivery_id)
