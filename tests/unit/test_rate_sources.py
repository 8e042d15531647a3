"""The two central banks' CSV exports are parsed strictly: a wrong file, order, value or gap is named and refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import RateSourceInvalid
from ledger.rates.sources import SOURCES, parse_source

DATA = Path(__file__).resolve().parents[1] / "data"
BOE = (DATA / "boe_iudbedr_sample.csv").read_text()
ECB = (DATA / "ecb_mro_sample.csv").read_text()


def boe(text: str) -> list[tuple[str, Decimal]]:
    return [(o.day, o.percent) for o in parse_source(SOURCES["uk_bank_rate"], text, "boe.csv")]


def refused(series: str, text: str) -> str:
    with pytest.raises(RateSourceInvalid) as caught:
        parse_source(SOURCES[series], text, "file.csv")
    assert caught.value.code == "rate_source_invalid"
    return caught.value.message


def test_the_bank_of_england_export_reads_as_one_rate_per_business_day() -> None:
    found = boe(BOE)
    assert found[0] == ("2026-06-01", Decimal("3.75")) and found[-1] == ("2027-01-04", Decimal("3.50"))


def test_the_ecb_export_reads_as_one_rate_per_change_date() -> None:
    found = parse_source(SOURCES["ecb_mro"], ECB, "ecb.csv")
    assert [(o.day, str(o.percent)) for o in found[-2:]] == [("2025-06-11", "2.15"), ("2026-06-17", "2.40")]


def test_a_file_of_another_format_or_series_is_refused() -> None:
    assert "not a Bank of England IUDBEDR CSV export" in refused("uk_bank_rate", "DATE,IUMABEDR\n01 Jun 2026,3.75\n")
    assert "not an ECB data portal csvdata export" in refused("ecb_mro", BOE)
    other = ECB.replace("FM.D.U2.EUR.4F.KR.MRR_FR.LEV,D", "FM.D.U2.EUR.4F.KR.DFR.LEV,D", 1)
    assert refused("ecb_mro", other).startswith("file.csv line 2: series FM.D.U2.EUR.4F.KR.DFR.LEV")


def test_dates_out_of_order_are_refused_naming_the_line() -> None:
    text = BOE.replace("02 Jun 2026,3.75\n", "").replace("01 Jun 2026,3.75\n", "01 Jun 2026,3.75\n29 May 2026,3.75\n")
    assert refused("uk_bank_rate", text).startswith("file.csv line 3: 2026-05-29 does not come after 2026-06-01")


def test_an_implausible_rate_is_refused() -> None:
    assert "375% is not a plausible policy rate" in refused(
        "uk_bank_rate", BOE.replace("02 Jun 2026,3.75", "02 Jun 2026,375")
    )
    assert "'n/a' is not a rate" in refused("uk_bank_rate", BOE.replace("02 Jun 2026,3.75", "02 Jun 2026,n/a"))


def test_a_gap_of_more_than_a_week_in_the_daily_series_is_refused() -> None:
    lines = [line for line in BOE.splitlines() if not line.endswith("Jul 2026,3.75")]
    message = refused("uk_bank_rate", "\n".join(lines) + "\n")
    assert "no rate between 2026-06-30 and 2026-08-03" in message


def test_an_empty_export_is_refused() -> None:
    assert "no observations" in refused("uk_bank_rate", "DATE,IUDBEDR\n")
