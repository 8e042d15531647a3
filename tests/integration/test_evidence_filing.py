"""The ready-to-file claim over HTTP and the CLI, with figures worked by hand, and its place in the bundle."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from evidence.export import export_bundle
from infrastructure.store import StoreConfig
from ledger_cli.main import cli
from tests.integration.evidence_story import AS_OF, run_dispute_story

ACCOUNT = "acct-filing"
# As in test_evidence_bundle: GBP 3,000.00 unpaid on INV-000003, interest 59.88 at 11.75 %, compensation 70.00.
PRINCIPAL, INTEREST, COMPENSATION = 300_000, 5_988, 7_000
DAILY = int((Decimal(300_000) * Decimal("11.75") / 100 / 365).quantize(Decimal(1), rounding=ROUND_HALF_UP))
FEE = 20_500  # claim with interest GBP 3,129.88: band GBP 3,000.01 to 5,000 of the fee table, GBP 205


def client_for(app: LedgerApplication) -> tuple[FlaskClient, dict[str, str]]:
    flask_app = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app)
    app.create_account("Ada Byte Studio Ltd", ACCOUNT)
    return flask_app.test_client(), {"Authorization": f"Bearer {app.create_api_key(ACCOUNT)}"}


def test_the_filing_states_parties_amount_interest_fee_and_particulars_worked_by_hand(app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    client, auth = client_for(app)
    answer = client.get(f"/v1/contracts/{contract_id}/filing?as_of={AS_OF}", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    filing = answer.get_json()
    assert DAILY == 97  # 300000 * 0.1175 / 365 = 96.58 pence a day
    assert (filing["principal"], filing["compensation"], filing["amount"]) == (PRINCIPAL, COMPENSATION, 307_000)
    interest = filing["interest"]
    assert (
        interest["amount"],
        interest["daily_amount"],
        interest["annual_rates_percent"],
        interest["from"],
        interest["to"],
    ) == (INTEREST, DAILY, ["11.75"], "2026-07-04", "2026-08-20")
    assert interest["regime"] == "uk_statutory" and "Late Payment of Commercial Debts" in interest["basis"]
    fee = filing["court_fee"]
    assert (fee["amount"], fee["claim_amount"], fee["online"]) == (FEE, 312_988, True)
    assert filing["total"] == 312_988 + FEE
    particulars = filing["particulars"]
    assert filing["particulars_characters"] == len(particulars) <= 1080 and not filing["full_statement_in_bundle"]
    for needle in (
        "GBP 3,129.88",
        "GBP 59.88 to 2026-08-20",
        "GBP 0.97 a day",
        "11.75%",
        "written contract",
        "Late Payment of Commercial Debts (Interest) Act 1998",
        "INV-000003",
    ):
        assert needle in particulars, needle
    assert filing["claimant"]["name"] and filing["defendant"]["kind"] == "business"


def test_another_accounts_contract_is_not_found_and_a_bad_date_is_refused(app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    client, auth = client_for(app)
    app.create_account("Someone Else Ltd", "someone-else")
    other = {"Authorization": f"Bearer {app.create_api_key('someone-else')}"}
    assert client.get(f"/v1/contracts/{contract_id}/filing?as_of={AS_OF}", headers=other).status_code == 404
    assert client.get(f"/v1/contracts/{contract_id}/filing?as_of=20-08-2026", headers=auth).status_code == 422


def test_the_filing_route_is_in_the_openapi_document(app: LedgerApplication) -> None:
    client, _ = client_for(app)
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/v1/contracts/{contract_id}/filing"]["get"]
    assert {"200", "404"} <= set(operation["responses"])
    assert "particulars" in spec["components"]["schemas"]["FilingOut"]["properties"]


def test_the_cli_prints_the_filing_and_the_bundle_holds_the_same_particulars(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    try:
        contract_id, _ = run_dispute_story(app, ACCOUNT)
        bundle = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=datetime(2026, 8, 20, tzinfo=UTC))
    finally:
        app.close()
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_ACCOUNT": ACCOUNT}
    text = CliRunner().invoke(cli, ["evidence", "filing", str(contract_id), "--as-of", str(AS_OF)], env=env)
    assert text.exit_code == 0, text.output
    for needle in ("Court fee:  GBP 205.00", "Total:      GBP 3,334.88", "then GBP 0.97 a day", "Particulars of claim"):
        assert needle in text.output, needle
    as_json = CliRunner().invoke(
        cli, ["evidence", "filing", str(contract_id), "--as-of", str(AS_OF), "--json"], env=env
    )
    particulars = json.loads(as_json.output)["particulars"]
    stored = zipfile.ZipFile(io.BytesIO(bundle.data)).read("particulars-of-claim.txt").decode()
    assert stored.startswith(
        f"Particulars of claim as of {AS_OF} ({len(particulars)} of 1080 characters):\n\n"
        f"{particulars}\n\nFull statement of claim:\n\n"
    )
    assert "particulars-of-claim.txt" in bundle.manifest["files"]


def test_an_unknown_contract_is_a_clear_cli_error() -> None:
    result = CliRunner().invoke(
        cli,
        ["evidence", "filing", "00000000-0000-0000-0000-000000000000"],
        env={"LEDGER_DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.exit_code != 0
