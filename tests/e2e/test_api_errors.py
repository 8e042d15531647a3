"""Every error status the API answers: RFC 9457 problem details, and a refused request changes nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.e2e.bodies import TERMS, gbp
from tests.e2e.server import Client, Server, is_problem

PAYMENT = {"payment_id": "bank-1", "occurred_on": "2026-01-10", "amount": gbp(10_000)}


@pytest.fixture(scope="module")
def invoiced(server: Server) -> tuple[Client, str]:
    """A contract of its own account with one open invoice of GBP 1,000.00."""
    api = server.new_client("Errors")
    contract_id = api.sign(TERMS)
    api.command(contract_id, "/invoices", {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]})
    return api, contract_id


@contextmanager
def nothing_changes(server: Server, api: Client, contract_id: str) -> Iterator[None]:
    events, notifications = api.events(contract_id), server.notification_count()
    yield
    assert api.events(contract_id) == events
    assert server.notification_count() == notifications


def payments(api: Client, contract_id: str) -> str:
    return f"{api.url}/v1/contracts/{contract_id}/payments"


def test_malformed_json_is_400(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        for body in ('{"payment_id": ', "[1, 2", '{"amount": NaN}', b"\xff\xfe"):
            assert is_problem(api.post(f"/v1/contracts/{contract_id}/payments", body), 400, "malformed_json")


def test_a_post_without_an_idempotency_key_is_400(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        answer = requests.post(payments(api, contract_id), json=PAYMENT, headers=api.headers(), timeout=10)
        assert is_problem(answer, 400, "idempotency_key_required")


def test_an_if_match_that_is_not_a_version_is_400(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        answer = api.post(f"/v1/contracts/{contract_id}/payments", PAYMENT, If_Match="yesterday")
        assert is_problem(answer, 400, "invalid_if_match")


@pytest.mark.parametrize("authorization", [None, "Bearer lk_not-a-key", "Basic YWRhOnNlY3JldA==", "Bearer "])
def test_no_key_or_a_bad_key_is_401_on_reads_and_writes(
    server: Server, invoiced: tuple[Client, str], authorization: str | None
) -> None:
    api, contract_id = invoiced
    headers = {"Authorization": authorization} if authorization else {}
    with nothing_changes(server, api, contract_id):
        read = requests.get(f"{api.url}/v1/contracts/{contract_id}", headers=headers, timeout=10)
        write = requests.post(payments(api, contract_id), json=PAYMENT, timeout=10,
                              headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    for answer in (read, write):
        assert is_problem(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_contract_milestone_or_route_is_404(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        assert is_problem(api.get(f"/v1/contracts/{uuid.uuid4()}"), 404, "contract_not_found")
        delivery = {"occurred_on": "2026-02-01", "description": "x"}
        answer = api.post(f"/v1/contracts/{contract_id}/milestones/nope/delivery", delivery)
        assert is_problem(answer, 404, "milestone_not_found")
        assert is_problem(api.get("/v1/contracts/not-a-uuid"), 404, "not_found")
        assert is_problem(api.get("/nowhere"), 404, "not_found")


def test_a_reused_idempotency_key_with_another_body_or_a_reused_payment_id_is_409(
    server: Server, invoiced: tuple[Client, str]
) -> None:
    api, contract_id = invoiced
    key = uuid.uuid4().hex
    api.command(contract_id, "/payments", {**PAYMENT, "payment_id": key}, Idempotency_Key=key)
    with nothing_changes(server, api, contract_id):
        other_body = api.post(f"/v1/contracts/{contract_id}/payments", {**PAYMENT, "payment_id": "other"}, key=key)
        assert is_problem(other_body, 409, "idempotency_conflict")
        same_payment = api.post(f"/v1/contracts/{contract_id}/payments", {**PAYMENT, "payment_id": key})
        assert is_problem(same_payment, 409, "already_exists")


def test_a_stale_if_match_is_412(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    current = api.get(f"/v1/contracts/{contract_id}")
    version = current.json()["version"]
    assert current.headers["ETag"] == f'"{version}"'
    with nothing_changes(server, api, contract_id):
        answer = api.post(f"/v1/contracts/{contract_id}/payments", PAYMENT, If_Match=f'"{version - 1}"')
        assert is_problem(answer, 412, "version_conflict")
    note = {"occurred_on": "2026-01-08", "direction": "outbound", "channel": "email", "summary": "Sent the invoice"}
    assert api.command(contract_id, "/communications", note, If_Match=f'"{version}"')["version"] == version + 1


def test_a_body_over_the_limit_is_413(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    padding = "x" * (1024 * 1024)
    with nothing_changes(server, api, contract_id):
        answer = api.post(f"/v1/contracts/{contract_id}/payments", {**PAYMENT, "reference": padding})
        assert is_problem(answer, 413, "body_too_large")


def test_a_body_that_is_not_json_is_415(server: Server, invoiced: tuple[Client, str]) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            answer = requests.post(payments(api, contract_id), data="payment_id=1", timeout=10, headers=api.headers(
                {"Content-Type": content_type, "Idempotency-Key": uuid.uuid4().hex}))
            assert is_problem(answer, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**PAYMENT, "amount": {"amount": 10.5, "currency": "GBP"}}, "validation_error"),
        ({**PAYMENT, "surprise": True}, "validation_error"),
        ({**PAYMENT, "amount": gbp(100_001)}, "overpayment"),
        ({**PAYMENT, "amount": {"amount": 100, "currency": "EUR"}}, "currency_mismatch"),
        ({**PAYMENT, "amount": gbp(0)}, "validation_error"),  # the schema states amount >= 1 (PositiveMoney)
        ({**PAYMENT, "occurred_on": "2026-01-01"}, "overpayment"),
    ],
    ids=["float-amount", "unknown-field", "more-than-owed", "other-currency", "zero", "before-the-invoice"],
)
def test_invalid_input_and_broken_business_rules_are_422(
    server: Server, invoiced: tuple[Client, str], body: dict[str, object], code: str
) -> None:
    api, contract_id = invoiced
    with nothing_changes(server, api, contract_id):
        assert is_problem(api.post(f"/v1/contracts/{contract_id}/payments", body), 422, code)


def test_a_wrong_method_is_a_problem_too_never_an_html_page(server: Server) -> None:
    answer = requests.delete(f"{server.url}/healthz", timeout=10)
    assert is_problem(answer, 405, "method_not_allowed")
    assert "<html" not in answer.text.lower()


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A generator body: requests sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_over_the_limit_is_413_and_one_under_it_is_accepted(
    server: Server, invoiced: tuple[Client, str]
) -> None:
    api, contract_id = invoiced
    over = json.dumps({**PAYMENT, "reference": "x" * (1024 * 1024)}).encode()
    with nothing_changes(server, api, contract_id):
        answer = requests.post(payments(api, contract_id), data=chunks(over), timeout=30,
                               headers=api.headers({"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}))
        assert "Content-Length" not in answer.request.headers
        assert is_problem(answer, 413, "body_too_large")
    note = {"occurred_on": "2026-01-08", "direction": "inbound", "channel": "email", "summary": "sent in chunks"}
    answer = requests.post(f"{api.url}/v1/contracts/{contract_id}/communications", data=chunks(json.dumps(note).encode(), 8),
                           timeout=30, headers=api.headers({"Content-Type": "application/json",
                                                            "Idempotency-Key": uuid.uuid4().hex}))
    assert answer.status_code == 201, answer.text


def test_a_long_url_or_header_within_the_documented_limits_reaches_the_app_and_gets_json(server: Server) -> None:
    long_query = "x" * 6000  # over gunicorn's default request line (4094), within the 8190 we set
    answer = requests.get(f"{server.url}/healthz", params={"pad": long_query}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    answer = requests.get(f"{server.url}/healthz", headers={"X-Pad": "y" * 12_000}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}  # over the default field limit (8190)
