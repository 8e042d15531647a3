"""The Python client (clients/python) against a real ``ledger serve``: every operation, errors, retries, the feed."""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from paid_ledger_client import OPERATIONS, LedgerClient, errors
from paid_ledger_client.commands import COMMANDS

from tests.e2e.bodies import TERMS
from tests.e2e.cases import CASES
from tests.e2e.receiver import Receiver, start_worker, stop_worker, wait_for
from tests.e2e.server import Server

NOTE = {"occurred_on": "2026-01-08", "direction": "inbound", "channel": "phone", "summary": "Called"}


def client_of(server: Server, name: str) -> LedgerClient:
    return LedgerClient(server.url, server.new_client(name).key)


def served_operations(server: Server) -> set[tuple[str, str]]:
    document = LedgerClient(server.url).openapi()
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def test_every_operation_of_the_served_openapi_document_has_a_client_method_and_no_method_is_left_over(
    server: Server,
) -> None:
    assert set(OPERATIONS.values()) == served_operations(server)
    assert len(set(OPERATIONS.values())) == len(OPERATIONS)
    for name in OPERATIONS:
        assert callable(getattr(LedgerClient, name, None)), f"LedgerClient has no method {name}()"


class Recording(LedgerClient):
    """Remembers which operations it called, to prove the tests below call every one."""

    called: set[str] = set()  # noqa: RUF012 - shared across the instances of one test

    def call(self, name: str, **options: Any) -> Any:
        try:
            answer = super().call(name, **options)
        except errors.LedgerApiError as error:  # a problem of the operation's own: the route was reached
            if error.code != "not_found":  # the generic not_found is what a missing route answers
                Recording.called.add(name)
            raise
        Recording.called.add(name)
        return answer


def send_command(client: LedgerClient, command: str, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
    rest = dict(body)
    path = {name: str(rest.pop(name)) for name in re.findall(r"\{([a-z_]+)\}", COMMANDS[command])}
    result: dict[str, Any] = getattr(client, command)(contract_id, body=rest, **path)
    return result


def test_the_client_calls_every_operation_of_the_service_and_gets_its_answer(server: Server, tmp_path: Path) -> None:
    Recording.called = set()
    anonymous = Recording(server.url)
    assert anonymous.healthz() == {"status": "ok"} and anonymous.readyz()["status"] == "ready"
    assert "# HELP" in anonymous.metrics() and "<html" in anonymous.docs().lower()
    assert anonymous.openapi()["openapi"].startswith("3.")
    for command, (steps, valid, _, event) in CASES.items():
        client = Recording(server.url, server.new_client(f"Client {command}").key)  # the cases reuse invoice numbers
        contract_id = client.sign_contract(TERMS)["id"]
        for step, body in steps:
            send_command(client, step, contract_id, body)
        summary = send_command(client, command, contract_id, valid)
        assert summary["id"] == contract_id
        assert client.contract_events(contract_id, limit=100)["items"][-1]["type"] == event, command
    client = Recording(server.url, server.new_client("Client Everything").key)
    contract_id = client.sign_contract(TERMS)["id"]
    client.issue_invoice(contract_id, {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]})
    assert client.last is not None
    position = client.last.headers["X-Ledger-Position"]  # an opaque token of the last write: the read models wait for it
    assert client.get_contract(contract_id, as_of="2026-03-01")["id"] == contract_id
    assert client.statement(contract_id, as_of="2026-03-01")["lines"]
    assert client.verify(contract_id)["ok"] is True
    assert "principal" in str(client.claim(contract_id, as_of="2026-03-01"))
    assert client.evidence(contract_id, as_of="2026-03-01")[:2] == b"PK"
    assert isinstance(client.filing(contract_id, as_of="2026-03-01"), dict)
    assert client.upload_attachment(b"signed contract")["bytes"] == len(b"signed contract")
    for read in ("list_contracts", "aging", "reminders_due", "clients", "licences"):
        assert isinstance(getattr(client, read)(as_of="2026-03-01", min_position=position), dict), read
    assert client.client("ap@client.example", as_of="2026-03-01", min_position=position)["as_of"] == "2026-03-01"
    assert client.events(limit=1, wait=5)["items"]
    receiver = Receiver().start()
    try:
        endpoint = client.create_webhook_endpoint(receiver.url("/client"), ["PaymentReceived"])
        assert endpoint["secret"].startswith("whsec_")
        assert [e["id"] for e in client.webhook_endpoints()] == [endpoint["id"]]
        assert client.webhook_endpoint(endpoint["id"])["event_types"] == ["PaymentReceived"]
        assert client.enable_webhook_endpoint(endpoint["id"])["status"] == "enabled"
        client.record_payment(
            contract_id,
            {"payment_id": "p-9", "occurred_on": "2026-01-09", "amount": {"amount": 1000, "currency": "GBP"}},
        )
        assert client.webhook_deliveries()["items"] == []  # filled by `ledger webhooks`, not started yet
        worker = start_worker(server.store, tmp_path / "worker.log", "--backoff-base", "0.2")
        try:
            wait_for(lambda: receiver.at("/client"), what="the payment's delivery")
            [delivery] = client.webhook_deliveries()["items"]
            assert client.webhook_delivery(delivery["id"])["event_type"] == "PaymentReceived"
            assert client.redeliver_webhook(delivery["id"])["status"] == "pending"
            wait_for(lambda: len(receiver.at("/client")) == 2, what="the redelivery")
        finally:
            stop_worker(worker)
        assert client.delete_webhook_endpoint(endpoint["id"])["status"] == "deleted"
    finally:
        receiver.stop()
    check_dunning_operations(client)
    assert Recording.called == set(OPERATIONS), sorted(set(OPERATIONS) - Recording.called)


