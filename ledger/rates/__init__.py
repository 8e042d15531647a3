"""Effective-dated reference-rate tables for statutory late-payment interest.

The CSVs beside this file are shipped with the package (see SOURCES.md for
where every row comes from). An operator can point ``LEDGER_RATES_DIR`` at an
updated copy; that variable is read at the entry points and the directory is
passed here, so the domain never reads the environment.

Each central-bank series has a ``verified_through`` date (``verified_through.csv``:
the change list is known complete up to that day). A half-year whose reference
rate falls on a later day has no exact row: the last known rate carries forward
and the row says so ("provisional: rate verified through ..."); with ``strict``
it is refused with ``RatesUnavailable`` instead. A date before a table starts is
always refused: the engine never guesses a past rate.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
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
SERIES_FILE = "verified_through.csv"  # optional: without it a series is verified through its table's last row
SERIES_COLUMNS = ("series", "changes_file", "verified_through", "source_url", "retrieved_at")
UK_SERIES, EU_SERIES = "uk_bank_rate", "ecb_mro"
SERIES_OF = {UK_SERIES: (UK_CHANGES, UK_REFERENCE), EU_SERIES: (EU_CHANGES, EU_REFERENCE)}
STATUTORY_MARGIN = Decimal(8)


@dataclass(frozen=True)
class RateRow:
    """One half-year of a reference table, with where it came from."""

    period_start: str
    period_end: str
    reference_percent: Decimal
    statutory_percent: Decimal
    source: str  # "file line N: ..." (and the central-bank change row behind it, when known)
    provisional: str | None = None  # "provisional: rate verified through D" when the rate was carried forward


@dataclass(frozen=True)
class RateTable:
    name: str
    rows: tuple[RateRow, ...]
    verified_through: str = "9999-12-31"  # the series' change list is complete up to this day
    carried_percent: Decimal | None = None  # the rate in force on verified_through (carried forward past it)
    strict: bool = False  # refuse, rather than carry forward, past the last exact row

    @property
    def exact_through(self) -> str:
        """The last day with an exact (not carried-forward) reference rate."""
        return self.rows[-1].period_end

    def row_for(self, day: str) -> RateRow:
        for row in self.rows:
            if row.period_start <= day <= row.period_end:
                return row
        first, last = self.rows[0].period_start, self.exact_through
        if day > last and not self.strict and self.carried_percent is not None:
            return self.carried_row(day)
        why = " (strict: no carried-forward rate)" if day > last and self.strict else ""
        raise RatesUnavailable(
            f"{self.name} covers {first} to {last}{why}; no rate for {day}: update the table (ledger rates update, "
            f"LEDGER_RATES_DIR)", table=self.name, day=day, covered_from=first, covered_to=last,
            verified_through=self.verified_through,
        )

    def carried_row(self, day: str) -> RateRow:
        start, end = half_year_of(day)
        reference = self.carried_percent or Decimal(0)
        note = f"provisional: rate verified through {self.verified_through}"
        source = f"{self.name}: {start}..{end} reference {reference}% carried forward ({note})"
        return RateRow(start, end, reference, reference + STATUTORY_MARGIN, source, note)


def half_year_of(day: str) -> tuple[str, str]:
    year = day[:4]
    return (f"{year}-01-01", f"{year}-06-30") if day[5:7] <= "06" else (f"{year}-07-01", f"{year}-12-31")


@dataclass(frozen=True)
class RateTables:
    uk: RateTable
    eu: RateTable


def read_table_texts(directory: str | Path | None = None) -> dict[str, str]:
    """The raw text of every table file (and of ``verified_through.csv`` when there is one): from ``directory``
    if given, else the packaged copy."""
    texts = {}
    for name in (*TABLE_FILES, SERIES_FILE):
        if directory is None:
            resource = resources.files(__package__).joinpath(name)
            if resource.is_file():
                texts[name] = resource.read_text(encoding="utf-8")
            continue
        path = Path(directory) / name
        if path.is_file():
            texts[name] = path.read_text(encoding="utf-8")
        elif name != SERIES_FILE:
            raise RatesUnavailable(f"rate table {path} is missing", table=name)
    return texts


def load_rate_tables(directory: str | Path | None = None, *, strict: bool = False) -> RateTables:
    return tables_from_texts(read_table_texts(directory), strict=strict)


def tables_from_texts(texts: dict[str, str], *, strict: bool = False) -> RateTables:
    """Parse the tables (also used by the offline verifier on the copies inside a bundle)."""
    verified = verified_through_dates(texts)
    # UK: Bank Rate in force on the day before the half-year (31 Dec / 30 Jun), SI 2002/1675 art. 4.
    uk = _reference(texts, UK_SERIES, verified.get(UK_SERIES), strict, probe_day_before=True)
    # EU: ECB MRO rate in force on the first day of the half-year, Directive 2011/7/EU art. 2(7).
    eu = _reference(texts, EU_SERIES, verified.get(EU_SERIES), strict, probe_day_before=False)
    return RateTables(uk=uk, eu=eu)


def verified_through_dates(texts: dict[str, str]) -> dict[str, str]:
    """``series -> verified_through`` from ``verified_through.csv`` (empty when the file is absent)."""
    if SERIES_FILE not in texts:
        return {}
    found = {}
    for line, row in _rows(texts[SERIES_FILE]):
        series, day = row.get("series") or "", row.get("verified_through") or ""
        if series not in SERIES_OF or not _is_date(day):
            raise RatesUnavailable(f"{SERIES_FILE} line {line}: not a known series with a verified_through date "
                                   f"({series!r}, {day!r})", table=SERIES_FILE, line=line)
        found[series] = day
    return found


def _is_date(text: str) -> bool:
    try:
        return len(text) == 10 and bool(date.fromisoformat(text))
    except ValueError:
        return False


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


def probe_day(period_start: str, *, probe_day_before: bool) -> str:
    """The day whose rate fixes a half-year's reference: the day before it (UK) or its first day (EU)."""
    return _day_before(period_start) if probe_day_before else period_start


def _reference(texts: dict[str, str], series: str, verified: str | None, strict: bool, *,
               probe_day_before: bool) -> RateTable:
    changes_file, name = SERIES_OF[series]
    changes = _changes(texts[changes_file], changes_file)
    rows = []
    for line, row in _rows(texts[name]):
        start, end = row["period_start"], row["period_end"]
        probe = probe_day(start, probe_day_before=probe_day_before)
        if verified is not None and probe > verified:
            raise RatesUnavailable(f"{name} line {line}: the half-year from {start} needs the rate on {probe}, but "
                                   f"{series} is verified through {verified} only", table=name, line=line)
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
    rows.sort(key=lambda r: r.period_start)
    through = verified or probe_day(rows[-1].period_start, probe_day_before=probe_day_before)
    in_force = [change.rate_percent for change in changes if change.effective <= through]
    carried = in_force[-1] if in_force else rows[-1].reference_percent
    return RateTable(name, tuple(rows), through, carried, strict)


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
