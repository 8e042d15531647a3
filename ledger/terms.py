"""Contract terms given at signing or amendment: validated into JSON-native dicts.

Everything here is pure validation. The aggregate stores the returned dicts in
its events, so an event payload is always plain JSON (str, int, bool, None,
list, dict) and hashes the same way everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.errors import ScheduleMismatch, ValidationError
from ledger.money import Money, check_currency

# The limits and patterns of every field, in one place: the domain enforces them and the schemas
# (schemas/) are built from them, so an HTTP or Kafka payload is refused at the edge by the same rule.
ACCOUNT_ID_MAX = 100
TEXT_MAX = 2000  # reasons, descriptions, notes, summaries, scopes
TITLE_MAX = 200  # contract and milestone titles
NAME_MAX = 200  # a party's name, a counterpart, an escrow provider, a court
EMAIL_MAX = 320
ADDRESS_MAX = 500
COMPANY_NUMBER_MAX = 40
CONTRACT_REFERENCE_MAX = 100  # the contract's own reference, a court claim's reference
REFERENCE_MAX = 200  # a payment's bank reference, a reminder's tracking reference, an escrow reference
LINE_DESCRIPTION_MAX = 500
LINK_MAX = 1000
LINKS_MAX = 50
HASHES_MAX = 50
IDENTIFIER_MAX = 100  # ids chosen by the caller: invoice and credit-note numbers, payment and dispute ids
INVOICE_NUMBERS_MAX = 100  # invoices named by one reminder, promise, dispute or allocation
MILESTONES_MAX = 100
MILESTONE_KEYS_MAX = 100
INVOICE_LINES_MAX = 100
PAYMENT_TERMS_DAYS_MAX = 365
REMINDER_OFFSETS_MAX = 10
REMINDER_OFFSET_DAYS_MAX = 365
LICENCE_MONTHS_MAX = 120
IDENTIFIER_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{IDENTIFIER_MAX - 1}}}$"
KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
JURISDICTION_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

JURISDICTION = re.compile(JURISDICTION_PATTERN)
# Every date the ledger records or answers for: wide enough for any engagement, far from calendar overflow.
DATE_MIN = date(1970, 1, 1)
DATE_MAX = date(2999, 12, 31)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
KEY = re.compile(KEY_PATTERN)
SHA256 = re.compile(SHA256_PATTERN)
CLIENT_KINDS = ("business", "individual")
DUE_RULES = ("on_signing", "on_acceptance", "on_date")
LATE_PAYMENT_KINDS = ("none", "contractual", "statutory")
LICENCE_KINDS = ("none", "time_limited")
DEFAULT_REMINDER_OFFSETS = [0, 10, 20, 30]


def optional_text(value: Any, field: str, *, limit: int = TEXT_MAX) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", {field: ["must be text"]})
    check_unicode(value, field)
    if len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", {field: [f"at most {limit} characters"]})
    return value


def check_unicode(value: str, field: str) -> None:
    """Text must be valid Unicode (no lone surrogates: it is hashed as UTF-8) without control characters
    other than tab and line breaks (PostgreSQL text cannot hold NUL; none belongs in a record)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field} is not valid Unicode text", {field: ["invalid unicode"]}) from None
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(f"{field} contains a control character", {field: ["control character"]})


def identifier(value: Any, field: str) -> str:
    """An id chosen by the caller (invoice number, payment id, ...): it becomes a key in the record."""
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise ValidationError(
            f"{field} must be 1 to {IDENTIFIER_MAX} letters, digits or . _ : / - and start with a letter or digit",
            {field: ["invalid identifier"]},
        )
    return value


def text(value: Any, field: str, *, limit: int = TEXT_MAX) -> str:
    found = optional_text(value, field, limit=limit)
    if found is None:
        raise ValidationError(f"{field} is required", {field: ["required"]})
    return found


def iso(value: Any, field: str) -> str:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{field} must be a date", {field: ["must be a date (YYYY-MM-DD)"]})
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            f"{field} must be between {DATE_MIN} and {DATE_MAX}", {field: [f"between {DATE_MIN} and {DATE_MAX}"]}
        )
    return value.isoformat()


