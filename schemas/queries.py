"""Query-string parameters of the read routes."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from ledger import clock
from schemas.common import DAY_DESCRIPTION, StrictSchema, day

PAGE_LIMIT_MAX = 500
PAGE_LIMIT_DEFAULT = 100


def today() -> date:
    return clock.now().date()


class AsOfQuery(StrictSchema):
    as_of = day(required=False, load_default=today,
                 description=f"a date in the world ({DAY_DESCRIPTION}); default today (UTC)")


class PageQuery(StrictSchema):
    cursor = fields.String(
        validate=validate.Regexp(r"^\d{1,9}$", error="a cursor returned as next_cursor"),
        metadata={"description": "next_cursor of the previous page; omit for the first page"},
    )
    limit = fields.Integer(load_default=PAGE_LIMIT_DEFAULT, validate=validate.Range(1, PAGE_LIMIT_MAX))
