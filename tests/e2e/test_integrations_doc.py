"""The complete example of docs/integrations.md, executed against ``ledger serve`` and ``ledger webhooks``."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from paid_ledger_client import LedgerClient

from tests.e2e.bodies import TERMS
from tests.e2e.receiver import start_worker, stop_worker, wait_for
from tests.e2e.server import Server, free_port

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
NOTE = {"occurred_on": "2026-01-08", "direction": "inbound", "channel": "phone", "summary": "Called"}


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """The page's first Python block, as a module (its ``__main__`` part does not run)."""
    block = re.search(r"^## A complete example$.*?^```python\n(.*?)^```", PAGE.read_text(), re.S | re.M)
    assert block is not None
    module = ModuleType("integrations_example")
    exec(compile(block.group(1), str(PAGE), "exec"), module.__dict__)
    return module


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_example_receiver_verifies_handles_each_delivery_once_and_acknowledges(
    server: Server, example: ModuleType, tmp_path: Path
) -> None:
    client = LedgerClient(server.url, server.new_client("Docs Receiver").key)
    port = free_port()
    endpoint = client.create_webhook_endpoint(f"http://127.0.0.1:{port}/hook")
    handled: list[dict[str, Any]] = []
    receiver = example.make_receiver(endpoint["secret"], handled.append, port=port)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    worker = start_worker(server.store, tmp_path / "worker.log", "--backoff-base", "0.2")
    try:
        contract_id = client.sign_contract(TERMS)["id"]
        wait_for(lambda: handled, what="the signing to be handled")
        [delivery] = client.webhook_deliveries()["items"]
        wait_for(lambda: client.webhook_delivery(delivery["id"])["status"] == "succeeded", what="the acknowledgement")
        client.redeliver_webhook(delivery["id"])  # the same delivery id again: acknowledged, not handled twice
        wait_for(lambda: client.webhook_delivery(delivery["id"])["attempts"] == 2, what="the redelivery")
        forged = post(
            f"http://127.0.0.1:{port}/hook",
            b'{"type":"PaymentReceived"}',
            {"Ledger-Signature": f"t={int(time.time())},v1={'0' * 64}", "Ledger-Delivery-Id": "x"},
        )
    finally:
        stop_worker(worker)
        receiver.shutdown()
        receiver.server_close()
    assert forged == 400
    assert [(e["contract_id"], e["type"]) for e in handled] == [(contract_id, "ContractSigned")]
    assert client.webhook_delivery(delivery["id"])["last_status"] == 204


def test_the_example_follower_resumes_from_its_saved_cursor_without_gap_or_repeat(
    server: Server, example: ModuleType, tmp_path: Path
) -> None:
    client = LedgerClient(server.url, server.new_client("Docs Feed").key)
    cursor = tmp_path / "ledger-feed.cursor"
    first = client.sign_contract(TERMS)["id"]
    client.log_communication(first, NOTE)
    seen: list[tuple[str, int]] = []
    example.follow_feed(
        client, cursor, lambda e: seen.append((e["contract_id"], e["version"])), wait=2, until_idle=True
    )
    assert seen == [(first, 1), (first, 2)] and cursor.read_text()
    second = client.sign_contract(TERMS)["id"]
    client.log_communication(first, NOTE)
    example.follow_feed(
        client, cursor, lambda e: seen.append((e["contract_id"], e["version"])), wait=2, until_idle=True
    )
    assert seen == [(first, 1), (first, 2), (second, 1), (first, 3)]
