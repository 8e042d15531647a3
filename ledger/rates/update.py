"""Merge a central bank's observations into a rates directory's texts (pure: texts in, texts out).

The change list grows by the changes after the held ``verified_through``; every
held row the new file also covers must agree with it (a changed past row is a
``RateRevision`` naming the row, unless the revision is accepted). Held rows are
kept byte for byte, so a bundle made with the older tables still matches the
newer ones line for line. The half-year reference tables are then computed from
the change lists, never typed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from ledger import dates
from ledger.errors import RateRevision, RateSourceInvalid
from ledger.rates import (
    EU_SERIES,
    SERIES_COLUMNS,
    SERIES_FILE,
    SERIES_OF,
    STATUTORY_MARGIN,
    UK_SERIES,
    probe_day,
    tables_from_texts,
)
from ledger.rates.sources import Observation

CHANGES_HEADER = "effective_date,rate_percent,source"
REFERENCE_HEADER = "period_start,period_end,reference_rate_percent,statutory_rate_percent"


@dataclass(frozen=True)
class Held:
    line: int
    day: str
    percent: Decimal
    text: str  # the row exactly as held


@dataclass(frozen=True)
class Update:
    series: str
    observations: list[Observation]
    source: str  # what new rows cite: the URL (and the file it came through)
    retrieved_at: str  # ISO timestamp
    verified_through: str  # the day the new observations make the series complete to


@dataclass(frozen=True)
class Outcome:
    texts: dict[str, str]
    added: list[str]  # the change rows written
    verified_through: str


def apply_update(texts: dict[str, str], update: Update, *, accept_revision: bool = False) -> Outcome:
    """The directory texts after ``update``; refuses (naming the rows) what disagrees with held past rows."""
    changes_file, reference_file = SERIES_OF[update.series]
    held = held_rows(texts[changes_file])
    current = tables_from_texts(texts)
    held_through = (current.uk if update.series == UK_SERIES else current.eu).verified_through
    if update.observations[0].day > held_through:
        raise RateSourceInvalid(
            f"the file starts on {update.observations[0].day}, after {update.series} is verified "
            f"through {held_through}: changes in between could be missed",
            series=update.series,
        )
    revisions = disagreements(held, update.observations, changes_file, held_through)
    if revisions and not accept_revision:
        raise RateRevision(
            f"{update.series}: the file changes past rows: {'; '.join(revisions)} (pass "
            f"--accept-revision to replace them)",
            series=update.series,
            rows=revisions,
        )
    new_through = max(update.verified_through, held_through)
    rows, added = merged_rows(held, update, held_through, rebuild=bool(revisions))
    out = dict(texts)
    out[changes_file] = "\n".join([CHANGES_HEADER, *rows]) + "\n"
    out[reference_file] = derived_reference(out[changes_file], texts[reference_file], update.series, new_through)
    out[SERIES_FILE] = series_text(texts, update, new_through)
    tables_from_texts(out)  # the result must pass every consistency check the loader makes
    return Outcome(out, added, new_through)


def held_rows(text: str) -> list[Held]:
    lines = text.replace("\r\n", "\n").split("\n")
    found = []
    for number, raw in enumerate(lines[1:], start=2):
        if raw.strip():
            day, percent = next(csv.reader([raw]))[:2]
            found.append(Held(number, day, Decimal(percent), raw))
    return sorted(found, key=lambda h: h.day)


def rate_on(points: list[tuple[str, Decimal]], day: str) -> Decimal | None:
    found = None
    for when, percent in points:
        if when > day:
            break
        found = percent
    return found


def disagreements(held: list[Held], observed: list[Observation], name: str, through: str) -> list[str]:
    """Every held row the file contradicts, named: on each day either side changes, both must give the same rate."""
    ours = [(h.day, h.percent) for h in held]
    theirs = [(o.day, o.percent) for o in observed]
    start, end = max(observed[0].day, held[0].day if held else observed[0].day), min(through, observed[-1].day)
    days = sorted({d for d, _ in ours + theirs if start <= d <= end} | {start})
    found: list[str] = []
    for day in days:
        mine, file = rate_on(ours, day), rate_on(theirs, day)
        if mine is not None and file is not None and mine != file:
            row = [h for h in held if h.day <= day][-1]
            text = f"{name} line {row.line} ({row.percent}% from {row.day}): the file has {file}% on {day}"
            if text not in found:
                found.append(text)
    return found


def merged_rows(held: list[Held], update: Update, through: str, *, rebuild: bool) -> tuple[list[str], list[str]]:
    """Held rows kept as they are, then the file's changes after ``through`` (or, for an accepted revision, after
    the file's first day)."""
    cut = update.observations[0].day if rebuild else dates.add_days(through, 1)
    rows = [h.text for h in held if h.day < cut]
    level = rate_on([(h.day, h.percent) for h in held], dates.add_days(cut, -1))
    kept = {(h.day, h.percent): h.text for h in held}
    added: list[str] = []
    for point in update.observations:
        if point.day < cut or point.percent == level:
            continue
        level = point.percent
        existing = kept.get((point.day, point.percent))
        line = existing or csv_line(
            [point.day, f"{point.percent}", f"{update.source} (retrieved {update.retrieved_at})"]
        )
        rows.append(line)
        if existing is None:
            added.append(line)
    return rows, added


def csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def derived_reference(changes_text: str, old_reference: str, series: str, through: str) -> str:
    """Half-years from the first held one while the rate that fixes them is known: the rate in force on the probe
    day (UK: the day before, SI 2002/1675 art. 4; EU: the first day, Directive 2011/7/EU art. 2(7)), plus 8."""
    points = [(h.day, h.percent) for h in held_rows(changes_text)]
    start = held_rows_start(old_reference)
    lines = [REFERENCE_HEADER]
    while probe_day(start, probe_day_before=series == UK_SERIES) <= through:
        end = f"{start[:4]}-06-30" if start[5:7] == "01" else f"{start[:4]}-12-31"
        reference = rate_on(points, probe_day(start, probe_day_before=series == UK_SERIES))
        if reference is None:
            raise RateSourceInvalid(f"{series}: no rate in force for the half-year from {start}", series=series)
        lines.append(f"{start},{end},{reference:.2f},{reference + STATUTORY_MARGIN:.2f}")
        start = dates.add_days(end, 1)
    return "\n".join(lines) + "\n"


def held_rows_start(reference_text: str) -> str:
    rows = [line.split(",")[0] for line in reference_text.replace("\r\n", "\n").split("\n")[1:] if line.strip()]
    return min(rows) if rows else "2016-01-01"


def series_text(texts: dict[str, str], update: Update, through: str) -> str:
    """verified_through.csv with this series' row replaced (the other series keep theirs, or get one derived)."""
    current = tables_from_texts(texts)
    rows = {}
    for line in csv.DictReader(io.StringIO(texts.get(SERIES_FILE, ""))):
        rows[line["series"]] = [line.get(c) or "" for c in SERIES_COLUMNS]
    for series, table in ((UK_SERIES, current.uk), (EU_SERIES, current.eu)):
        rows.setdefault(series, [series, SERIES_OF[series][0], table.verified_through, "", ""])
    rows[update.series] = [update.series, SERIES_OF[update.series][0], through, update.source, update.retrieved_at]
    return "\n".join([",".join(SERIES_COLUMNS), *(csv_line(rows[s]) for s in (UK_SERIES, EU_SERIES))]) + "\n"
