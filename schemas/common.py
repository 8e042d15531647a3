"""Building blocks shared by the command and response schemas.

Every schema refuses unknown fields (``RAISE``) and puts a limit on every
string and list, matching the limits the domain enforces again behind it.
Money is ``{"amount": <int minor units>, "currency": <ISO 4217>}``: the amount
must be a JSON integer (a float, a string or a boolean is refused).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from ledger.money import AMOUNT_MAX, CURRENCIES
from ledger.terms import (
    ADDRESS_MAX,
    CLIENT_KINDS,
    COMPANY_NUMBER_MAX,
    DATE_MAX,
    DATE_MIN,
    DUE_RULES,
    EMAIL_MAX,
    HASHES_MAX,
    IDENTIFIER_MAX,
    IDENTIFIER_PATTERN,
    KEY_PATTERN,
    LATE_PAYMENT_KINDS,
    LICENCE_KINDS,
    LICENCE_MONTHS_MAX,
    LINE_DESCRIPTION_MAX,
    MILESTONES_MAX,
    NAME_MAX,
    REMINDER_OFFSET_DAYS_MAX,
    REMINDER_OFFSETS_MAX,
    SHA256_PATTERN,
    TEXT_MAX,
    TITLE_MAX,
)

IDENTIFIER_ERROR = f"1 to {IDENTIFIER_MAX} letters, digits or . _ : / -, starting with a letter or digit"


class StrictSchema(Schema):
    """Unknown fields are an error; optional fields given as ``null`` are dropped, so they mean "absent"."""

    class Meta:
        unknown = RAISE

    @post_load
    def drop_nulls(self, data: dict[str, Any], **_: Any) -> Any:
        return self.build({key: value for key, value in data.items() if value is not None})

    def build(self, data: dict[str, Any]) -> Any:
        """What ``load`` returns: the fields given (a command schema builds its command from them)."""
        return data


def text(limit: int = TEXT_MAX, *, required: bool = True, **kwargs: Any) -> fields.String:
    """A non-empty string of at most ``limit`` characters; optional ones may be ``null``."""
    return fields.String(
        required=required, allow_none=not required, validate=validate.Length(1, limit), **kwargs
    )


def within_ledger_dates(value: date) -> None:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(f"must be between {DATE_MIN} and {DATE_MAX}")


DAY_DESCRIPTION = f"YYYY-MM-DD, between {DATE_MIN} and {DATE_MAX}"


DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DAY_SHAPE = re.compile(DAY_PATTERN)


class Day(fields.Date):
    """A calendar day written YYYY-MM-DD and nothing else (Python's ISO parser would also take 20260101)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not DAY_SHAPE.match(value):
            raise self.make_error("invalid")
        parsed: date = super()._deserialize(value, attr, data, **kwargs)
        return parsed


def day(*, required: bool = True, **kwargs: Any) -> Day:
    description = kwargs.pop("description", DAY_DESCRIPTION)
    return Day(required=required, allow_none=not required, validate=within_ledger_dates,
               metadata={"description": description, "pattern": DAY_PATTERN}, **kwargs)


def sha256(*, required: bool = False) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Regexp(SHA256_PATTERN, error="must be 64 lowercase hex digits"),
        metadata={"description": "SHA-256 hex digest"},
    )


def sha256_list() -> fields.List:
    return fields.List(sha256(required=True), allow_none=True, validate=validate.Length(max=HASHES_MAX))


def text_list(limit: int, item_limit: int, *, required: bool = False) -> fields.List:
    return fields.List(
        text(item_limit), required=required, allow_none=not required, validate=validate.Length(max=limit)
    )


def choice(options: tuple[str, ...] | list[str], *, required: bool = True, **kwargs: Any) -> fields.String:
    return fields.String(required=required, allow_none=not required, validate=validate.OneOf(options), **kwargs)


class MoneySchema(StrictSchema):
    """An amount in integer minor units of an ISO 4217 currency: GBP 1,500.00 is 150000."""

    amount = fields.Integer(strict=True, required=True, validate=validate.Range(0, AMOUNT_MAX))
    currency = choice(sorted(CURRENCIES))


class PositiveMoneySchema(MoneySchema):
    """Money given in a command: at least one minor unit (the domain refuses zero and below)."""

    amount = fields.Integer(strict=True, required=True, validate=validate.Range(1, AMOUNT_MAX))


def money(*, required: bool = True, positive: bool = True) -> fields.Nested:
    schema = PositiveMoneySchema if positive else MoneySchema
    return fields.Nested(schema, required=required, allow_none=not required)


class PartySchema(StrictSchema):
    name = text(NAME_MAX)
    email = fields.Email(required=True, validate=validate.Length(3, EMAIL_MAX))
    address = text(ADDRESS_MAX, required=False)
    kind = choice(CLIENT_KINDS, required=False)
    company_number = text(COMPANY_NUMBER_MAX, required=False)


def milestone_key(*, required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Regexp(KEY_PATTERN, error="a short lowercase key"),
    )


def identifier(*, required: bool = True, **kwargs: Any) -> fields.String:
    """An id the caller chooses (invoice number, payment id, ...): the domain's identifier rule."""
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Regexp(IDENTIFIER_PATTERN, error=IDENTIFIER_ERROR),
        **kwargs,
    )


class MilestoneSchema(StrictSchema):
    key = milestone_key()
    title = text(TITLE_MAX)
    amount = money()
    due = choice(DUE_RULES, required=False)
    due_date = day(required=False)


def milestone_list() -> fields.List:
    return fields.List(fields.Nested(MilestoneSchema), required=True, validate=validate.Length(1, MILESTONES_MAX))


class LatePaymentSchema(StrictSchema):
    kind = choice(LATE_PAYMENT_KINDS)
    annual_rate_percent = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\d{1,3}(\.\d{1,4})?$", error="a percentage such as 8.00"),
        metadata={"description": "contractual annual rate, a decimal string such as \"8.00\""},
    )


class ReminderPolicySchema(StrictSchema):
    offsets_days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(0, REMINDER_OFFSET_DAYS_MAX)),
        required=True,
        validate=validate.Length(1, REMINDER_OFFSETS_MAX),
    )


class LicenceTermsSchema(StrictSchema):
    kind = choice(LICENCE_KINDS)
    months = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, LICENCE_MONTHS_MAX))
    perpetual_on_final_payment = fields.Boolean(allow_none=True, truthy={True}, falsy={False})


class InvoiceLineSchema(StrictSchema):
    description = text(LINE_DESCRIPTION_MAX)
    amount = money()
