"""The HTTP service past the rate tables' verified-through date: ready with a warning, a days-left gauge, provisional
claims, and LEDGER_RATES_STRICT refusing them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from api import create_app
from tests.integration.rates_story import ACCOUNT, at, uk_store


def client_for(tmp_path: Path, **settings: Any) -> tuple[FlaskClient, str, dict[str, str]]:
    url, contract_id = uk_store(tmp_path)
    app = create_app(DATABASE_URL=url, RUN_PROJECTIONS=False, **settings)
    key = app.extensions["ledger"].create_api_key(ACCOUNT)
    return app.test_client(), contract_id, {"Authorization": f"Bearer {key}"}


def test_readyz_stays_ready_with_a_warning_and_metrics_count_the_days_left(tmp_path: Path) -> None:
    client, _, _ = client_for(tmp_path)
    with at(datetime(2027, 1, 5, tzinfo=UTC)):
        ready = client.get("/readyz")
        metrics = client.get("/metrics").get_data(as_text=True)
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert any(
        "uk_late_payment_reference.csv is verified through 2026-12-31" in w and "provisional" in w
        for w in ready.get_json()["warnings"]
    )
    # 2027-01-05 is 5 days past 2026-12-31
    assert 'ledger_rates_verified_days_remaining{table="uk_late_payment_reference.csv"} -5.0' in metrics
    assert 'ledger_rates_verified_days_remaining{table="eu_late_payment_reference.csv"} -5.0' in metrics
    with at(datetime(2026, 10, 1, tzinfo=UTC)):
        early = client.get("/readyz")
    assert early.get_json() == {"status": "ready", "warnings": []}


def test_the_claim_is_provisional_past_verified_through_and_strict_settings_refuse_it(tmp_path: Path) -> None:
    client, contract_id, auth = client_for(tmp_path)
    claim = client.get(f"/v1/contracts/{contract_id}/claim?as_of=2027-01-05", headers=auth)
    body = claim.get_json()
    assert claim.status_code == 200 and body["provisional"] is True
    assert body["provisional_notes"] == ["provisional: rate verified through 2026-06-30"]
    assert body["interest"] == 97  # 100000 * 11.75 / 100 * 3 / 365 = 96.57... -> 97

    strict, contract_id, auth = client_for(tmp_path / "strict", RATES_STRICT=True)
    refused = strict.get(f"/v1/contracts/{contract_id}/claim?as_of=2027-01-05", headers=auth)
    assert refused.status_code == 422 and refused.get_json()["code"] == "rates_unavailable"
    bundle = strict.get(f"/v1/contracts/{contract_id}/evidence?as_of=2027-01-05", headers=auth)
    assert bundle.status_code == 422
    exact = strict.get(f"/v1/contracts/{contract_id}/claim?as_of=2026-12-31", headers=auth)
    assert exact.status_code == 200 and exact.get_json()["provisional"] is False
