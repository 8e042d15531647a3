"""Webhooks end to end: ``ledger serve``, the ``ledger webhooks`` worker as a process, and real HTTP receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.bodies import TERMS
from tests.e2e.receiver import Received, Receiver, start_worker, stop_worker, wait_for
from tests.e2e.server import Client, Server, free_port, is_problem

FAST = ("--backoff-base", "0.2", "--backoff-max", "100", "--retry-window", "2.5", "--disable-after", "8")
NOTE = {"occurred_on": "2026-01-08", "direction": "inbound", "channel": "phone", "summary": "Called"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def add_endpoint(client: Client, url: str, **extra: Any) -> dict[str, Any]:
    answer = client.post("/v1/webhooks/endpoints", {"url": url, **extra})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def write_events(client: Client, contracts: int, notes: int) -> list[tuple[str, int]]:
    """Sign ``contracts`` and log ``notes`` calls on each, in turns; return (contract, version) in write order."""
    written, ids = [], []
    for _ in range(contracts):
        ids.append(client.sign(TERMS))
        written.append((ids[-1], 1))
    for n in range(notes):
        for contract_id in ids:
            client.command(contract_id, "/communications", {**NOTE, "summary": f"call {n}"})
            written.append((contract_id, n + 2))
    return written


def signed_correctly(secret: str, received: Received) -> bool:
    """The signature checked here by hand: HMAC-SHA256 over "<t>.<body>" with the endpoint's secret."""
    fields = dict(part.split("=", 1) for part in received.headers["Ledger-Signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


def first_per_delivery(received: list[Received]) -> list[Received]:
    found: dict[str, Received] = {}
    for item in received:
        if 200 <= item.status < 300:
            found.setdefault(item.headers["Ledger-Delivery-Id"], item)
    return list(found.values())


def deliveries(client: Client, **query: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/webhooks/deliveries", limit=200, **query)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def test_each_receiver_gets_every_event_of_its_account_once_per_delivery_id_in_order_and_signed(
    server: Server, receiver: Receiver, tmp_path: Path
) -> None:
    ada, bob = server.new_client("Hook Ada"), server.new_client("Hook Bob")
    ada_hook = add_endpoint(ada, receiver.url("/ada"))
    bob_hook = add_endpoint(bob, receiver.url("/bob"), event_types=["ContractSigned"])
    worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
    try:
        ada_written = write_events(ada, 2, 3)
        bob_written = write_events(bob, 1, 2)
        wait_for(lambda: len(first_per_delivery(receiver.at("/ada"))) >= len(ada_written), what="Ada's 8 events")
        wait_for(lambda: first_per_delivery(receiver.at("/bob")), what="Bob's signing")
        time.sleep(1)  # anything extra (a duplicate, another account's event) would arrive now
    finally:
        stop_worker(worker)
    got = first_per_delivery(receiver.at("/ada"))
    events = [json.loads(r.body) for r in got]
    assert sorted((e["contract_id"], e["version"]) for e in events) == sorted(ada_written)
    for contract_id in {c for c, _ in ada_written}:  # per contract, in version order
        assert [e["version"] for e in events if e["contract_id"] == contract_id] == [1, 2, 3, 4]
    assert all(signed_correctly(ada_hook["secret"], r) for r in receiver.at("/ada"))
    assert all(r.headers["Ledger-Event-Type"] == json.loads(r.body)["type"] for r in got)
    feed = ada.get("/v1/events", limit=100).json()["items"]
    assert [r.body for r in got] == [json.dumps(e, sort_keys=True, separators=(",", ":")).encode() for e in feed]
    bob_events = [json.loads(r.body) for r in receiver.at("/bob")]
    assert [(e["contract_id"], e["type"]) for e in bob_events] == [(bob_written[0][0], "ContractSigned")]
    assert all(signed_correctly(bob_hook["secret"], r) for r in receiver.at("/bob"))
    log = deliveries(ada)
    assert len(log) == 8 and {d["status"] for d in log} == {"succeeded"} and {d["attempts"] for d in log} == {1}
    assert {d["id"] for d in log} == {r.headers["Ledger-Delivery-Id"] for r in got}
    assert not {d["id"] for d in deliveries(bob)} & {d["id"] for d in log}


def test_a_receiver_that_answers_500_then_200_gets_the_retry_and_the_log_shows_both_attempts(
    server: Server, tmp_path: Path
) -> None:
    flaky = Receiver(behaviour=lambda _path, _id, seen: 500 if seen == 0 else 200).start()
    client = server.new_client("Hook Flaky")
    add_endpoint(client, flaky.url("/flaky"))
    worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
    try:
        contract_id = client.sign(TERMS)
        wait_for(lambda: first_per_delivery(flaky.at("/flaky")), what="the retried delivery")
    finally:
        stop_worker(worker)
        flaky.stop()
    attempts = flaky.at("/flaky")
    assert [r.status for r in attempts] == [500, 200]
    assert attempts[0].headers["Ledger-Delivery-Id"] == attempts[1].headers["Ledger-Delivery-Id"]
    assert [r.headers["Ledger-Attempt"] for r in attempts] == ["1", "2"]
    [entry] = deliveries(client)
    assert (entry["status"], entry["attempts"], entry["last_status"]) == ("succeeded", 2, 200)
    assert entry["contract_id"] == contract_id and entry["next_attempt_at"] is None
    assert entry["last_response"].startswith("answered 200 ") and len(entry["last_response"]) == 1024


def test_a_receiver_down_for_the_whole_test_shows_attempts_backoff_failure_and_a_disabled_endpoint(
    server: Server, tmp_path: Path
) -> None:
    client = server.new_client("Hook Down")
    endpoint = add_endpoint(client, f"http://127.0.0.1:{free_port()}/nobody-listens")
    worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
    seen: dict[int, float] = {}  # attempts made -> seconds from the last attempt to the next
    try:
        contract_id = client.sign(TERMS)
        client.command(contract_id, "/communications", NOTE)

        def first_failed() -> bool:
            log = deliveries(client)
            oldest = log[-1] if log else {"status": "none", "attempts": 0}
            if oldest["status"] == "pending" and oldest["attempts"]:
                seen[oldest["attempts"]] = gap(oldest)
            return oldest["status"] == "failed"

        wait_for(first_failed, what="the first delivery to fail")
        wait_for(
            lambda: client.get(f"/v1/webhooks/endpoints/{endpoint['id']}").json()["status"] == "disabled",
            what="the endpoint to be disabled",
        )
    finally:
        stop_worker(worker)
    assert len(seen) >= 3
    for attempts, waited in seen.items():  # 0.2 s doubling per attempt, half of it fixed and half random
        full = 0.2 * 2 ** (attempts - 1)
        assert full / 2 - 0.001 <= waited <= full + 0.001, (attempts, waited)
    first, second = reversed(deliveries(client))
    assert first["status"] == "failed" and first["attempts"] >= 3 and first["last_status"] is None
    assert "ConnectionRefusedError" in first["last_error"] and first["next_attempt_at"] is None
    assert second["status"] == "pending" and first["attempts"] + second["attempts"] == 8
    found = client.get(f"/v1/webhooks/endpoints/{endpoint['id']}").json()
    assert found["disabled_reason"].startswith("disabled after 8 failed attempts in a row")
    assert "secret" not in found


def gap(delivery: dict[str, Any]) -> float:
    def seconds(text: str) -> float:
        from datetime import datetime

        return datetime.fromisoformat(text).timestamp()

    return seconds(delivery["next_attempt_at"]) - seconds(delivery["updated_at"])


def test_a_worker_killed_mid_delivery_and_restarted_loses_nothing_and_repeats_with_the_same_delivery_id(
    server: Server, tmp_path: Path
) -> None:
    in_flight, release = threading.Event(), threading.Event()

    def slow_first(_path: str, _id: str, seen: int) -> int:
        if not in_flight.is_set():
            in_flight.set()
            release.wait(30)  # the worker is killed while it waits for this answer
        return 200

    receiver = Receiver(behaviour=slow_first).start()
    client = server.new_client("Hook Kill")
    add_endpoint(client, receiver.url("/kill"))
    written = write_events(client, 2, 2)
    worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
    try:
        assert in_flight.wait(60), "no delivery arrived"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        release.set()
        worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
        wait_for(lambda: len(first_per_delivery(receiver.at("/kill"))) >= len(written), what="every event")
        time.sleep(0.5)
    finally:
        stop_worker(worker)
        receiver.stop()
    arrivals = receiver.at("/kill")
    ids = [r.headers["Ledger-Delivery-Id"] for r in arrivals]
    assert ids[0] == ids[1]  # the one in flight when the worker died came again, with the same id
    events = [json.loads(r.body) for r in first_per_delivery(arrivals)]
    assert sorted((e["contract_id"], e["version"]) for e in events) == sorted(written)
    assert len(set(ids)) == len(written)
    assert {d["status"] for d in deliveries(client)} == {"succeeded"}


def test_manual_redelivery_sends_the_same_delivery_again_and_endpoints_can_be_listed_and_deleted(
    server: Server, receiver: Receiver, tmp_path: Path
) -> None:
    client, other = server.new_client("Hook Redeliver"), server.new_client("Hook Other")
    endpoint = add_endpoint(client, receiver.url("/again"))
    worker = start_worker(server.store, tmp_path / "worker.log", *FAST)
    try:
        client.sign(TERMS)
        wait_for(lambda: receiver.at("/again"), what="the first delivery")
        [entry] = deliveries(client)
        assert is_problem(other.post(f"/v1/webhooks/deliveries/{entry['id']}/redeliver", {}), 404)
        answer = client.post(f"/v1/webhooks/deliveries/{entry['id']}/redeliver", {})
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
        wait_for(lambda: len(receiver.at("/again")) == 2, what="the redelivery")
    finally:
        stop_worker(worker)
    first, again = receiver.at("/again")
    assert first.headers["Ledger-Delivery-Id"] == again.headers["Ledger-Delivery-Id"] and first.body == again.body
    assert [e["id"] for e in client.get("/v1/webhooks/endpoints").json()["items"]] == [endpoint["id"]]
    assert other.get("/v1/webhooks/endpoints").json()["items"] == []
    assert is_problem(other.get(f"/v1/webhooks/endpoints/{endpoint['id']}"), 404, "webhook_endpoint_not_found")
    assert is_problem(other.get(f"/v1/webhooks/deliveries/{entry['id']}"), 404, "webhook_delivery_not_found")
    assert is_problem(other.delete(f"/v1/webhooks/endpoints/{endpoint['id']}"), 404)
    assert client.delete(f"/v1/webhooks/endpoints/{endpoint['id']}").json()["status"] == "deleted"
    assert client.get("/v1/webhooks/endpoints").json()["items"] == []
