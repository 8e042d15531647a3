"""Accounts and API keys: create, issue, authenticate, list, revoke and rotate through the application's store.

Authentication reads the key's aggregate on every request (no cache), so a revocation recorded by any
process is refused by every worker from its next request on.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import clock, terms
from ledger.accounts import (
    KEY_LENGTH_MAX,
    KEY_PREFIX,
    KEY_PREFIX_SHOWN,
    Account,
    ApiKey,
    account_aggregate_id,
    api_key_aggregate_id,
    check_account_id,
    hash_key,
)
from ledger.errors import AlreadyExists, NotFound, RateLimited, ValidationError

ISSUED_TOPIC = f"{ApiKey.__module__}:{ApiKey.__qualname__}.Issued"
PAGE = 500


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    account_id: str
    prefix: str
    created_at: str
    revoked: bool
    last_used_at: str | None = None


def create_account(app: Application[UUID], name: str, account_id: str | None = None) -> str:
    """Record a new account and return its id (generated unless given)."""
    account_id = check_account_id(account_id or f"acct_{uuid4().hex[:16]}")
    account = Account(account_id, terms.text(name, "name", limit=200) or "")
    try:
        app.save(account)
    except IntegrityError:
        raise AlreadyExists(f"account {account_id!r} already exists", account_id=account_id) from None
    return account_id


def account_exists(app: Application[UUID], account_id: str) -> bool:
    return isinstance(account_id, str) and account_aggregate_id(account_id) in app.repository


def new_key(account_id: str) -> tuple[str, ApiKey]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, ApiKey(hash_key(key), account_id, key[:KEY_PREFIX_SHOWN])


def create_api_key(app: Application[UUID], account_id: str) -> str:
    """Issue a new key for an existing account; the key is returned here and never again."""
    if not account_exists(app, account_id):
        raise NotFound(f"no account {account_id!r}", account_id=account_id)
    key, record = new_key(account_id)
    app.save(record)
    return key


def identify(app: Application[UUID], key: str) -> ApiKey | None:
    """The key's record if the key is valid and not revoked, else None."""
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_LENGTH_MAX:
        return None
    try:
        record: Aggregate = app.repository.get(api_key_aggregate_id(hash_key(key)))
    except AggregateNotFoundError:
        return None
    return record if isinstance(record, ApiKey) and not record.revoked else None


def authenticate(app: Application[UUID], key: str) -> str | None:
    """The account id of a valid, unrevoked key, or None."""
    record = identify(app, key)
    return record.account_id if record else None


def issued_keys(app: Application[UUID]) -> Iterator[UUID]:
    """Ids of every key ever issued, from the log (an admin scan, in pages)."""
    start = 1
    while True:
        page = app.recorder.select_notifications(start, PAGE, topics=[ISSUED_TOPIC])  # type: ignore[attr-defined]
        yield from (UUID(str(n.originator_id)) for n in page)
        if len(page) < PAGE:
            return
        start = page[-1].id + 1


def list_keys(app: Application[UUID], account_id: str | None, last_used: dict[str, str]) -> list[KeyInfo]:
    found = []
    for aggregate_id in issued_keys(app):
        record: ApiKey = app.repository.get(aggregate_id)
        if account_id is None or record.account_id == account_id:
            created = record.created_on.astimezone(UTC).isoformat(timespec="seconds")
            found.append(
                KeyInfo(
                    record.key_id,
                    record.account_id,
                    record.prefix or "?",
                    created,
                    record.revoked,
                    last_used.get(record.key_id),
                )
            )
    return found


def find_key(app: Application[UUID], key_id: str) -> ApiKey:
    """The key whose id (as ``list_keys`` shows it) is ``key_id``."""
    if not isinstance(key_id, str) or len(key_id) < 8:
        raise ValidationError("give the key id list-keys shows (at least 8 characters)", {"key_id": ["too short"]})
    records: list[ApiKey] = [app.repository.get(i) for i in issued_keys(app)]
    matches = [m for m in records if m.key_id.startswith(key_id)]
    if len(matches) != 1:
        raise NotFound(f"no single key with id {key_id!r}", key_id=key_id)
    record: ApiKey = matches[0]
    return record


def revoke_key(app: Application[UUID], key_id: str) -> ApiKey:
    record = find_key(app, key_id)
    if not record.revoked:
        record.revoke()
        app.save(record)
    return record


def rotate_key(app: Application[UUID], key_id: str) -> tuple[str, ApiKey]:
    """A new key for the same account and the old one revoked, in one transaction."""
    old = find_key(app, key_id)
    if old.revoked:
        raise NotFound(f"key {key_id!r} is revoked: create a new key instead", key_id=key_id)
    key, record = new_key(old.account_id)
    old.revoke()
    app.save(record, old)
    return key, record


def count_request(usage: Any, key_id: str, limit: int, window_s: int, now: datetime | None = None) -> None:
    """Count a request of the key; RateLimited (with the seconds to wait) once it is over ``limit`` in the window."""
    moment = now or clock.now()
    seconds = int(moment.timestamp())
    window_start = seconds - seconds % window_s
    hits = usage.hit(key_id, window_start, moment.isoformat(timespec="seconds"))
    if hits > limit:
        retry_after = max(1, window_start + window_s - seconds)
        raise RateLimited(
            f"this key sent more than {limit} requests in {window_s} s; retry in {retry_after} s",
            retry_after=retry_after,
        )


def describe(info: KeyInfo) -> dict[str, Any]:
    return {
        "key_id": info.key_id,
        "account_id": info.account_id,
        "prefix": info.prefix,
        "created_at": info.created_at,
        "last_used_at": info.last_used_at,
        "revoked": info.revoked,
    }
