"""``ledger evidence export`` / ``verify`` as a person runs them, and LEDGER_RATES_DIR."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.errors import RatesUnavailable
from ledger.rates import TABLE_FILES, load_rate_tables, read_table_texts
from ledger_cli.main import cli
from ledger_cli.story import run_story

ACCOUNT = "acct-cli"


def story_store(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path}/ledger.db"
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    try:
        return url, str(run_story(app, ACCOUNT))
    finally:
        app.close()


def test_export_then_verify_prints_ok_with_the_fingerprint(tmp_path: Path) -> None:
    url, contract_id = story_store(tmp_path)
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT}
    target = tmp_path / "bundle.zip"
    exported = CliRunner().invoke(cli, ["evidence", "export", contract_id, "--as-of", "2026-08-10", "-o", str(target)],
                                  env=env)
    assert exported.exit_code == 0, exported.output
    assert "GBP 4,118.93" in exported.output  # 4,000.00 + 48.93 (38 days at 11.75 %: 400000 * 0.1175 * 38 / 365 = 4893.15) + 70.00
    verified = CliRunner().invoke(cli, ["evidence", "verify", str(target)], env={})
    assert verified.exit_code == 0 and verified.output.startswith("OK  fingerprint ")


def test_verify_exits_1_and_names_the_altered_file(tmp_path: Path) -> None:
    url, contract_id = story_store(tmp_path)
    target = tmp_path / "bundle.zip"
    CliRunner().invoke(cli, ["evidence", "export", contract_id, "-o", str(target)],
                       env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT})
    with zipfile.ZipFile(target) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["chronology.csv"] = files["chronology.csv"].replace(b"ReminderSent", b"ReminderSenT", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    verified = CliRunner().invoke(cli, ["evidence", "verify", str(target)])
    assert verified.exit_code == 1
    assert verified.output.startswith("FAILED: chronology.csv: SHA-256 does not match the manifest")


def test_export_of_an_unknown_contract_fails_and_writes_no_file(tmp_path: Path) -> None:
    url, _ = story_store(tmp_path)
    target = tmp_path / "none.zip"
    result = CliRunner().invoke(cli, ["evidence", "export", "00000000-0000-0000-0000-000000000001", "-o", str(target)],
                                env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT})
    assert result.exit_code == 1 and "contract_not_found" in result.output
    assert not target.exists()


def test_an_operator_rates_directory_replaces_the_packaged_tables_and_travels_in_the_bundle(tmp_path: Path) -> None:
    url, contract_id = story_store(tmp_path)
    rates = tmp_path / "rates"
    rates.mkdir()
    for name, text in read_table_texts().items():
        (rates / name).write_text(text)
    uk = rates / "uk_late_payment_reference.csv"
    uk.write_text(uk.read_text().replace("2026-07-01,2026-12-31,3.75,11.75", "2026-07-01,2026-12-31,4.00,12.00"))
    with (rates / "uk_bank_rate_changes.csv").open("a") as changes:  # the reference must be the Bank Rate then
        changes.write("2026-06-18,4.00,operator\n")
    target = tmp_path / "bundle.zip"
    result = CliRunner().invoke(cli, ["evidence", "export", contract_id, "--as-of", "2026-08-10", "-o", str(target)],
                                env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT, "LEDGER_RATES_DIR": str(rates)})
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        claim = json.loads(archive.read("manifest.json"))["claim"]
        assert archive.read("rates/uk_late_payment_reference.csv") == uk.read_bytes()
    # 38 days (07-04..08-10) on 4,000.00 at 12.00 %: 400000 * 0.12 * 38 / 365 = 4997.26 -> 4997
    assert claim["interest"] == 4997
    assert CliRunner().invoke(cli, ["evidence", "verify", str(target), "--rates-dir", str(rates)]).exit_code == 0
    against_packaged = CliRunner().invoke(cli, ["evidence", "verify", str(target)])
    assert against_packaged.exit_code == 1
    assert against_packaged.output.startswith("FAILED: rates/uk_late_payment_reference.csv: line 23 differs from the "
                                              "verifier's table (packaged)")


def test_a_rates_directory_missing_a_table_is_a_clear_error(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    rates.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "ledger" / "rates" / TABLE_FILES[0], rates / TABLE_FILES[0])
    with pytest.raises(RatesUnavailable) as caught:
        load_rate_tables(rates)
    assert caught.value.code == "rates_unavailable" and TABLE_FILES[1] in caught.value.message


def test_claim_prints_the_working_and_the_total(tmp_path: Path) -> None:
    url, contract_id = story_store(tmp_path)
    result = CliRunner().invoke(cli, ["evidence", "claim", contract_id, "--as-of", "2026-08-10"],
                                env={"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT})
    assert result.exit_code == 0, result.output
    # 38 days (2026-07-04..08-10) at 11.75 % on 4,000.00 = 4893.1507 pence; + GBP 70 fixed sum
    assert "2026-07-04  2026-08-10    38" in result.output and "4893.1507" in result.output
    assert result.output.rstrip().endswith("total claimed              GBP 4,118.93")
