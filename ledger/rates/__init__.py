"""Effective-dated reference-rate tables for statutory late-payment interest.

The CSVs beside this file are shipped with the package (see SOURCES.md for
where every row comes from). An operator can point ``LEDGER_RATES_DIR`` at an
updated copy; that variable is read at the entry points and the directory is
passed here, so the domain never reads the environment. A date outside a
table is refused with ``RatesUnavailable``: the engine never guesses a rate.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from ledger.dates import add_days
from ledger.errors import RatesUnavailable

UK_REFERENCE = "uk_late_payment_reference.csv"
EU_REFERENCE = "eu_late_payment_reference.csv"
UK_CHANGES = "uk_bank_rate_changes.csv"
EU_CHANGES = "ecb_mro_changes.csv"
TABLE_FILES = (UK_REFERENCE, EU_REFERENCE, UK_CHANGES, EU_CHANGES)
STATUTORY_MARGIN = Decimal(8)


@dataclass(frozen=True)
class RateRow:
    """One half-year of a reference table, with where it came from."""

    period_start: str
    period_end: str
    reference_percent: Decimal
    statutory_percent: Decimal
    source: str  # "file line N: ..." (and the central-bank change row behind it, when known)


@dataclass(frozen=True)
class RateTable:
    name: str
    rows: tuple[RateRow, ...]

    def row_for(self, day: str) -> RateRow:
        for row in self.rows:
            if row.period_start <= day <= row.period_end:
                return row
        first, last = self.rows[0].period_start, self.rows[-1].period_end
        raise RatesUnavailable(
            f"{self.name} covers {first} to {last}; no rate for {day}: update the table (LEDGER_RATES_DIR)",
            table=self.name, day=day, covered_from=first, covered_to=last,
        )


@dataclass(frozen=True)
class RateTables:
    uk: RateTable
    eu: RateTable


def read_table_texts(directory: str | Path | None = None) -> dict[str, str]:
    """The raw text of every table file: from ``directory`` if given, else the packaged copy."""
    texts = {}
    for name in TABLE_FILES:
        if directory is None:
            texts[name] = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        else:
            path = Path(directory) / name
            if not path.is_file():
                raise RatesUnavailable(f"rate table {path} is missing", table=name)
            texts[name] = path.read_text(encoding="utf-8")
    return texts


def load_rate_tables(directory: str | Path | None = None) -> RateTables:
    return tables_from_texts(read_table_texts(directory))


def tables_from_texts(texts: dict[str, str]) -> RateTables:
    """Parse the tables (also used by the offline verifier on the copies inside a bundle)."""
    uk_changes = _changes(texts[UK_CHANGES], UK_CHANGES)
    eu_changes = _changes(texts[EU_CHANGES], EU_CHANGES)
    # UK: Bank Rate in force on the day before the half-year (31 Dec / 30 Jun), SI 2002/1675 art. 4.
    uk = _reference(texts[UK_REFERENCE], UK_REFERENCE, uk_changes, probe_day_before=True)
    # EU: ECB MRO rate in force on the first day of the half-year, Directive 2011/7/EU art. 2(7).
    eu = _reference(texts[EU_REFERENCE], EU_REFERENCE, eu_changes, probe_day_before=False)
    return RateTables(uk=uk, eu=eu)


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return [(index, row) for index, row in enumerate(reader, start=2)]  # line 1 is the header


@dataclass(frozen=True)
class Change:
    effective: str
    rate_percent: Decimal
    label: str  # "file line N: rate% from date", with " [UNVERIFIED]" when the file says its source is unverified


def _changes(text: str, name: str) -> list[Change]:
    """The central bank's rate changes in date order, each with the label cited as its source."""
    found = []
    for line, row in _rows(text):
        label = f"{name} line {line}: {row['rate_percent']}% from {row['effective_date']}"
        if row.get("source", "").strip().lower() == "unverified":  # never cite it as if confirmed
            label += " [UNVERIFIED]"
        found.append(Change(row["effective_date"], Decimal(row["rate_percent"]), label))
    return sorted(found, key=lambda c: c.effective)


def _reference(text: str, name: str, changes: list[Change], *, probe_day_before: bool) -> RateTable:
    rows = []
    for line, row in _rows(text):
        start, end = row["period_start"], row["period_end"]
        probe = _day_before(start) if probe_day_before else start
        behind = [change for change in changes if change.effective <= probe]
        reference, statutory = Decimal(row["reference_rate_percent"]), Decimal(row["statutory_rate_percent"])
        _check_row(name, line, reference, statutory, exact=probe_day_before)
        source = f"{name} line {line}: {start}..{end} reference {row['reference_rate_percent']}%"
        if behind:
            _check_reference(name, line, reference, probe, behind[-1])
            source += f" (rate in force on {probe}: {behind[-1].label})"
        rows.append(RateRow(start, end, reference, statutory, source))
    if not rows:
        raise RatesUnavailable(f"rate table {name} is empty", table=name)
    return RateTable(name, tuple(sorted(rows, key=lambda r: r.period_start)))


def _check_row(name: str, line: int, reference: Decimal, statutory: Decimal, *, exact: bool) -> None:
    """UK: exactly 8 points over the reference (1998 Act, SI 2002/1675); EU: at least 8 (Directive art. 2(6))."""
    floor = reference + STATUTORY_MARGIN
    if statutory < floor or (exact and statutory != floor):
        rule = "reference + 8" if exact else "at least reference + 8"
        raise RatesUnavailable(f"{name} line {line}: statutory rate {statutory} is not {rule} ({reference} + 8)",
                               table=name, line=line)


def _check_reference(name: str, line: int, reference: Decimal, probe: str, change: Change) -> None:
    if reference != change.rate_percent:
        raise RatesUnavailable(f"{name} line {line}: reference rate {reference} is not the rate in force on {probe} "
                               f"({change.label})", table=name, line=line)


def _day_before(day: str) -> str:
    return add_days(day, -1)
