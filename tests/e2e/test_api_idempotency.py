"""Idempotency-Key: a replay returns the first response, byte for byte; a different body is 409."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.bodies import TERMS, gbp
from tests.e2e.server import Client, Server, is_problem

CONCURRENT = 20


def same_post_at_once(api: Client, path: str, body: dict[str, object], key: str) -> list[requests.Response]:
    """CONCURRENT identical requests, each on its own connection, released together."""
    def send(_: int) -> requests.Response:
        return Client(api.url, api.key).post(path, body, key=key)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(send, range(CONCURRENT)))


def test_twenty_concurrent_identical_payments_append_one_event_and_get_twenty_identical_answers(server: Server) -> None:
    api = server.new_client("Idempotency payments")
    contract_id = api.sign(TERMS)
    api.command(contract_id, "/invoices", {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]})
    events, contract_events = api.events(contract_id), server.contract_event_count()
    body = {"payment_id": "bank-42", "occurred_on": "2026-01-10", "amount": gbp(25_000)}

    answers = same_post_at_once(api, f"/v1/contracts/{contract_id}/payments", body, uuid.uuid4().hex)

    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    after = api.events(contract_id)
    assert len(after) == len(events) + 1 and after[-1]["type"] == "PaymentReceived"
    assert server.contract_event_count() == contract_events + 1
    assert sum(1 for a in answers if a.headers.get("Idempotent-Replayed") == "true") == CONCURRENT - 1


def test_twenty_concurrent_identical_signings_create_one_contract(server: Server) -> None:
    api = server.new_client("Idempotency signing")
    contract_events = server.contract_event_count()

    answers = same_post_at_once(api, "/v1/contracts", TERMS, uuid.uuid4().hex)

    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["Location"] for a in answers}) == 1
    assert server.contract_event_count() == contract_events + 1


def test_a_replay_after_later_changes_returns_the_first_answer_byte_for_byte(server: Server) -> None:
    api = server.new_client("Idempotency replay")
    contract_id = api.sign(TERMS)
    key = uuid.uuid4().hex
    note = {"occurred_on": "2026-01-08", "direction": "outbound", "channel": "email", "summary": "Kick-off notes"}
    first = api.post(f"/v1/contracts/{contract_id}/communications", note, key=key)
    api.command(contract_id, "/work-pauses", {"occurred_on": "2026-01-09", "reason": "Holiday"})
    events = api.events(contract_id)

    replay = api.post(f"/v1/contracts/{contract_id}/communications", note, key=key)

    assert (replay.status_code, replay.content) == (first.status_code, first.content)
    assert replay.headers["Location"] == first.headers["Location"] and replay.headers["ETag"] == first.headers["ETag"]
    assert api.events(contract_id) == events


def test_the_same_key_with_a_different_body_is_409_and_changes_nothing(server: Server) -> None:
    api = server.new_client("Idempotency conflict")
    contract_id = api.sign(TERMS)
    key = uuid.uuid4().hex
    note = {"occurred_on": "2026-01-08", "direction": "outbound", "channel": "email", "summary": "Kick-off notes"}
    api.command(contract_id, "/communications", note, Idempotency_Key=key)
    events, notifications = api.events(contract_id), server.notification_count()

    other = api.post(f"/v1/contracts/{contract_id}/communications", {**note, "summary": "Something else"}, key=key)
    elsewhere = api.post(f"/v1/contracts/{contract_id}/work-pauses", {"occurred_on": "2026-01-09", "reason": "x"}, key=key)

    assert is_problem(other, 409, "idempotency_conflict")
    assert is_problem(elsewhere, 409, "idempotency_conflict")
    assert api.events(contract_id) == events and server.notification_count() == notifications


def test_keys_are_scoped_to_the_account(server: Server) -> None:
    ada, bob = server.new_client("Scope Ada"), server.new_client("Scope Bob")
    key = uuid.uuid4().hex
    ada_contract = ada.post("/v1/contracts", TERMS, key=key)
    bob_contract = bob.post("/v1/contracts", TERMS, key=key)
    assert ada_contract.status_code == bob_contract.status_code == 201
    assert ada_contract.json()["id"] != bob_contract.json()["id"]
    assert "Idempotent-Replayed" not in bob_contract.headers
