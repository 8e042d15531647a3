"""Request bodies for the e2e tests, written as a client would send them."""

from __future__ import annotations

import json
import re
from typing import Any

from ledger_cli.story import SIGNING, STEPS
from tests.factories import body_of


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda day: day.isoformat()))


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


STORY_TERMS: dict[str, Any] = body_of(SIGNING)
STORY_STEPS: list[tuple[str, dict[str, Any]]] = [(command.name, body_of(command)) for command in STEPS]

# A small contract for the command tests: three thirds of GBP 1,000.00, a 12-month licence.
TERMS: dict[str, Any] = {
    "occurred_on": "2026-01-05",
    "title": "Brand identity",
    "supplier": {"name": "Ada Byte Studio Ltd", "email": "accounts@adabyte.example"},
    "client": {"name": "Client Ltd", "email": "ap@client.example"},
    "currency": "GBP",
    "total": gbp(300_000),
    "jurisdiction": "GB-ENG",
    "payment_terms_days": 14,
    "milestones": [
        {"key": "advance", "title": "Advance", "amount": gbp(100_000), "due": "on_signing"},
        {"key": "draft", "title": "Draft accepted", "amount": gbp(100_000), "due": "on_acceptance"},
        {"key": "final", "title": "Final files", "amount": gbp(100_000), "due": "on_acceptance"},
    ],
    "licence": {"kind": "time_limited", "months": 12, "perpetual_on_final_payment": True},
}


def route(command: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The command's URL under the contract with the body's identifiers filled in, and the rest of the body."""
    from api.commands import ROUTES  # the route table is the API's; the bodies here are the test's own

    path, rest = ROUTES[command][0], dict(body)
    for name in re.findall(r"<([a-z_]+)>", path):
        path = path.replace(f"<{name}>", str(rest.pop(name)))
    return path, rest