def party(data: Any, field: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError(f"{field} must be an object", {field: ["must be an object"]})
    kind = data.get("kind", "business")
    if kind not in CLIENT_KINDS:
        raise ValidationError(f"{field}.kind must be one of {CLIENT_KINDS}", {f"{field}.kind": ["invalid"]})
    email = text(data.get("email"), f"{field}.email", limit=EMAIL_MAX)
    if "@" not in email:
        raise ValidationError(f"{field}.email must be an email address", {f"{field}.email": ["invalid email"]})
    return {
        "name": text(data.get("name"), f"{field}.name", limit=NAME_MAX),
        "email": email,
        "address": optional_text(data.get("address"), f"{field}.address", limit=ADDRESS_MAX),
        "kind": kind,
        "company_number": optional_text(data.get("company_number"), f"{field}.company_number", limit=COMPANY_NUMBER_MAX),
    }


def milestones(items: Any, currency: str, total: int) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise ValidationError("milestones must be a non-empty list", {"milestones": ["at least one milestone"]})
    if len(items) > MILESTONES_MAX:
        raise ValidationError(f"at most {MILESTONES_MAX} milestones", {"milestones": ["too many"]})
    result = []
    for index, item in enumerate(items):
        result.append(milestone(item, currency, f"milestones[{index}]"))
    keys = [m["key"] for m in result]
    if len(set(keys)) != len(keys):
        raise ValidationError("milestone keys must be unique", {"milestones": ["duplicate key"]})
    scheduled = sum(m["amount"] for m in result)
    if scheduled != total:
        raise ScheduleMismatch(
            f"milestone amounts add up to {scheduled} but the total is {total}",
            scheduled=scheduled,
            total=total,
        )
    return result


def milestone(item: Any, currency: str, field: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValidationError(f"{field} must be an object", {field: ["must be an object"]})
    key = item.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise ValidationError(f"{field}.key must be a short lowercase key", {f"{field}.key": ["invalid key"]})
    due = item.get("due", "on_acceptance")
    if due not in DUE_RULES:
        raise ValidationError(f"{field}.due must be one of {DUE_RULES}", {f"{field}.due": ["invalid"]})
    due_date = item.get("due_date")
    if due == "on_date":
        due_date = iso(due_date, f"{field}.due_date")
    elif due_date is not None:
        raise ValidationError(f"{field}.due_date is only for due='on_date'", {f"{field}.due_date": ["not allowed"]})
    return {
        "key": key,
        "title": text(item.get("title"), f"{field}.title", limit=TITLE_MAX),
        "amount": Money.of(item.get("amount"), currency, field=f"{field}.amount"),
        "due": due,
        "due_date": due_date,
    }


def rate_percent(value: Any, field: str) -> str:
    """An annual rate as a decimal string with two places, e.g. ``"18.00"``."""
    try:
        rate = Decimal(str(value)) if isinstance(value, (str, int, Decimal)) else None
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or rate < 0 or rate > 100:
        raise ValidationError(f"{field} must be a percentage between 0 and 100", {field: ["invalid rate"]})
    return f"{rate.quantize(Decimal('0.01'))}"


def late_payment(data: Any) -> dict[str, Any]:
    data = data or {"kind": "statutory"}
    if not isinstance(data, dict) or data.get("kind") not in LATE_PAYMENT_KINDS:
        raise ValidationError(
            f"late_payment.kind must be one of {LATE_PAYMENT_KINDS}", {"late_payment.kind": ["invalid"]}
        )
    if data["kind"] == "contractual":
        return {"kind": "contractual", "annual_rate_percent": rate_percent(data.get("annual_rate_percent"), "late_payment.annual_rate_percent")}
    return {"kind": data["kind"], "annual_rate_percent": None}


def reminder_policy(data: Any) -> dict[str, Any]:
    offsets = (data or {}).get("offsets_days", DEFAULT_REMINDER_OFFSETS) if isinstance(data or {}, dict) else None
    if (
        not isinstance(offsets, list)
        or not 1 <= len(offsets) <= REMINDER_OFFSETS_MAX
        or any(isinstance(o, bool) or not isinstance(o, int) or not 0 <= o <= REMINDER_OFFSET_DAYS_MAX for o in offsets)
        or offsets != sorted(set(offsets))
    ):
        raise ValidationError(
            "reminder_policy.offsets_days must be 1 to 10 increasing whole days between 0 and 365",
            {"reminder_policy.offsets_days": ["invalid"]},
        )
    return {"offsets_days": list(offsets)}


def licence_terms(data: Any) -> dict[str, Any]:
    data = data or {"kind": "none"}
    if not isinstance(data, dict) or data.get("kind") not in LICENCE_KINDS:
        raise ValidationError(f"licence.kind must be one of {LICENCE_KINDS}", {"licence.kind": ["invalid"]})
    if data["kind"] == "none":
        return {"kind": "none", "months": None, "perpetual_on_final_payment": False}
    months = data.get("months")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= LICENCE_MONTHS_MAX:
        raise ValidationError("licence.months must be 1 to 120", {"licence.months": ["invalid"]})
    return {
        "kind": "time_limited",
        "months": months,
        "perpetual_on_final_payment": bool(data.get("perpetual_on_final_payment", True)),
    }


def jurisdiction(value: Any) -> str:
    if not isinstance(value, str) or not JURISDICTION.match(value):
        raise ValidationError("jurisdiction must look like GB-ENG, EU-DE or US-NY", {"jurisdiction": ["invalid"]})
    return value


def payment_terms_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PAYMENT_TERMS_DAYS_MAX:
        raise ValidationError("payment_terms_days must be 0 to 365", {"payment_terms_days": ["invalid"]})
    return value


def currency(value: Any) -> str:
    try:
        return check_currency(value)
    except ValidationError as error:
        raise ValidationError(error.message, {"currency": ["unknown currency"]}) from None


def sha256_hex(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not SHA256.match(value):
        raise ValidationError(f"{field} must be a SHA-256 hex digest", {field: ["must be 64 lowercase hex digits"]})
    return value


def hash_list(values: Any, field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or len(values) > HASHES_MAX:
        raise ValidationError(f"{field} must be a list of at most {HASHES_MAX} hashes", {field: ["invalid"]})
    return [sha256_hex(v, field) or "" for v in values]


def check_count(values: Any, limit: int, field: str) -> None:
    """A list the caller gives (invoice numbers, milestone keys, allocations) names at most ``limit`` items."""
    if values is not None and len(values) > limit:
        raise ValidationError(f"{field} names more than {limit} items", {field: [f"at most {limit} items"]})


def text_list(values: Any, field: str, limit: int = LINKS_MAX) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or len(values) > limit:
        raise ValidationError(f"{field} must be a list of at most {limit} items", {field: ["invalid"]})
    return [text(v, field, limit=LINK_MAX) for v in values]
