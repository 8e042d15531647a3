"""One home per rule: every field limit is defined in ledger.terms, and the schemas and the domain agree on it.

For each limit, a value at the limit is accepted by the command schema (the
edge, HTTP and Kafka) and by the Contract (the domain); one past it is refused
by both. The limits are written out here by hand, not read from the code.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import marshmallow
import pytest

from ledger import terms
from ledger.commands import SignContract, contract_command
from ledger.contract import Contract
from ledger.errors import LedgerError, ValidationError
from schemas.commands import COMMAND_SCHEMAS
from tests.factories import money, signed

DAY = date(2026, 2, 1)  # after the advance invoice INV-1 (issued 2026-01-05, due 2026-01-19)
BASES: dict[str, dict[str, Any]] = {
    "issue_invoice": {"occurred_on": DAY, "number": "INV-2", "lines": [{"description": "d", "amount": money(100)}]},
    "issue_credit_note": {"occurred_on": DAY, "number": "INV-1", "amount": money(100), "reason": "r"},
    "record_payment": {"occurred_on": DAY, "payment_id": "p-1", "amount": money(100)},
    "open_dispute": {"occurred_on": DAY, "dispute_id": "d-1", "reason": "r"},
    "log_communication": {"occurred_on": DAY, "direction": "inbound", "channel": "email", "summary": "s"},
    "record_reminder_sent": {"occurred_on": DAY, "invoice_numbers": ["INV-1"], "stage": "friendly", "channel": "email"},
    "deliver_milestone": {"occurred_on": DAY, "key": "prototype", "description": "d"},
    "fund_escrow": {"occurred_on": DAY, "reference": "e-1", "amount": money(100), "provider": "p"},
    "file_claim": {"occurred_on": DAY, "court": "c", "claim_reference": "c-1", "amount_claimed": money(100)},
    "pause_work": {"occurred_on": DAY, "reason": "r"},
}

# (command, field path, limit, kind): the limit as the operations docs state it.
TEXT_LIMITS = [
    ("sign_contract", "title", 200, "text"),
    ("sign_contract", "reference", 100, "text"),
    ("sign_contract", "supplier.name", 200, "text"),
    ("sign_contract", "supplier.email", 320, "email"),
    ("sign_contract", "supplier.address", 500, "text"),
    ("sign_contract", "supplier.company_number", 40, "text"),
    ("sign_contract", "milestones.0.title", 200, "text"),
    ("sign_contract", "payment_terms_days", 365, "number"),
    ("sign_contract", "licence.months", 120, "number"),
    ("issue_invoice", "number", 100, "identifier"),
    ("issue_invoice", "lines.0.description", 500, "text"),
    ("issue_credit_note", "credit_note_number", 100, "identifier"),
    ("issue_credit_note", "reason", 2000, "text"),
    ("record_payment", "payment_id", 100, "identifier"),
    ("record_payment", "reference", 200, "text"),
    ("open_dispute", "dispute_id", 100, "identifier"),
    ("log_communication", "summary", 2000, "text"),
    ("log_communication", "counterpart", 200, "text"),
    ("record_reminder_sent", "tracking_reference", 200, "text"),
    ("deliver_milestone", "proof_links.0", 1000, "text"),
    ("fund_escrow", "reference", 200, "text"),
    ("fund_escrow", "provider", 200, "text"),
    ("file_claim", "court", 200, "text"),
    ("file_claim", "claim_reference", 100, "text"),
    ("pause_work", "reason", 2000, "text"),
]
# Lists: at the limit the count is not what either layer refuses; past it, both refuse the count.
COUNT_LIMITS = [
    ("issue_invoice", "milestone_keys", 100, "key"),
    ("record_reminder_sent", "invoice_numbers", 100, "identifier"),
    ("open_dispute", "invoice_numbers", 100, "identifier"),
    ("deliver_milestone", "proof_links", 50, "text"),
    ("deliver_milestone", "attachment_hashes", 50, "hash"),
    ("log_communication", "attachment_hashes", 50, "hash"),
    ("sign_contract", "reminder_policy.offsets_days", 10, "offset"),
]


def value_of(kind: str, size: int) -> Any:
    if kind == "number":
        return size
    if kind == "email":
        return email_of(size)
    return ("A" if kind == "identifier" else "a") * size


def email_of(size: int) -> str:
    """An address of exactly ``size`` characters that an email validator accepts (labels of at most 63)."""
    host, room = [], size - len("a" * 64 + "@") - len(".example")
    while room > 0:
        label = min(63, room if room <= 63 else room - 2)  # leave room for a dot and one more character
        host.append("b" * label)
        room -= label + (1 if room > label else 0)
    return "a" * 64 + "@" + ".".join(host) + ".example"


def items_of(kind: str, count: int) -> list[Any]:
    make = {
        "key": lambda i: f"k{i}",
        "identifier": lambda i: f"INV-{i}",
        "text": lambda i: f"https://x.example/{i}",
        "hash": lambda i: f"{i:064x}",
        "offset": lambda i: i,
    }
    return [make[kind](i) for i in range(count)]


def body_with(command: str, path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASES.get(command) or sign_terms())
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {} if part != "proof_links" else [])
    if last.isdigit():
        target.append(value)
    else:
        target[last] = value
    return body


def sign_terms() -> dict[str, Any]:
    from tests.factories import terms as contract_terms

    return contract_terms(licence={"kind": "time_limited", "months": 12})


def contract() -> Contract:
    found = signed(licence={"kind": "time_limited", "months": 12})
    found.issue_invoice(number="INV-1", occurred_on=date(2026, 1, 5), milestone_keys=["advance"])
    return found


def schema_accepts(command: str, body: dict[str, Any]) -> bool:
    as_json = json.loads(json.dumps(body, default=date.isoformat))
    try:
        COMMAND_SCHEMAS[command]().load(as_json)
    except marshmallow.ValidationError:
        return False
    return True


def domain_outcome(command: str, body: dict[str, Any]) -> LedgerError | None:
    try:
        if command == "sign_contract":
            SignContract.from_args(body).sign(signed().id, "acct")
        else:
            contract_command(command, body).apply(contract())
    except LedgerError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("command", "path", "limit", "kind"), TEXT_LIMITS, ids=[f"{c}.{p}" for c, p, _, _ in TEXT_LIMITS]
)
def test_a_value_at_the_limit_is_accepted_and_one_past_it_refused_by_the_schema_and_the_domain(
    command: str, path: str, limit: int, kind: str
) -> None:
    at, past = body_with(command, path, value_of(kind, limit)), body_with(command, path, value_of(kind, limit + 1))
    assert (schema_accepts(command, at), domain_outcome(command, at)) == (True, None)
    assert schema_accepts(command, past) is False
    assert isinstance(domain_outcome(command, past), ValidationError)


@pytest.mark.parametrize(
    ("command", "path", "limit", "kind"), COUNT_LIMITS, ids=[f"{c}.{p}" for c, p, _, _ in COUNT_LIMITS]
)
def test_a_list_at_its_limit_is_not_refused_for_its_length_and_one_past_it_is_by_both_layers(
    command: str, path: str, limit: int, kind: str
) -> None:
    at, past = body_with(command, path, items_of(kind, limit)), body_with(command, path, items_of(kind, limit + 1))
    field = path.split(".")[-1]
    assert schema_accepts(command, at) is True
    assert not refused_for_length(domain_outcome(command, at), field)
    assert schema_accepts(command, past) is False
    assert refused_for_length(domain_outcome(command, past), path if command == "sign_contract" else field)


def refused_for_length(error: LedgerError | None, field: str) -> bool:
    return isinstance(error, ValidationError) and field in error.errors


def test_the_patterns_the_schemas_use_are_the_domains() -> None:
    assert (
        COMMAND_SCHEMAS["sign_contract"]().fields["jurisdiction"].validate.regex.pattern == terms.JURISDICTION_PATTERN
    )
    assert COMMAND_SCHEMAS["issue_invoice"]().fields["number"].validate.regex.pattern == terms.IDENTIFIER_PATTERN
    assert COMMAND_SCHEMAS["accept_milestone"]().fields["key"].validate.regex.pattern == terms.KEY_PATTERN
    assert COMMAND_SCHEMAS["amend_contract"]().fields["document_hash"].validate.regex.pattern == terms.SHA256_PATTERN
