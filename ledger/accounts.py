"""Accounts and their API keys, event-sourced in the same store as the contracts.

An API key is shown once, when it is created; the store keeps only its SHA-256.
The key's aggregate id is derived from that hash, so authenticating is one
lookup by id and no table of keys is ever scanned. Ids are deterministic, so a
second account with the same id fails the save (the store's integrity error).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from ledger import terms
from ledger.errors import AlreadyExists, NotFound, ValidationError
from ledger.records import NAMESPACE

ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
KEY_PREFIX = "lk_"
KEY_LENGTH_MAX = 200


def account_aggregate_id(account_id: str) -> UUID:
    return uuid5(NAMESPACE, f"account\x00{account_id}")


def api_key_aggregate_id(key_hash: str) -> UUID:
    return uuid5(NAMESPACE, f"api-key\x00{key_hash}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Account(Aggregate):
    """A freelancer, an agency or a platform's customer: the owner of contracts."""

    @staticmethod
    def create_id(account_id: str, name: str) -> UUID:
        return account_aggregate_id(account_id)

    @event("Created")
    def __init__(self, account_id: str, name: str) -> None:
        self.account_id = account_id
        self.name = name


class ApiKey(Aggregate):
    """An API key of an account, known only by its SHA-256."""

    @staticmethod
    def create_id(key_hash: str, account_id: str) -> UUID:
        return api_key_aggregate_id(key_hash)

    @event("Issued")
    def __init__(self, key_hash: str, account_id: str) -> None:
        self.key_hash = key_hash
        self.account_id = account_id


def check_account_id(account_id: str) -> str:
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValidationError(
            "an account id is 1 to 100 lowercase letters, digits, '-' or '_'", {"account_id": ["invalid"]}
        )
    return account_id


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
