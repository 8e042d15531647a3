"""Builders for test data: plain dicts, computed by hand, independent of the code under test."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from ledger.commands import Command, ContractCommand, SignContract, contract_command
from ledger.contract import Contract


def money(amount: int, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def terms(currency: str = "EUR", thirds: int = 100_000, **overrides: Any) -> dict[str, Any]:
    """Three equal milestones: advance on signing, prototype and delivery on acceptance."""
    base: dict[str, Any] = {
        "occurred_on": date(2026, 1, 5),
        "title": "Web shop",
        "supplier": {"name": "Supplier Ltd", "email": "s@supplier.example", "kind": "business"},
        "client": {"name": "Client GmbH", "email": "ap@client.example", "kind": "business", "address": "1 Main St"},
        "currency": currency,
        "total": money(3 * thirds, currency),
        "jurisdiction": "EU-DE",
        "payment_terms_days": 14,
        "milestones": [
            {"key": "advance", "title": "Advance", "amount": money(thirds, currency), "due": "on_signing"},
            {"key": "prototype", "title": "Prototype", "amount": money(thirds, currency), "due": "on_acceptance"},
            {"key": "delivery", "title": "Delivery", "amount": money(thirds, currency), "due": "on_acceptance"},
        ],
    }
    base.update(overrides)
    return base


def as_command(name: str, args: dict[str, Any]) -> ContractCommand:
    """The typed command called ``name`` (money as plain dicts is fine: it becomes Money)."""
    return contract_command(name, args)


def body_of(command: Command) -> dict[str, Any]:
    """The command as a client writes it in JSON: dates as ISO strings, money as {"amount", "currency"}."""
    return json.loads(json.dumps(command.args(), default=lambda value: value.isoformat() if isinstance(value, date)
                                 else {"amount": value.amount, "currency": value.currency}))


def signing(terms: dict[str, Any]) -> SignContract:
    return SignContract.from_args(terms)


def signed(contract_id: UUID | None = None, account_id: str = "acct", **overrides: Any) -> Contract:
    return Contract.sign(contract_id=contract_id or uuid4(), account_id=account_id, **terms(**overrides))


def state_of(contract: Contract) -> dict[str, Any]:
    """A comparable snapshot of everything the aggregate holds."""
    return {k: repr(v) for k, v in vars(contract).items() if k != "_pending_events"}
