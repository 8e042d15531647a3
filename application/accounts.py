"""Accounts and API keys: create, issue, authenticate, list, revoke and rotate through the application's store.

Every request asks the store whether its key changed, so a revocation recorded by any process is refused
by every worker from its next request on. A key found valid before (``KnownKeys``) is not loaded again:
one statement both checks that its aggregate is still at the version seen and counts the request
(``admit``); only a key that moved (revoked, rotated) or was never seen is read from its events.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
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
KNOWN_KEYS_MAX = 10_000


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


class KnownKeys:
    """Valid keys seen by this process, by hash, each with the version it was valid at (least recently used
    dropped first). A hit is never trusted alone: ``admit`` checks the version in the store every time."""

    def __init__(self, size: int = KNOWN_KEYS_MAX) -> None:
        self.size = size
        self.records: OrderedDict[str, ApiKey] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key_hash: str) -> ApiKey | None:
        with self.lock:
            record = self.records.get(key_hash)
            if record is not None:
                self.records.move_to_end(key_hash)
            return record

    def put(self, key_hash: str, record: ApiKey) -> None:
        with self.lock:
            self.records[key_hash] = record
            self.records.move_to_end(key_hash)
            while len(self.records) > self.size:
                self.records.popitem(last=False)

    def forget(self, key_hash: str) -> None:
        with self.lock:
            self.records.pop(key_hash, None)


@dataclass(frozen=True)
class Admission:
    """``admit``'s answer: the key's record (None: refused) and any versions read by the same statement."""

    record: ApiKey | None
    heads: dict[UUID, int | None]


def admit(app: Application[UUID], usage: Any, known: KnownKeys, key: str, limit: int, window_s: int,
          about: UUID | None = None, now: datetime | None = None) -> Admission:
    """``identify`` then ``count_request`` (when ``limit``), in one statement for a key this process knows.

    A known key: its request is counted only if its aggregate is still at the version it was valid at (one
    statement; with no limit, one read of the version). Otherwise, or for a key never seen, the key is read
    from its events as ``identify`` does: refused if unknown or revoked (nothing counted), else counted.
    ``about``: an aggregate the request is about, whose current version that one statement also reads.
    """
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_LENGTH_MAX:
        return Admission(None, {})
    key_hash = hash_key(key)
    seen = known.get(key_hash)
    if seen is not None:
        aggregate_id = api_key_aggregate_id(key_hash)
        if limit:
            moment = now or clock.now()
            window_start, used_at = window_of(moment, window_s), moment.isoformat(timespec="seconds")
            hits, head = usage.hit_if_at(seen.key_id, window_start, used_at, aggregate_id, seen.version, about)
            if hits is not None:
                check_limit(hits, limit, window_s, moment)
                return Admission(seen, {about: head} if about else {})
        else:
            versions = usage.heads.versions(aggregate_id, *((about,) if about else ()))
            if versions[0] == seen.version:
                return Admission(seen, {about: versions[1]} if about else {})
        known.forget(key_hash)  # it moved (revoked, rotated): read it again
    record = identify(app, key)
    if record is None:
        return Admission(None, {})
    known.put(key_hash, record)
    if limit:
        count_request(usage, record.key_id, limit, window_s, now)
    return Admission(record, {})


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


def window_of(moment: datetime, window_s: int) -> int:
    """The start (epoch seconds) of the fixed window ``moment`` falls in."""
    seconds = int(moment.timestamp())
    return seconds - seconds % window_s


def check_limit(hits: int, limit: int, window_s: int, moment: datetime) -> None:
    """RateLimited (with the seconds to wait) once ``hits`` in the window is over ``limit``."""
    if hits > limit:
        retry_after = max(1, window_of(moment, window_s) + window_s - int(moment.timestamp()))
        raise RateLimited(
            f"this key sent more than {limit} requests in {window_s} s; retry in {retry_after} s",
            retry_after=retry_after,
        )


def count_request(usage: Any, key_id: str, limit: int, window_s: int, now: datetime | None = None) -> None:
    """Count a request of the key; RateLimited (with the seconds to wait) once it is over ``limit`` in the window."""
    moment = now or clock.now()
    hits = usage.hit(key_id, window_of(moment, window_s), moment.isoformat(timespec="seconds"))
    check_limit(hits, limit, window_s, moment)


def describe(info: KeyInfo) -> dict[str, Any]:
    return {
        "key_id": info.key_id,
        "account_id": info.account_id,
        "prefix": info.prefix,
        "created_at": info.created_at,
        "last_used_at": info.last_used_at,
        "revoked": info.revoked,
    }
