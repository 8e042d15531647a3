"""Small aggregates saved in the same transaction as a contract.

They use deterministic ids, so a second create of the same id fails the whole
``save()`` with the store's integrity error: that is how idempotency keys and
account-wide invoice numbers stay unique without any lock of our own.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid5(NAMESPACE_URL, "https://ledger.invalid/ids")


def idempotency_id(account_id: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"idempotency\x00{account_id}\x00{key}")


def invoice_number_id(account_id: str, number: str) -> UUID:
    return uuid5(NAMESPACE, f"invoice-number\x00{account_id}\x00{number}")


def invoice_sequence_id(account_id: str) -> UUID:
    return uuid5(NAMESPACE, f"invoice-sequence\x00{account_id}")


class IdempotencyRecord(Aggregate):
    """A write's idempotency key, the digest of its command, and its first result."""

    @staticmethod
    def create_id(account_id: str, key: str) -> UUID:
        return idempotency_id(account_id, key)

    @event("Recorded")
    def __init__(self, account_id: str, key: str, digest: str, result: dict[str, Any]) -> None:
        self.account_id = account_id
        self.key = key
        self.digest = digest
        self.result = result


class InvoiceNumberClaim(Aggregate):
    """An invoice number taken in an account (numbers are unique per account)."""

    @staticmethod
    def create_id(account_id: str, number: str) -> UUID:
        return invoice_number_id(account_id, number)

    @event("Claimed")
    def __init__(self, account_id: str, number: str, contract_id: str) -> None:
        self.account_id = account_id
        self.number = number
        self.contract_id = contract_id


class InvoiceSequence(Aggregate):
    """The account's next invoice number; advanced in the same transaction as the invoice (gapless)."""

    @staticmethod
    def create_id(account_id: str) -> UUID:
        return invoice_sequence_id(account_id)

    @event("Started")
    def __init__(self, account_id: str, prefix: str) -> None:
        self.account_id = account_id
        self.prefix = prefix
        self.last = 0

    @event("Allocated")
    def allocate(self, number: int) -> None:
        self.last = number

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:06d}"