def check_dunning_operations(client: LedgerClient) -> None:
    """The policy round-trips; a reminder that does not exist is the dunning routes' own 404, not a missing route."""
    policy = {"mode": "review", "holidays": ["2026-12-25"], "quiet_weekdays": [5, 6], "letter_channel": "post"}
    assert client.set_dunning_policy(policy)["mode"] == "review"
    assert client.dunning_policy() == {**policy, **{k: v for k, v in client.dunning_policy().items() if k not in policy}}
    assert client.dunning_drafts()["items"] == [] and client.dunning_outbox(status="draft")["items"] == []
    for operation in (client.approve_dunning_draft, client.discard_dunning_draft, client.dunning_letter):
        with pytest.raises(errors.LedgerApiError) as refused:
            operation("no-such-reminder")
        assert (refused.value.status, refused.value.code) == (404, "reminder_not_found"), operation


def test_problems_are_raised_as_typed_exceptions_by_code_and_change_nothing(server: Server) -> None:
    ada, bob = client_of(server, "Client Ada"), client_of(server, "Client Bob")
    summary = ada.sign_contract(TERMS)
    contract_id, version = summary["id"], summary["version"]
    events = ada.contract_events(contract_id)["items"]
    with pytest.raises(errors.ContractNotFound) as not_found:
        bob.log_communication(contract_id, NOTE)
    assert (not_found.value.status, not_found.value.code) == (404, "contract_not_found")
    with pytest.raises(errors.ValidationFailed) as invalid:
        ada.log_communication(contract_id, {**NOTE, "direction": "sideways"})
    assert "direction" in invalid.value.errors
    ada.log_communication(contract_id, NOTE, if_match=version)
    with pytest.raises(errors.VersionConflict):
        ada.log_communication(contract_id, NOTE, if_match=version)
    ada.log_communication(contract_id, NOTE, idempotency_key="same-key")
    with pytest.raises(errors.IdempotencyConflict):
        ada.log_communication(contract_id, {**NOTE, "summary": "Other"}, idempotency_key="same-key")
    with pytest.raises(errors.Unauthorized):
        LedgerClient(server.url, "lk_not_a_key").list_contracts()
    with pytest.raises(errors.InvalidCursor):
        ada.events(after="999999")
    assert len(ada.contract_events(contract_id)["items"]) == len(events) + 2


class DropFirstAnswer:
    """A proxy in front of the server that forwards every request but drops the first POST's answer."""

    def __init__(self, upstream: str) -> None:
        self.keys: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.keys.append(self.headers["Idempotency-Key"])
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                forward = urllib.request.Request(upstream + self.path, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(forward, timeout=30) as answer:
                    status, payload, replayed = answer.status, answer.read(), answer.headers.get("Idempotent-Replayed")
                if len(proxy.keys) == 1:
                    self.close_connection = True  # recorded upstream, but the client never hears of it
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Idempotent-Replayed", replayed or "false")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dropping_proxy(server: Server) -> Iterator[DropFirstAnswer]:
    proxy = DropFirstAnswer(server.url)
    yield proxy
    proxy.close()


def test_a_lost_answer_is_retried_with_the_same_idempotency_key_and_records_the_command_once(
    server: Server, dropping_proxy: DropFirstAnswer
) -> None:
    direct = client_of(server, "Client Retry")
    contract_id = direct.sign_contract(TERMS)["id"]
    via_proxy = LedgerClient(dropping_proxy.url, direct.transport.api_key)
    via_proxy.transport.pause = 0.01
    summary = via_proxy.log_communication(contract_id, NOTE)
    assert len(dropping_proxy.keys) == 2 and dropping_proxy.keys[0] == dropping_proxy.keys[1]
    assert via_proxy.last is not None and via_proxy.last.headers["Idempotent-Replayed"] == "true"
    assert summary["version"] == 2
    assert [e["type"] for e in direct.contract_events(contract_id)["items"]] == [
        "ContractSigned",
        "CommunicationLogged",
    ]


def test_the_feed_iterator_followed_from_a_saved_cursor_yields_the_rest_once(server: Server) -> None:
    client = client_of(server, "Client Feed")
    first = client.sign_contract(TERMS)["id"]
    client.log_communication(first, NOTE)
    pages = list(client.follow_events(limit=1, wait=2, until_idle=True))
    assert [(e["contract_id"], e["version"]) for p in pages for e in p["items"]] == [(first, 1), (first, 2)]
    saved = pages[-1]["next_cursor"]
    second = client.sign_contract(TERMS)["id"]
    client.log_communication(first, NOTE)
    rest = list(client.iter_events(saved, limit=1, wait=2, until_idle=True))
    assert [(e["contract_id"], e["version"]) for e in rest] == [(second, 1), (first, 3)]
    assert [e["type"] for e in client.iter_events(saved, types=["ContractSigned"], wait=1, until_idle=True)] == [
        "ContractSigned"
    ]
