"""The two official series and their export formats, parsed and checked (no network here).

- Bank of England Bank Rate, series IUDBEDR, from the Bank's statistical database CSV
  export: ``DATE,IUDBEDR`` then one row per business day, dates like ``18 Dec 2025``.
- ECB main refinancing operations fixed rate, series FM.D.U2.EUR.4F.KR.MRR_FR.LEV, from
  the ECB data portal's ``format=csvdata`` export: a header naming ``TIME_PERIOD`` and
  ``OBS_VALUE`` (among others), one row per date on which the rate changed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from ledger import dates
from ledger.errors import RateSourceInvalid

BOE_SERIES_CODE = "IUDBEDR"
ECB_SERIES_KEY = "FM.D.U2.EUR.4F.KR.MRR_FR.LEV"
BOE_URL = (
    "https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes&Datefrom=01/Jan/2009"
    "&Dateto=now&SeriesCodes=IUDBEDR&CSVF=TN&UsingCodes=Y&VPD=Y&VFD=N"
)
ECB_URL = "https://data-api.ecb.europa.eu/service/data/FM/D.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata"
PLAUSIBLE = (Decimal(-2), Decimal(25))  # percent a year: anything outside is a misread file, not a policy rate
MAX_GAP_DAYS = 7  # between two business days of a daily series (a long holiday weekend is 4 or 5)
SOURCE_BYTES_MAX = 5 * 1024 * 1024


@dataclass(frozen=True)
class Observation:
    day: str
    percent: Decimal
    line: int


@dataclass(frozen=True)
class SeriesSource:
    series: str  # uk_bank_rate | ecb_mro
    url: str
    daily: bool  # one row per business day (gaps are checked); else one row per change
    parse: str  # "boe" | "ecb"


SOURCES = {
    "uk_bank_rate": SeriesSource("uk_bank_rate", BOE_URL, daily=True, parse="boe"),
    "ecb_mro": SeriesSource("ecb_mro", ECB_URL, daily=False, parse="ecb"),
}


def parse_source(source: SeriesSource, text: str, name: str) -> list[Observation]:
    """The observations of one file, checked: a known format, dates ascending, plausible values, no gaps."""
    found = parse_boe(text, name) if source.parse == "boe" else parse_ecb(text, name)
    if not found:
        raise RateSourceInvalid(f"{name}: no observations of {source.series}", series=source.series)
    check_observations(found, name, daily=source.daily)
    return found


def parse_boe(text: str, name: str) -> list[Observation]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [c.strip().upper() for c in rows[0]] != ["DATE", BOE_SERIES_CODE]:
        raise RateSourceInvalid(
            f"{name}: not a Bank of England {BOE_SERIES_CODE} CSV export (the header must be DATE,{BOE_SERIES_CODE})"
        )
    found = []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise RateSourceInvalid(f"{name} line {line}: expected a date and a rate, got {row!r}", line=line)
        try:
            day = datetime.strptime(row[0].strip(), "%d %b %Y").date().isoformat()
        except ValueError:
            raise RateSourceInvalid(
                f"{name} line {line}: {row[0]!r} is not a date like 18 Dec 2025", line=line
            ) from None
        found.append(Observation(day, number(row[1], name, line), line))
    return found


def parse_ecb(text: str, name: str) -> list[Observation]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"TIME_PERIOD", "OBS_VALUE"} <= set(reader.fieldnames):
        raise RateSourceInvalid(f"{name}: not an ECB data portal csvdata export (no TIME_PERIOD and OBS_VALUE columns)")
    found = []
    for line, row in enumerate(reader, start=2):
        key = (row.get("KEY") or ECB_SERIES_KEY).strip()
        if key != ECB_SERIES_KEY:
            raise RateSourceInvalid(f"{name} line {line}: series {key}, not {ECB_SERIES_KEY}", line=line)
        day = (row.get("TIME_PERIOD") or "").strip()
        try:
            dates.parse(day)
        except ValueError:
            raise RateSourceInvalid(f"{name} line {line}: {day!r} is not an ISO date", line=line) from None
        found.append(Observation(day, number(row.get("OBS_VALUE") or "", name, line), line))
    return found


def number(text: str, name: str, line: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise RateSourceInvalid(f"{name} line {line}: {text!r} is not a rate", line=line) from None
    if not value.is_finite() or not PLAUSIBLE[0] <= value <= PLAUSIBLE[1]:
        raise RateSourceInvalid(f"{name} line {line}: {text.strip()}% is not a plausible policy rate", line=line)
    return value.quantize(Decimal("0.01"))


def check_observations(found: list[Observation], name: str, *, daily: bool) -> None:
    for before, after in pairwise(found):
        if after.day <= before.day:
            raise RateSourceInvalid(
                f"{name} line {after.line}: {after.day} does not come after {before.day} (dates must ascend)",
                line=after.line,
            )
        if daily and dates.days_between(before.day, after.day) > MAX_GAP_DAYS:
            raise RateSourceInvalid(
                f"{name} line {after.line}: no rate between {before.day} and {after.day} "
                f"(more than {MAX_GAP_DAYS} days: a gap in a daily series)",
                line=after.line,
            )
