"""``ledger demo`` ends with the aging report and the reminders from the read models."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger_cli.main import cli


def test_the_demo_prints_the_aging_report_and_the_next_reminder_from_the_read_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    aging = result.output.split("Aging as of 2026-08-10")[1]
    assert "INV-000003  2026-07-03         38  31-60   GBP 4,000.00" in aging
    assert "Reminders due as of 2026-08-10\n(no reminders due)" in aging
    assert "Next due, on 2026-08-17" in aging and "ready to file  court" in aging
