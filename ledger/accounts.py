"""Accounts and their API keys, event-sourced in the same store as the contracts.

An API key is shown once, when it is created; the store keeps only its SHA-256.
The key's aggregate id is derived from that hash, so authenticating is one
lookup by id and no table of keys is ever scanned. Ids are deterministic, so a
second account with the same id fails the save (the store's integrity error).
"""

from __future__ import annotations

import hashlib
import re
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.errors import ValidationError
from ledger.records import NAMESPACE

ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
KEY_PREFIX = "lk_"
KEY_LENGTH_MAX = 200
KEY_PREFIX_SHOWN = 7  # "lk_" and four characters: enough to recognise a key, far too little to guess it
KEY_ID_LENGTH = 16


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
    """An API key of an account, known only by its SHA-256 and the first characters shown to its owner.

    Revoking is an event like any other: the key's history says when it stopped working.
    """

    revoked = False  # keys issued before revocation existed have no such attribute in their state

    @staticmethod
    def create_id(key_hash: str, account_id: str, prefix: str = "") -> UUID:
        return api_key_aggregate_id(key_hash)

    @event("Issued")
    def __init__(self, key_hash: str, account_id: str, prefix: str = "") -> None:
        self.key_hash = key_hash
        self.account_id = account_id
        self.prefix = prefix

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True

    @property
    def key_id(self) -> str:
        return key_id(self.key_hash)


def key_id(key_hash: str) -> str:
    """The public name of a key (what ``ledger admin list-keys`` shows): the start of its hash, never the key."""
    return key_hash[:KEY_ID_LENGTH]


def check_account_id(account_id: str) -> str:
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ValidationError(
            "an account id is 1 to 100 lowercase letters, digits, '-' or '_'", {"account_id": ["invalid"]}
        )
    return account_id
