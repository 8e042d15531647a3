"""No cliff at the end of the rate tables: provisional claims past verified-through, --strict, ``ledger rates update``.

The rate files under tests/data/ are made for these tests in the sources' export formats (see tests/data/README.md);
the Bank of England one holds a fictitious cut to 3.50 % on 2026-11-05.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from pypdf import PdfReader

from ledger.rates import read_table_texts
from ledger_cli.main import cli
from tests.integration.rates_story import ACCOUNT, at, uk_store

DATA = Path(__file__).resolve().parents[1] / "data"
BOE_SAMPLE = DATA / "boe_iudbedr_sample.csv"
ECB_SAMPLE = DATA / "ecb_mro_sample.csv"
TODAY = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
NOTE = "provisional: rate verified through 2026-06-30"


def run(args: list[str], env: dict[str, str]) -> Result:
    with at(TODAY):
        return CliRunner().invoke(cli, args, env=env)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def bundle_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def claim_json(env: dict[str, str], contract_id: str, *extra: str) -> dict[str, Any]:
    result = run(["evidence", "claim", contract_id, "--json", *extra], env)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def update_uk(rates: Path, *extra: str, sample: Path = BOE_SAMPLE) -> Result:
    return run(
        [
            "rates",
            "update",
            "--series",
            "uk_bank_rate",
            "--from-file",
            str(sample),
            "--rates-dir",
            str(rates),
            "--retrieved-at",
            "2027-01-05T08:30:00",
            *extra,
        ],
        {},
    )


def test_a_uk_claim_past_verified_through_is_provisional_everywhere_strict_refuses_and_an_update_makes_it_exact(
    tmp_path: Path,
) -> None:
    url, contract_id = uk_store(tmp_path)
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT}
    # Carried forward: Bank Rate on 2026-06-30 = 3.75, + 8 = 11.75 %; 2027-01-03..05 = 3 days:
    # 100000 * 11.75 / 100 * 3 / 365 = 3,525,000 / 36,500 = 96.57... -> 97 pence; fixed sum GBP 70 (GBP 1,000.00).
    claim = claim_json(env, contract_id)
    assert (claim["as_of"], claim["interest"], claim["compensation"], claim["total"]) == (
        "2027-01-05",
        97,
        7_000,
        107_097,
    )
    assert claim["provisional"] is True and claim["provisional_notes"] == [NOTE]
    assert claim["invoices"][0]["periods"][0]["provisional"] == NOTE

    provisional_zip = tmp_path / "provisional.zip"
    exported = run(["evidence", "export", contract_id, "-o", str(provisional_zip)], env)
    assert exported.exit_code == 0, exported.output
    assert f"PROVISIONAL: {NOTE}" in exported.stdout
    assert "verified through 2026-12-31" in exported.stderr  # the CLI warns: the table is past its exact days
    files = bundle_files(provisional_zip)
    assert json.loads(files["manifest.json"])["claim"]["provisional"] == [NOTE]
    assert NOTE in " ".join(pdf_text(files["bundle.pdf"]).split())
    assert NOTE in " ".join(pdf_text(files["letter-before-action.pdf"]).split())
    assert run(["evidence", "verify", str(provisional_zip)], {}).exit_code == 0

    strict = run(["evidence", "claim", contract_id, "--strict"], env)
    assert strict.exit_code == 1 and "rates_unavailable" in strict.output and "strict" in strict.output
    assert run(["evidence", "claim", contract_id], {**env, "LEDGER_RATES_STRICT": "1"}).exit_code == 1
    strict_zip = tmp_path / "strict.zip"
    assert run(["evidence", "export", contract_id, "--strict", "-o", str(strict_zip)], env).exit_code == 1
    assert not strict_zip.exists()

    rates = tmp_path / "rates"
    updated = update_uk(rates)
    assert updated.exit_code == 0, updated.output
    assert "uk_bank_rate: 1 change(s) added (2026-11-05 3.50%); verified through 2027-01-04" in updated.output
    # Exact: Bank Rate in force on 2026-12-31 = 3.50, + 8 = 11.50 %:
    # 100000 * 11.50 / 100 * 3 / 365 = 3,450,000 / 36,500 = 94.52... -> 95 pence.
    env_updated = {**env, "LEDGER_RATES_DIR": str(rates)}
    exact = claim_json(env_updated, contract_id, "--strict")
    assert (exact["interest"], exact["total"], exact["provisional"]) == (95, 107_095, False)
    assert exact["invoices"][0]["periods"][0]["rate_percent"] == "11.50"

    exact_zip = tmp_path / "exact.zip"
    assert run(["evidence", "export", contract_id, "-o", str(exact_zip)], env_updated).exit_code == 0
    exact_files = bundle_files(exact_zip)
    assert "provisional" not in json.loads(exact_files["manifest.json"])["claim"]
    assert "rovisional" not in pdf_text(exact_files["bundle.pdf"]) + pdf_text(exact_files["letter-before-action.pdf"])
    # The verifier checks the rates in either bundle: both verify against the updated tables (the older tables are
    # a line-for-line prefix of them); the packaged verifier refuses the exact bundle, naming why.
    assert run(["evidence", "verify", str(exact_zip), "--rates-dir", str(rates)], {}).exit_code == 0
    assert run(["evidence", "verify", str(provisional_zip), "--rates-dir", str(rates)], {}).exit_code == 0
    refused = run(["evidence", "verify", str(exact_zip)], {})
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "FAILED: rates/verified_through.csv: uk_bank_rate is verified through 2027-01-04 "
        "in the bundle, but only through 2026-06-30 in the verifier's tables (packaged)"
    )


def test_an_update_keeps_every_held_row_and_derives_the_half_years_from_the_change_list(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    assert update_uk(rates).exit_code == 0
    packaged = read_table_texts()
    for name in ("uk_bank_rate_changes.csv", "uk_late_payment_reference.csv", "ecb_mro_changes.csv"):
        assert (rates / name).read_text().startswith(packaged[name])
    added = (rates / "uk_bank_rate_changes.csv").read_text().removeprefix(packaged["uk_bank_rate_changes.csv"])
    assert added.startswith("2026-11-05,3.50,https://www.bankofengland.co.uk/boeapps/database/")
    assert "via file boe_iudbedr_sample.csv (retrieved 2027-01-05T08:30:00Z)" in added
    # 2027 H1 takes the Bank Rate in force on 2026-12-31 (3.50); 2027 H2 would need 2027-06-30: not yet known.
    assert (rates / "uk_late_payment_reference.csv").read_text().endswith("2027-01-01,2027-06-30,3.50,11.50\n")
    series = (rates / "verified_through.csv").read_text().splitlines()
    assert series[1].startswith("uk_bank_rate,uk_bank_rate_changes.csv,2027-01-04,https://www.bankofengland.co.uk")
    assert series[1].endswith(",2027-01-05T08:30:00Z")
    assert series[2].startswith("ecb_mro,ecb_mro_changes.csv,2026-07-01,")


def test_an_ecb_update_makes_the_2027_first_half_exact_at_the_rate_in_force_on_1_january(tmp_path: Path) -> None:
    rates = tmp_path / "rates"
    result = run(
        [
            "rates",
            "update",
            "--series",
            "ecb_mro",
            "--from-file",
            str(ECB_SAMPLE),
            "--rates-dir",
            str(rates),
            "--retrieved-at",
            "2027-01-05T08:30:00",
        ],
        {},
    )
    assert result.exit_code == 0, result.output
    assert "ecb_mro: 0 change(s) added; verified through 2027-01-05" in result.output
    assert (rates / "eu_late_payment_reference.csv").read_text().endswith("2027-01-01,2027-06-30,2.40,10.40\n")
    assert (rates / "ecb_mro_changes.csv").read_text() == read_table_texts()["ecb_mro_changes.csv"]


def test_a_changed_past_rate_row_is_refused_and_named_and_nothing_is_written(tmp_path: Path) -> None:
    revised = tmp_path / "revised.csv"
    revised.write_text(BOE_SAMPLE.read_text().replace(",3.75", ",3.5"))  # 3.50 from 1 June on
    rates = tmp_path / "rates"
    refused = update_uk(rates, sample=revised)
    assert refused.exit_code == 1
    assert (
        "error [rate_revision]: uk_bank_rate: the file changes past rows: uk_bank_rate_changes.csv line 27 "
        "(3.75% from 2025-12-18): the file has 3.50% on 2026-06-01"
    ) in refused.output
    assert not rates.exists()
    rates.mkdir()
    (rates / "keep.txt").write_text("x")
    assert update_uk(rates, sample=revised).exit_code == 1
    assert sorted(p.name for p in rates.iterdir()) == ["keep.txt"]  # state did not change


def test_an_accepted_revision_replaces_the_past_row(tmp_path: Path) -> None:
    revised = tmp_path / "revised.csv"
    revised.write_text(BOE_SAMPLE.read_text().replace(",3.75", ",3.5"))  # 3.50 from 1 June on
    rates = tmp_path / "rates"
    result = update_uk(rates, "--accept-revision", sample=revised)
    assert result.exit_code == 0, result.output
    changes = (rates / "uk_bank_rate_changes.csv").read_text()
    assert "\n2026-06-01,3.50," in changes and "\n2026-11-05," not in changes  # 3.50 from June on: no later change
    assert (rates / "uk_late_payment_reference.csv").read_text().splitlines()[-2] == "2026-07-01,2026-12-31,3.50,11.50"


def test_rates_status_shows_the_days_left_and_warns_30_days_ahead(tmp_path: Path) -> None:
    with at(datetime(2026, 12, 3, tzinfo=UTC)):
        result = CliRunner().invoke(cli, ["rates", "status"], env={"LEDGER_RATES_DIR": ""})
    assert result.exit_code == 0, result.output
    assert "uk_late_payment_reference.csv" in result.stdout and " 28" in result.stdout  # 2026-12-03 -> 12-31
    assert "(28 days left): run `ledger rates update` before then" in result.stderr
    with at(datetime(2026, 11, 30, tzinfo=UTC)):
        quiet = CliRunner().invoke(cli, ["rates", "status"], env={"LEDGER_RATES_DIR": ""})
    assert quiet.exit_code == 0 and quiet.stderr == ""  # 31 days ahead: no warning yet


def test_from_file_needs_one_named_series(tmp_path: Path) -> None:
    result = run(["rates", "update", "--from-file", str(BOE_SAMPLE), "--rates-dir", str(tmp_path / "r")], {})
    assert result.exit_code == 1 and "--series" in result.output and not (tmp_path / "r").exists()
