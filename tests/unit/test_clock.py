"""The clock: one place reads the system time, so a fixed clock reproduces every timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from ledger import clock

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "application", "infrastructure", "projections", "evidence", "api", "consumers", "ledger_cli", "schemas")
SYSTEM_TIME = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time)\(")


def test_only_the_clock_module_reads_the_system_time() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SYSTEM_TIME.search(line) and path != ROOT / "ledger" / "clock.py"
    ]
    assert readers == []


def test_a_fixed_clock_is_what_now_returns_inside_it_and_only_there() -> None:
    fixed = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    with clock.fixed_clock(lambda: fixed):
        assert clock.now() == fixed
    assert clock.now() != fixed
