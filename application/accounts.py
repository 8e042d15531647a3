"""Accounts and API keys: create, issue and authenticate through the application's store."""

from __future__ import annotations

import secrets
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger import terms
from ledger.accounts import (
    KEY_LENGTH_MAX,
    KEY_PREFIX,
    Account,
    ApiKey,
    account_aggregate_id,
    api_key_aggregate_id,
    check_account_id,
    hash_key,
)
from ledger.errors import AlreadyExists, NotFound


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


def create_api_key(app: Application[UUID], account_id: str) -> str:
    """Issue a new key for an existing account; the key is returned here and never again."""
    if not account_exists(app, account_id):
        raise NotFound(f"no account {account_id!r}", account_id=account_id)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    app.save(ApiKey(hash_key(key), account_id))
    return key


def authenticate(app: Application[UUID], key: str) -> str | None:
    """The account id of a valid key, or None."""
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_LENGTH_MAX:
        return None
    try:
        record: Aggregate = app.repository.get(api_key_aggregate_id(hash_key(key)))
    except AggregateNotFoundError:
        return None
    return record.account_id if isinstance(record, ApiKey) else None
