"""Every command endpoint, once refused (nothing changes) and once accepted (exactly its event is appended)."""

from __future__ import annotations

import uuid

import pytest

from api.commands import ROUTES
from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from tests.e2e.bodies import TERMS, route
from tests.e2e.cases import CASES
from tests.e2e.server import Server, is_problem

# The routes as the issue lists them (written out here, not read from the code under test).
ISSUE_PATHS = {
    "/amendments", "/milestones/<key>/delivery", "/milestones/<key>/acceptance", "/milestones/<key>/rejection",
    "/invoices", "/invoices/<number>/void", "/invoices/<number>/credit-notes", "/payments",
    "/payments/<payment_id>/reversal", "/reminders", "/communications", "/promises", "/disputes",
    "/disputes/<dispute_id>/resolution", "/work-pauses", "/work-resumptions", "/licence/grant", "/licence/extension",
    "/licence/perpetual", "/escrow/fundings", "/escrow/releases", "/claims", "/judgments", "/write-offs", "/closure",
}


def test_every_command_of_the_application_has_a_route_and_a_case_here() -> None:
    assert set(CASES) == set(COMMANDS) == set(ROUTES)
    assert {path for path, _ in ROUTES.values()} == ISSUE_PATHS


@pytest.mark.parametrize("command", sorted(CASES))
def test_a_command_is_refused_without_change_when_invalid_and_appends_its_event_when_valid(
    server: Server, command: str
) -> None:
    api = server.new_client(f"Commands {command} {uuid.uuid4().hex[:6]}")
    before, valid, invalid, event = CASES[command]
    contract_id = api.sign(TERMS)
    for step, body in before:
        api.command(contract_id, *route(step, body))
    events, notifications = api.events(contract_id), server.notification_count()

    path, rest = route(command, invalid)
    refused = api.post(f"/v1/contracts/{contract_id}{path}", rest)
    assert is_problem(refused, 422, "validation_error")
    assert refused.json()["errors"], "a validation problem names the fields"
    assert api.events(contract_id) == events
    assert server.notification_count() == notifications

    summary = api.command(contract_id, *route(command, valid))
    after = api.events(contract_id)
    assert after[: len(events)] == events
    assert after[len(events)]["type"] == event
    assert summary["version"] == len(after)
