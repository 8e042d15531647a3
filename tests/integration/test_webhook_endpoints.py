"""Webhook endpoints and the fan-out over Flask's test client, on SQLite and PostgreSQL (no delivery here)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from ledger.commands import LogCommunication
from projections import webhooks
from projections.db import Database
from projections.feed import FeedIndexer
from tests.factories import signing, terms

ADA, BOB = "acct-hooks-ada", "acct-hooks-bob"
URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def hooks(app: LedgerApplication) -> Iterator[tuple[FlaskClient, dict[str, str], dict[str, str]]]:
    flask_app = create_app(
        DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False, WEBHOOKS_ALLOW_PRIVATE=True
    )
    app.create_account("Ada", ADA)
    app.create_account("Bob", BOB)
    ada = {"Authorization": f"Bearer {app.create_api_key(ADA)}"}
    bob = {"Authorization": f"Bearer {app.create_api_key(BOB)}"}
    yield flask_app.test_client(), ada, bob
    flask_app.extensions["read_models"].close()


def create(client: FlaskClient, auth: dict[str, str], body: dict[str, Any], key: str | None = None) -> Any:
    headers = {**auth, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/v1/webhooks/endpoints", json=body, headers=headers)


def endpoint_ids(client: FlaskClient, auth: dict[str, str]) -> list[str]:
    return [e["id"] for e in client.get("/v1/webhooks/endpoints", headers=auth).get_json()["items"]]


def test_an_endpoint_is_created_with_its_secret_shown_once_and_replayed_by_its_idempotency_key(
    hooks: tuple[FlaskClient, dict[str, str], dict[str, str]],
) -> None:
    client, ada, bob = hooks
    first = create(client, ada, {"url": URL, "event_types": ["PaymentReceived"]}, key="k1")
    assert first.status_code == 201
    body = first.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40 and body["status"] == "enabled"
    assert create(client, ada, {"url": URL, "event_types": ["PaymentReceived"]}, key="k1").get_json() == body
    conflict = create(client, ada, {"url": URL}, key="k1")
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "idempotency_conflict"
    shown = client.get(f"/v1/webhooks/endpoints/{body['id']}", headers=ada).get_json()
    assert "secret" not in shown and shown["event_types"] == ["PaymentReceived"]
    assert endpoint_ids(client, ada) == [body["id"]] and endpoint_ids(client, bob) == []
    assert client.get(f"/v1/webhooks/endpoints/{body['id']}", headers=bob).status_code == 404
    assert client.delete(f"/v1/webhooks/endpoints/{body['id']}", headers=bob).status_code == 404
    assert endpoint_ids(client, ada) == [body["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": URL, "event_types": ["Nope"]}, "event_types"),
        ({}, "url"),
        ({"url": URL, "colour": "red"}, "colour"),
    ],
)
def test_bad_endpoints_are_refused_and_nothing_is_created(
    hooks: tuple[FlaskClient, dict[str, str], dict[str, str]], body: dict[str, Any], field: str
) -> None:
    client, ada, _ = hooks
    answer = create(client, ada, body)
    assert answer.status_code == 422 and field in answer.get_json()["errors"]
    assert endpoint_ids(client, ada) == []


def test_a_private_address_is_refused_when_the_setting_does_not_allow_it(app: LedgerApplication) -> None:
    flask_app = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False)
    app.create_account("Ada", ADA)
    auth = {"Authorization": f"Bearer {app.create_api_key(ADA)}"}
    client = flask_app.test_client()
    for url in (URL, "http://10.0.0.8/hook", "http://[::1]/hook", "http://169.254.169.254/latest/meta-data"):
        answer = create(client, auth, {"url": url})
        assert answer.status_code == 422 and answer.get_json()["code"] == "webhook_url_refused", url
    assert endpoint_ids(client, auth) == []
    flask_app.extensions["read_models"].close()


def test_an_account_has_at_most_twenty_endpoints(hooks: tuple[FlaskClient, dict[str, str], dict[str, str]]) -> None:
    client, ada, _ = hooks
    for n in range(20):
        assert create(client, ada, {"url": f"{URL}/{n}"}).status_code == 201
    refused = create(client, ada, {"url": f"{URL}/21"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "webhook_endpoint_limit"
    assert len(endpoint_ids(client, ada)) == 20


def test_the_fan_out_gives_each_endpoint_only_its_accounts_wanted_events_recorded_after_it_was_created(
    app: LedgerApplication, hooks: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, bob = hooks
    before = uuid.uuid4()
    app.sign_contract(
        ADA, signing(terms()), idempotency_key="before", contract_id=before
    )  # recorded before any endpoint: not sent
    every = create(client, ada, {"url": URL}).get_json()
    signed_only = create(client, ada, {"url": URL, "event_types": ["ContractSigned"]}).get_json()
    bobs = create(client, bob, {"url": URL}).get_json()
    ada_contract, bob_contract = uuid.uuid4(), uuid.uuid4()
    app.sign_contract(ADA, signing(terms()), idempotency_key="ada", contract_id=ada_contract)
    app.sign_contract(BOB, signing(terms()), idempotency_key="bob", contract_id=bob_contract)
    app.execute(
        ADA,
        ada_contract,
        LogCommunication(occurred_on=terms()["occurred_on"], direction="inbound", channel="phone", summary="call"),
        idempotency_key="ada-note",
    )
    db = Database(app.store)
    FeedIndexer(app, db).catch_up()
    while webhooks.fan_out(db, uuid.uuid4, time.time()):
        pass
    assert webhooks.fan_out(db, uuid.uuid4, time.time()) == 0  # each feed row is fanned out once
    log = client.get("/v1/webhooks/deliveries", headers=ada).get_json()["items"]
    sent = {(d["endpoint_id"], d["contract_id"], d["version"]) for d in log}
    assert sent == {
        (every["id"], str(ada_contract), 1),
        (every["id"], str(ada_contract), 2),
        (signed_only["id"], str(ada_contract), 1),
    }
    assert [
        (d["endpoint_id"], d["contract_id"])
        for d in client.get("/v1/webhooks/deliveries", headers=bob).get_json()["items"]
    ] == [(bobs["id"], str(bob_contract))]
    page = client.get("/v1/webhooks/deliveries", query_string={"limit": 2}, headers=ada).get_json()
    rest = client.get("/v1/webhooks/deliveries", query_string={"cursor": page["next_cursor"]}, headers=ada).get_json()
    assert [d["id"] for d in page["items"] + rest["items"]] == [d["id"] for d in log] and rest["next_cursor"] is None
    foreign = client.get("/v1/webhooks/deliveries", query_string={"cursor": page["next_cursor"]}, headers=bob)
    assert foreign.status_code == 422 and foreign.get_json()["code"] == "invalid_cursor"
    db.close()
