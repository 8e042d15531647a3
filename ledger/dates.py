"""Date helpers on ISO strings (the form dates take inside events)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def parse(value: str) -> date:
    return date.fromisoformat(value)


def add_days(value: str, days: int) -> str:
    return (parse(value) + timedelta(days=days)).isoformat()


def add_months(value: str, months: int) -> str:
    start = parse(value)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day).isoformat()


def days_between(start: str, end: str) -> int:
    return (parse(end) - parse(start)).days
