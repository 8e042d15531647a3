"""The read-model routes over Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from ledger_cli.story import AS_OF, run_story
from projections.runner import Runner
from tests.factories import as_command, signing, terms
from tests.positions import open_with, seal_with

ACCOUNT, OTHER = "acct-api-rm", "acct-api-rm-other"


STARTED: list[Flask] = []


@pytest.fixture(autouse=True)
def stop_background_runners() -> Iterator[None]:
    yield
    while STARTED:
        thread, stop = STARTED.pop().extensions["projection_runner"]
        stop.set()
        thread.join(10)


def client_for(app: LedgerApplication, *, run_projections: bool) -> tuple[FlaskClient, dict[str, str], dict[str, str]]:
    flask_app = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=run_projections)
    if run_projections:
        STARTED.append(flask_app)
    app.create_account("Ada Byte Studio Ltd", ACCOUNT)
    app.create_account("Someone Else", OTHER)
    auth = {"Authorization": f"Bearer {app.create_api_key(ACCOUNT)}"}
    other = {"Authorization": f"Bearer {app.create_api_key(OTHER)}"}
    return flask_app.test_client(), auth, other


def caught_up(app: LedgerApplication) -> int:
    runner = Runner(app.store, app=app)
    try:
        runner.catch_up()
        return int(runner.status()[0]["position"])
    finally:
        runner.db.close()


def get(client: FlaskClient, path: str, headers: dict[str, str]) -> tuple[int, Any, str | None]:
    answer = client.get(path, headers=headers)
    return answer.status_code, answer.get_json(), answer.headers.get("X-Ledger-Position")


def test_the_story_shows_in_every_read_model_route_with_the_position_it_reflects(app: LedgerApplication) -> None:
    client, auth, _ = client_for(app, run_projections=False)
    contract_id = str(run_story(app, ACCOUNT))
    position = caught_up(app)
    day = AS_OF.isoformat()
    status, body, header = get(client, f"/v1/contracts?as_of={day}", auth)
    assert (status, open_with(app, header)) == (200, position) and header != str(position)
    assert [(c["id"], c["status"], c["overdue"]["amount"]) for c in body["items"]] == [(contract_id, "overdue", 400_000)]
    status, body, _ = get(client, f"/v1/reports/aging?as_of={day}&group_by=contract", auth)
    assert [(i["invoice_number"], i["days_overdue"], i["bucket"]) for i in body["invoices"]] == [("INV-000003", 38, "31-60")]
    assert body["groups"][0]["key"] == contract_id
    status, body, _ = get(client, "/v1/reminders/due?as_of=2026-08-17", auth)
    assert [(r["invoice_number"], r["stage"], r["channel"]) for r in body["items"]] == [("INV-000003", "ready_to_file", "court")]
    status, body, _ = get(client, f"/v1/clients?as_of={day}", auth)
    (only,) = body["items"]
    assert (only["client_key"], only["invoices_paid"], only["arrears"]) == ("co-01234567", 2, [{"amount": 400_000, "currency": "GBP"}])
    # INV-000001 issued 03-02, paid 03-10 (8 days); INV-000002 issued 04-20, paid 05-01 (11 days): (8 + 11) / 2 = 9.5.
    # INV-000003 (GBP 4,000.00, issued 06-19) is unpaid.
    assert (only["average_days_to_pay"], only["invoices_unpaid"], only["unpaid"]) == (
        "9.5", 1, [{"amount": 400_000, "currency": "GBP"}])
    status, body, _ = get(client, "/v1/clients?as_of=2026-04-25", auth)  # INV-000002 issued, not yet paid or due
    assert (body["items"][0]["invoices_unpaid"], body["items"][0]["arrears"]) == (1, [])
    assert body["items"][0]["average_days_to_pay"] == "8.0"
    status, body, _ = get(client, f"/v1/clients/co-01234567?as_of={day}", auth)
    assert (status, body["name"]) == (200, "Northwind Trading Ltd")
    status, body, _ = get(client, f"/v1/licences?as_of={day}&expiring_before=2027-12-31", auth)
    assert [(x["contract_id"], x["status"], x["expires_on"]) for x in body["items"]] == [(contract_id, "valid", "2027-06-15")]


def test_another_account_sees_none_of_it_and_an_unknown_client_is_not_found(app: LedgerApplication) -> None:
    client, _, other = client_for(app, run_projections=False)
    run_story(app, ACCOUNT)
    caught_up(app)
    for path in ("/v1/contracts", "/v1/reminders/due?as_of=2026-08-17", "/v1/clients", "/v1/licences"):
        assert get(client, path, other)[1]["items"] == []
    assert get(client, "/v1/reports/aging?as_of=2026-08-10", other)[1]["invoices"] == []
    status, body, _ = get(client, "/v1/clients/co-01234567", other)
    assert (status, body["code"]) == (404, "client_not_found")


def test_a_bad_query_is_refused_with_a_problem(app: LedgerApplication) -> None:
    client, auth, _ = client_for(app, run_projections=False)
    for path in ("/v1/reports/aging?group_by=planet", "/v1/contracts?status=happy", "/v1/contracts?limit=0",
                 "/v1/licences?expiring_before=soon", "/v1/clients?min_position=-1"):
        answer = client.get(path, headers=auth)
        assert (answer.status_code, answer.mimetype) == (422, "application/problem+json"), path
    assert client.get("/v1/contracts").status_code == 401


def signed_and_invoiced(app: LedgerApplication, n: int) -> str:
    """A contract signed 5 Jan 2026 whose advance (100,000) is invoiced that day, due 19 Jan (14 days)."""
    cid = app.sign_contract(ACCOUNT, signing(terms()), idempotency_key=f"sign-{n}").contract_id
    app.execute(ACCOUNT, UUID(cid), as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                idempotency_key=f"inv-{n}")
    return cid


def test_the_contracts_list_filters_and_pages_with_a_cursor(app: LedgerApplication) -> None:
    client, auth, _ = client_for(app, run_projections=False)
    ids = [signed_and_invoiced(app, n) for n in range(3)]
    caught_up(app)
    seen, cursor = [], None
    while True:
        path = "/v1/contracts?limit=2&overdue=true&as_of=2026-02-01" + (f"&cursor={cursor}" if cursor else "")
        body = get(client, path, auth)[1]
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)
    assert get(client, "/v1/contracts?overdue=true&as_of=2026-01-19", auth)[1]["items"] == []  # due that day: not late
    awaiting = get(client, "/v1/contracts?status=awaiting_payment&as_of=2026-01-19", auth)[1]["items"]
    assert len(awaiting) == 3
    by_email = get(client, "/v1/contracts?client_email=AP@client.example", auth)[1]["items"]
    assert [c["id"] for c in by_email] == sorted(ids)
    assert get(client, "/v1/contracts?client_email=nobody@client.example", auth)[1]["items"] == []


def test_min_position_waits_for_the_background_runner_to_apply_a_write(app: LedgerApplication) -> None:
    client, auth, _ = client_for(app, run_projections=True)
    run_story(app, ACCOUNT)
    head = int(app.recorder.max_notification_id() or 0)
    status, body, header = get(client, f"/v1/contracts?min_position={seal_with(app, head)}", auth)
    assert status == 200 and open_with(app, header) >= head and len(body["items"]) == 1


def test_a_write_answers_its_log_position_and_a_read_with_it_as_min_position_sees_the_write(
    app: LedgerApplication,
) -> None:
    client, auth, _ = client_for(app, run_projections=True)
    body = {**terms(), "occurred_on": "2026-01-05", "total": {"amount": 300_000, "currency": "EUR"}}
    written = client.post("/v1/contracts", json=body, headers={**auth, "Idempotency-Key": "rw-1"})
    assert written.status_code == 201, written.get_json()
    position = written.headers["X-Ledger-Position"]
    status, listed, header = get(client, f"/v1/contracts?min_position={position}", auth)
    assert status == 200 and open_with(app, header) >= open_with(app, position)
    assert [c["id"] for c in listed["items"]] == [written.get_json()["id"]]


def test_a_min_position_beyond_the_log_answers_at_once_with_the_position_reached(app: LedgerApplication) -> None:
    client, auth, _ = client_for(app, run_projections=False)
    run_story(app, ACCOUNT)
    position = caught_up(app)
    started = time.monotonic()
    status, _, header = get(client, f"/v1/reports/aging?min_position={seal_with(app, position + 10_000)}", auth)
    assert (status, header) == (200, seal_with(app, position))
    assert time.monotonic() - started < 2
