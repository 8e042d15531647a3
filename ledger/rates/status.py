"""How long the rate tables stay exact, and the warnings an operator sees before and after that day."""

from __future__ import annotations

from dataclasses import dataclass

from ledger import dates
from ledger.rates import RateTables

WARN_DAYS = 30


@dataclass(frozen=True)
class TableStatus:
    table: str  # "uk" | "eu"
    name: str  # the reference table's file name
    series_verified_through: str  # the central-bank change list is complete to this day
    exact_through: str  # the last day with an exact reference rate: the table's verified-through date
    days_left: int  # from today to exact_through (negative once past it)

    def warning(self) -> str | None:
        if self.days_left < 0:
            return (
                f"{self.name} is verified through {self.exact_through}: claims needing a later rate carry the last "
                f"verified rate forward and are labelled provisional (run `ledger rates update`)"
            )
        if self.days_left <= WARN_DAYS:
            return (
                f"{self.name} is verified through {self.exact_through} ({self.days_left} days left): run "
                f"`ledger rates update` before then"
            )
        return None


def table_status(tables: RateTables, today: str) -> list[TableStatus]:
    return [
        TableStatus(
            key, table.name, table.verified_through, table.exact_through, dates.days_between(today, table.exact_through)
        )
        for key, table in (("uk", tables.uk), ("eu", tables.eu))
    ]


def rate_warnings(tables: RateTables, today: str) -> list[str]:
    return [w for w in (s.warning() for s in table_status(tables, today)) if w]
