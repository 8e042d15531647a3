"""The demo story (the last third never paid) told through the HTTP API only."""

from __future__ import annotations

from itertools import pairwise

import pytest

from tests.e2e.bodies import STORY_STEPS, STORY_TERMS, route
from tests.e2e.server import Client, Server

THIRD = 400_000


@pytest.fixture(scope="module")
def story(server: Server) -> tuple[Client, str]:
    """The story, told once per store in an account of its own (its invoices are INV-000001 to 3)."""
    api = server.new_client("Ada Byte Studio (story)")
    contract_id = api.sign(STORY_TERMS)
    for command, body in STORY_STEPS:
        api.command(contract_id, *route(command, body))
    return api, contract_id


def test_the_demo_story_through_the_api_ends_with_the_last_third_overdue_and_a_verified_chain(
    story: tuple[Client, str],
) -> None:
    api, contract_id = story
    summary = api.get(f"/v1/contracts/{contract_id}", as_of="2026-08-10").json()
    assert (summary["invoiced"]["amount"], summary["paid"]["amount"]) == (3 * THIRD, 2 * THIRD)
    assert (summary["outstanding"]["amount"], summary["overdue"]["amount"]) == (THIRD, THIRD)
    assert summary["status"] == "overdue"
    assert [m["status"] for m in summary["milestones"]] == ["pending", "accepted", "accepted"]
    assert summary["licence"]["status"] == "valid"
    assert summary["version"] == 1 + len(STORY_STEPS)

    statement = api.get(f"/v1/contracts/{contract_id}/statement", as_of="2026-08-10").json()
    assert statement["closing_balance"] == THIRD
    assert [line["kind"] for line in statement["lines"]] == ["invoice", "payment"] * 2 + ["invoice"]

    events = api.events(contract_id)
    assert [e["version"] for e in events] == list(range(1, len(STORY_STEPS) + 2))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in pairwise(events))
    verified = api.get(f"/v1/contracts/{contract_id}/verify").json()
    assert verified["ok"] is True
    assert (verified["fingerprint"], verified["version"]) == (events[-1]["hash"], len(events))


def test_before_the_last_invoice_fell_due_nothing_was_overdue(story: tuple[Client, str]) -> None:
    api, contract_id = story
    summary = api.get(f"/v1/contracts/{contract_id}", as_of="2026-07-01").json()
    assert summary["overdue"]["amount"] == 0
    assert summary["outstanding"]["amount"] == THIRD
    assert summary["status"] == "awaiting_payment"
