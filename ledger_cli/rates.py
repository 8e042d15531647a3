"""``ledger rates update`` and ``ledger rates status``: the reference-rate tables an operator keeps current.

The only network access of the whole service is here, when an operator runs
``ledger rates update`` without ``--from-file``; the service itself never
fetches a rate.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import click

from ledger import clock
from ledger.errors import LedgerError, RateSourceInvalid
from ledger.rates import SERIES_FILE, TABLE_FILES, load_rate_tables, read_table_texts
from ledger.rates.sources import SOURCE_BYTES_MAX, SOURCES, SeriesSource, parse_source
from ledger.rates.status import rate_warnings, table_status
from ledger.rates.update import Update, apply_update
from ledger_cli.context import fail
from ledger_cli.render import table

RATES_ENV = "LEDGER_RATES_DIR"
STRICT_ENV = "LEDGER_RATES_STRICT"
DOWNLOAD_TIMEOUT_SECONDS = 30
SERIES_CHOICES = ("uk_bank_rate", "ecb_mro")


@click.group()
def rates() -> None:
    """Reference-rate tables for statutory interest: update them from the central banks, see how long they last."""


def warn_about_rates(rates_dir: str | None) -> None:
    """On stderr, 30 days before (and after) a table stops being exact; never stops the command."""
    try:
        tables = load_rate_tables(rates_dir)
    except LedgerError:
        return  # the command itself reports unusable tables
    for warning in rate_warnings(tables, clock.now().date().isoformat()):
        click.echo(f"warning: {warning}", err=True)


@rates.command("status")
@click.option(
    "--rates-dir",
    envvar=RATES_ENV,
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Rates directory (default: $LEDGER_RATES_DIR, else the packaged tables).",
)
def status_command(rates_dir: Path | None) -> None:
    """Each table's verified-through date and the days left until claims become provisional."""
    try:
        tables = load_rate_tables(rates_dir)
    except LedgerError as error:
        fail(error)
    rows = [
        [s.name, s.series_verified_through, s.exact_through, str(s.days_left)]
        for s in table_status(tables, clock.now().date().isoformat())
    ]
    click.echo(table(["table", "series verified through", "exact through", "days left"], rows, right={3}))
    warn_about_rates(str(rates_dir) if rates_dir else None)


@rates.command("update")
@click.option(
    "--rates-dir",
    envvar=RATES_ENV,
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write (default: $LEDGER_RATES_DIR); starts from its tables, else the packaged ones.",
)
@click.option(
    "--series",
    type=click.Choice([*SERIES_CHOICES, "all"]),
    default="all",
    show_default=True,
    help="Which series to update.",
)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use a file saved from the source's CSV export instead of downloading (needs one --series).",
)
@click.option(
    "--retrieved-at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="When the file was downloaded, UTC (default: now; with --from-file, the file's modification time).",
)
@click.option("--accept-revision", is_flag=True, help="Replace held past rows the source now gives differently.")
def update_command(
    rates_dir: Path, series: str, from_file: Path | None, retrieved_at: datetime | None, accept_revision: bool
) -> None:
    """Download (or read) the official series, check them against the held rows, write the rates directory."""
    if from_file is not None and series == "all":
        fail("--from-file holds one series: name it with --series uk_bank_rate or --series ecb_mro")
    chosen = SERIES_CHOICES if series == "all" else (series,)
    try:
        texts = read_table_texts(rates_dir if (rates_dir / TABLE_FILES[0]).is_file() else None)
        reports = []
        for name in chosen:
            update = read_update(SOURCES[name], from_file, retrieved_at)
            outcome = apply_update(texts, update, accept_revision=accept_revision)
            texts = outcome.texts
            added = ", ".join(line.split(",")[0] + " " + line.split(",")[1] + "%" for line in outcome.added)
            reports.append(
                f"{name}: {len(outcome.added)} change(s) added{' (' + added + ')' if added else ''}; "
                f"verified through {outcome.verified_through}"
            )
    except LedgerError as error:
        fail(error)
    write_directory(rates_dir, texts)
    for line in reports:
        click.echo(line)
    click.echo(f"wrote {rates_dir}")


def read_update(source: SeriesSource, from_file: Path | None, retrieved_at: datetime | None) -> Update:
    if from_file is not None:
        text = read_bounded(from_file)
        moment = retrieved_at or datetime.fromtimestamp(from_file.stat().st_mtime, UTC)
        origin = f"{source.url} via file {from_file.name}"
    else:
        text, moment, origin = download(source.url), retrieved_at or clock.now(), source.url
    found = parse_source(source, text, from_file.name if from_file else source.url)
    stamp = moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    # A daily series is complete to its last business day; a list of change dates to the day it was retrieved.
    today = moment.date().isoformat()
    through = min(found[-1].day, today) if source.daily else max(today, found[-1].day)
    return Update(source.series, found, origin, stamp, through)


def read_bounded(path: Path) -> str:
    if path.stat().st_size > SOURCE_BYTES_MAX:
        raise RateSourceInvalid(f"{path.name} is larger than {SOURCE_BYTES_MAX} bytes: not a rate series export")
    return path.read_text(encoding="utf-8-sig")


def download(url: str) -> str:
    if not url.startswith("https://"):  # never file:// or another scheme urllib would also open
        raise RateSourceInvalid(f"{url} is not an https:// address")
    request = urllib.request.Request(url, headers={"User-Agent": "paid-ledger rates update", "Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:  # https only  # nosec B310
            data = response.read(SOURCE_BYTES_MAX + 1)
    except (urllib.error.URLError, OSError) as error:
        raise RateSourceInvalid(
            f"could not download {url} ({error}); on a machine without network, save the CSV "
            f"export elsewhere and pass it with --from-file"
        ) from error
    if len(data) > SOURCE_BYTES_MAX:
        raise RateSourceInvalid(f"{url} answered more than {SOURCE_BYTES_MAX} bytes")
    return data.decode("utf-8-sig")


def write_directory(directory: Path, texts: dict[str, str]) -> None:
    """Each file replaced whole (written beside it, then renamed), so a reader never sees half a table."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in (*TABLE_FILES, SERIES_FILE):
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(texts[name])
        os.replace(temporary, directory / name)
