"""The edges are as strict as the document says: YYYY-MM-DD only, positive amounts, no duplicate JSON keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from tests.factories import terms

ACCOUNT = "acct-edges"


@pytest.fixture
def client(app: LedgerApplication) -> tuple[FlaskClient, dict[str, str], str]:
    app.create_account("Edges Ltd", ACCOUNT)
    headers = {"Authorization": f"Bearer {app.create_api_key(ACCOUNT)}"}
    flask_client = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False).test_client()
    signed = flask_client.post(
        "/v1/contracts",
        headers={**headers, "Idempotency-Key": "sign"},
        json=json.loads(json.dumps(terms(), default=str)),
    )
    assert signed.status_code == 201, signed.get_json()
    return flask_client, headers, signed.headers["Location"]


def post(client: FlaskClient, path: str, headers: dict[str, str], body: Any, key: str) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, headers={**headers, "Idempotency-Key": key}, data=data, content_type="application/json")


@pytest.mark.parametrize("written", ["20260105", "2026-1-5", "2026-01-05T00:00:00", " 2026-01-05", "2026-W02-1"])
def test_a_date_not_written_yyyy_mm_dd_is_refused_and_nothing_is_recorded(
    app: LedgerApplication, client: tuple[FlaskClient, dict[str, str], str], written: str
) -> None:
    flask_client, headers, contract = client
    before = app.recorder.max_notification_id()
    answer = post(
        flask_client,
        f"{contract}/invoices",
        headers,
        {"occurred_on": written, "milestone_keys": ["advance"]},
        f"d-{written}",
    )
    assert answer.status_code == 422 and "occurred_on" in answer.get_json()["errors"]
    assert app.recorder.max_notification_id() == before
    assert flask_client.get(contract, query_string={"as_of": written}, headers=headers).status_code == 422


def test_a_well_written_date_is_taken(client: tuple[FlaskClient, dict[str, str], str]) -> None:
    flask_client, headers, contract = client
    answer = post(
        flask_client,
        f"{contract}/invoices",
        headers,
        {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]},
        "ok",
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        '{"occurred_on": "2026-01-05", "occurred_on": "2026-02-01", "milestone_keys": ["advance"]}',
        '{"occurred_on": "2026-01-05", "milestone_keys": ["advance"], "note": {"a": 1, "a": 2}}',
    ],
)
def test_a_body_naming_a_key_twice_is_400_and_nothing_is_recorded(
    app: LedgerApplication, client: tuple[FlaskClient, dict[str, str], str], body: str
) -> None:
    flask_client, headers, contract = client
    before = app.recorder.max_notification_id()
    answer = post(flask_client, f"{contract}/invoices", headers, body, "dup")
    assert (answer.status_code, answer.mimetype) == (400, "application/problem+json")
    assert answer.get_json()["code"] == "duplicate_json_key"
    assert app.recorder.max_notification_id() == before


@pytest.mark.parametrize("amount", [{}, {"amount": 0, "currency": "EUR"}, {"amount": 5}, {"currency": "EUR"}])
def test_money_in_a_command_needs_both_fields_and_at_least_one_minor_unit(
    app: LedgerApplication, client: tuple[FlaskClient, dict[str, str], str], amount: dict[str, Any]
) -> None:
    flask_client, headers, contract = client
    before = app.recorder.max_notification_id()
    body = {"occurred_on": "2026-01-06", "payment_id": "p1", "amount": amount}
    answer = post(flask_client, f"{contract}/payments", headers, body, f"m-{json.dumps(amount)}")
    assert answer.status_code == 422 and "amount" in answer.get_json()["errors"]
    assert app.recorder.max_notification_id() == before


def test_the_document_states_the_constraints_the_validators_enforce(
    client: tuple[FlaskClient, dict[str, str], str],
) -> None:
    spec = client[0].get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    positive = schemas["PositiveMoney"]
    assert positive["required"] == ["amount", "currency"] and positive["additionalProperties"] is False
    assert positive["properties"]["amount"]["minimum"] == 1
    payment = schemas["RecordPaymentBody"] if "RecordPaymentBody" in schemas else schemas["RecordPayment"]
    assert payment["properties"]["amount"]["$ref"].endswith("/PositiveMoney")
    occurred_on = payment["properties"]["occurred_on"]
    assert (
        occurred_on["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        and "1970-01-01 and 2999-12-31" in occurred_on["description"]
    )
    listing = spec["paths"]["/v1/contracts"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in listing}
    assert by_name["as_of"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert by_name["cursor"]["pattern"] and by_name["min_position"]["pattern"] == "^[A-Za-z0-9_-]{22}$"
