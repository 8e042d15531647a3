"""Every request has an id: echoed, logged as a JSON line, and stored beside the events it recorded (outside the hash)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.requestlog import JsonLines
from application.service import LedgerApplication
from tests.factories import signing, terms

ACCOUNT = "acct-reqid"
TERMS = json.loads(json.dumps(terms(), default=str))


@pytest.fixture
def client(app: LedgerApplication) -> tuple[FlaskClient, dict[str, str]]:
    app.create_account("Request Ids Ltd", ACCOUNT)
    headers = {"Authorization": f"Bearer {app.create_api_key(ACCOUNT)}"}
    return create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False).test_client(), headers


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("ledger.requests")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_a_sane_request_id_is_echoed_and_a_missing_or_unsafe_one_is_replaced(
    client: tuple[FlaskClient, dict[str, str]],
) -> None:
    flask_client, _ = client
    assert (
        flask_client.get("/healthz", headers={"X-Request-Id": "abc-123.x:y_z"}).headers["X-Request-Id"]
        == "abc-123.x:y_z"
    )
    for given in ({}, {"X-Request-Id": "bad id\u00e9"}, {"X-Request-Id": "x" * 129}, {"X-Request-Id": "<script>"}):
        echoed = flask_client.get("/healthz", headers=given).headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), given
    first, second = (flask_client.get("/healthz").headers["X-Request-Id"] for _ in range(2))
    assert first != second


def test_each_request_is_one_json_log_line_with_its_id_route_status_and_account(
    client: tuple[FlaskClient, dict[str, str]], log_lines: io.StringIO
) -> None:
    flask_client, headers = client
    flask_client.get("/v1/contracts/00000000-0000-4000-8000-000000000000", headers={**headers, "X-Request-Id": "r-404"})
    (line,) = [json.loads(text) for text in log_lines.getvalue().splitlines()]
    assert line["request_id"] == "r-404" and line["status"] == 404 and line["account_id"] == ACCOUNT
    assert line["route"] == "/v1/contracts/<uuid:contract_id>" and line["level"] == "info" and line["duration_ms"] >= 0


def test_the_events_a_request_records_carry_its_id_outside_the_hashed_payload(
    app: LedgerApplication, client: tuple[FlaskClient, dict[str, str]]
) -> None:
    flask_client, headers = client
    signed = flask_client.post(
        "/v1/contracts", json=TERMS, headers={**headers, "Idempotency-Key": "s", "X-Request-Id": "req-sign-1"}
    )
    assert signed.status_code == 201
    contract_id = signed.headers["Location"].rsplit("/", 1)[1]
    [stored] = app.recorder.select_events(UUID(contract_id))
    assert app.decode_state(stored)["request_id"] == "req-sign-1"
    record = app.chain_record(stored)
    assert "request_id" not in record.payload and record.computed_hash() == record.hash
    assert app.verify("acct-reqid", contract_id).ok


def test_events_recorded_outside_a_request_have_no_request_id_and_hash_the_same(app: LedgerApplication) -> None:
    result = app.sign_contract(ACCOUNT, signing(terms()), idempotency_key="k")
    [stored] = app.recorder.select_events(UUID(result.contract_id))
    assert "request_id" not in app.decode_state(stored)
    assert app.verify(ACCOUNT, result.contract_id).ok
