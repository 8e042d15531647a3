"""Tenant isolation: a key sees and changes only its own account's contracts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from application.service import LedgerApplication
from tests.e2e.bodies import TERMS, route
from tests.e2e.cases import CASES
from tests.e2e.server import Client, Server, is_problem
from tests.positions import open_with, seal_with

PATH_VALUES = {"key": "draft", "number": "T-1", "payment_id": "bank-1", "dispute_id": "d-1"}


@pytest.fixture(scope="module")
def two_accounts(server: Server) -> tuple[Client, str, Client, str]:
    """Two accounts, each with a contract whose client email is unique to it."""
    ada, bob = server.new_client("Tenant Ada"), server.new_client("Tenant Bob")
    ada_id = ada.sign({**TERMS, "client": {"name": "Ada's Client", "email": "only-ada@client.example"}})
    bob_id = bob.sign({**TERMS, "client": {"name": "Bob's Client", "email": "only-bob@client.example"}})
    ada.command(ada_id, "/invoices", {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]})
    return ada, ada_id, bob, bob_id


def read_caught_up(
    client: Client, path: str, position: int, reader: LedgerApplication, waits: bool = True
) -> requests.Response:
    """GET a read-model route once it has applied ``position`` (the server waits up to 5 s per call).

    A route that does not wait for a position (``waits`` false: the webhook routes) is read once.
    """
    if not waits:
        return client.get(path)
    for _ in range(6):
        answer = client.get(path, min_position=seal_with(reader, position))
        given = answer.headers.get("X-Ledger-Position")  # absent where the data is not projected (the dunning outbox)
        if answer.status_code != 200 or given is None or open_with(reader, given) >= position:
            return answer
    raise AssertionError(f"{path}: the read models did not reach position {position}")


def document(server: Server) -> dict[str, Any]:
    return dict(server.ada.get("/openapi.json").json())


def contract_routes(server: Server, method: str) -> list[str]:
    return [path for path, ops in document(server)["paths"].items() if method in ops and "{contract_id}" in path]


def test_every_get_route_of_a_contract_is_404_for_another_accounts_key(
    server: Server, two_accounts: tuple[Client, str, Client, str]
) -> None:
    ada, ada_id, bob, bob_id = two_accounts
    routes = contract_routes(server, "get")
    assert len(routes) >= 5  # summary, events, statement, verify, and whatever was added since
    for path in routes:
        assert ada.get(path.replace("{contract_id}", ada_id)).status_code == 200, path
        assert is_problem(bob.get(path.replace("{contract_id}", ada_id)), 404, "contract_not_found")
        assert bob.get(path.replace("{contract_id}", bob_id)).status_code == 200, path


def test_every_command_route_is_404_for_another_accounts_key_and_changes_nothing(
    server: Server, two_accounts: tuple[Client, str, Client, str]
) -> None:
    ada, ada_id, bob, _ = two_accounts
    events, notifications = ada.events(ada_id), server.notification_count()
    for command, (_, valid, _, _) in CASES.items():
        path, body = route(command, valid)
        assert is_problem(bob.post(f"/v1/contracts/{ada_id}{path}", body), 404, "contract_not_found")
    assert ada.events(ada_id) == events
    assert server.notification_count() == notifications


def test_the_account_wide_reads_show_each_key_only_its_own_contracts(
    server: Server, two_accounts: tuple[Client, str, Client, str]
) -> None:
    ada, ada_id, bob, bob_id = two_accounts
    position = server.notification_count()
    routes = [path for path, ops in document(server)["paths"].items()
              if path.startswith("/v1/") and "get" in ops and "{contract_id}" not in path and "{" not in path]
    assert "/v1/contracts" in routes
    for path in routes:
        waits = any(p.get("name") == "min_position" for p in document(server)["paths"][path]["get"]["parameters"])
        mine = read_caught_up(ada, path, position, server.reader, waits)
        assert mine.status_code == 200, f"{path}: {mine.text}"
        theirs = read_caught_up(bob, path, position, server.reader, waits)
        assert theirs.status_code == 200, f"{path}: {theirs.text}"
        assert ada_id not in theirs.text and "only-ada@" not in theirs.text, path
        assert bob_id not in mine.text and "only-bob@" not in mine.text, path
    listed = [item["id"] for item in read_caught_up(ada, "/v1/contracts", position, server.reader).json()["items"]]
    assert ada_id in listed and bob_id not in listed


def test_a_key_cannot_sign_into_or_read_through_another_account_by_naming_it() -> None:
    """There is no account field anywhere in a request: the account is the key's, always."""
    from schemas.commands import COMMAND_SCHEMAS

    assert all("account_id" not in schema().fields for schema in COMMAND_SCHEMAS.values())
    assert not any(re.search("account", path) for path, _ in (route(c, v[1]) for c, v in CASES.items()))
