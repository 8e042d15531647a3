"""Rate tables refuse rows that contradict the law or their own change lists, and flag unverified rates."""

from __future__ import annotations

import pytest

from ledger.errors import RatesUnavailable
from ledger.rates import EU_CHANGES, EU_REFERENCE, UK_CHANGES, UK_REFERENCE, read_table_texts, tables_from_texts

TEXTS = read_table_texts()


def edited(name: str, old: str, new: str) -> dict[str, str]:
    assert old in TEXTS[name]
    return {**TEXTS, name: TEXTS[name].replace(old, new)}


def line_of(name: str, row: str) -> int:
    return TEXTS[name].split("\n").index(row) + 1


def test_the_packaged_tables_pass_every_consistency_check() -> None:
    tables = tables_from_texts(TEXTS)
    assert tables.uk.row_for("2026-07-01").statutory_percent == tables.uk.row_for("2026-07-01").reference_percent + 8


def test_a_uk_statutory_rate_other_than_reference_plus_8_is_refused_naming_the_line() -> None:
    row = "2026-07-01,2026-12-31,3.75,11.75"
    with pytest.raises(RatesUnavailable) as caught:
        tables_from_texts(edited(UK_REFERENCE, row, "2026-07-01,2026-12-31,3.75,31.75"))
    assert caught.value.message.startswith(f"{UK_REFERENCE} line {line_of(UK_REFERENCE, row)}: statutory rate 31.75")


def test_an_eu_statutory_rate_below_reference_plus_8_is_refused_but_a_higher_one_is_allowed() -> None:
    row = "2026-07-01,2026-12-31,2.40,10.40"
    with pytest.raises(RatesUnavailable) as caught:
        tables_from_texts(edited(EU_REFERENCE, row, "2026-07-01,2026-12-31,2.40,10.00"))
    assert caught.value.message.startswith(f"{EU_REFERENCE} line {line_of(EU_REFERENCE, row)}: statutory rate 10.00")
    higher = tables_from_texts(edited(EU_REFERENCE, row, "2026-07-01,2026-12-31,2.40,11.40"))  # a state may add more
    assert str(higher.eu.row_for("2026-08-01").statutory_percent) == "11.40"


@pytest.mark.parametrize(("name", "old", "new"), [
    (UK_REFERENCE, "2026-07-01,2026-12-31,3.75,11.75", "2026-07-01,2026-12-31,4.75,12.75"),
    (UK_CHANGES, "2025-12-18,3.75,", "2025-12-18,3.50,"),
    (EU_REFERENCE, "2026-07-01,2026-12-31,2.40,10.40", "2026-07-01,2026-12-31,2.90,10.90"),
    (EU_CHANGES, "2026-06-17,2.40,", "2026-06-17,2.65,"),
])
def test_a_reference_rate_that_is_not_the_change_list_rate_on_the_probe_day_is_refused(
    name: str, old: str, new: str,
) -> None:
    with pytest.raises(RatesUnavailable) as caught:
        tables_from_texts(edited(name, old, new))
    assert "is not the rate in force on" in caught.value.message


def test_an_unverified_change_row_is_cited_as_unverified() -> None:
    tables = tables_from_texts(TEXTS)
    source = tables.eu.row_for("2026-07-01").source
    assert source.endswith(f"2026-07-01: {EU_CHANGES} line 22: 2.40% from 2026-06-17 [UNVERIFIED])")
    assert "[UNVERIFIED]" not in tables.uk.row_for("2026-07-01").source
