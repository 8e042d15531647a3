"""GET /v1/events over Flask's test client, on SQLite and PostgreSQL: the per-account feed and its cursor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from ledger.commands import LogCommunication
from projections.db import Database
from projections.feed import FeedIndexer
from projections.runner import Runner
from tests.factories import signing, terms

ADA, BOB = "acct-feed-ada", "acct-feed-bob"


@pytest.fixture
def feed_client(app: LedgerApplication) -> Iterator[tuple[FlaskClient, dict[str, str], dict[str, str]]]:
    flask_app = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False)
    app.create_account("Ada", ADA)
    app.create_account("Bob", BOB)
    ada = {"Authorization": f"Bearer {app.create_api_key(ADA)}"}
    bob = {"Authorization": f"Bearer {app.create_api_key(BOB)}"}
    yield flask_app.test_client(), ada, bob
    flask_app.extensions["read_models"].close()


def note(app: LedgerApplication, account: str, contract_id: Any, n: int) -> None:
    command = LogCommunication(occurred_on=date(2026, 1, 8), direction="inbound", channel="phone", summary=f"call {n}")
    app.execute(account, contract_id, command, idempotency_key=f"{account}-{contract_id}-{n}")


def interleaved_writes(app: LedgerApplication, rounds: int) -> dict[str, list[tuple[str, int]]]:
    """Two contracts for Ada and one for Bob, written in turns; returns each account's (contract, version) in order."""
    written: dict[str, list[tuple[str, int]]] = {ADA: [], BOB: []}
    contracts = [(ADA, uuid4()), (BOB, uuid4()), (ADA, uuid4())]
    for account, contract_id in contracts:
        app.sign_contract(account, signing(terms()), idempotency_key=f"sign-{contract_id}", contract_id=contract_id)
        written[account].append((str(contract_id), 1))
    for n in range(rounds):
        for account, contract_id in contracts:
            note(app, account, contract_id, n)
            written[account].append((str(contract_id), n + 2))
    return written


def index(app: LedgerApplication) -> None:
    runner = Runner(app.store, app=app)
    try:
        runner.catch_up()
    finally:
        runner.db.close()


def follow(
    client: FlaskClient, auth: dict[str, str], after: str | None, limit: int, **query: Any
) -> tuple[list[dict[str, Any]], str]:
    """Read pages until has_more is false; return the items and the last cursor."""
    items: list[dict[str, Any]] = []
    while True:
        params = {"limit": limit, **query, **({"after": after} if after is not None else {})}
        answer = client.get("/v1/events", query_string=params, headers=auth)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        items += body["items"]
        after = body["next_cursor"]
        if not body["has_more"]:
            return items, str(after)


def test_the_feed_followed_from_a_cursor_saved_half_way_returns_the_rest_with_no_gap_and_no_repeat(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, _ = feed_client
    first = interleaved_writes(app, 3)[ADA]  # 2 signings + 6 notes = 8 events
    index(app)
    seen, saved = follow(client, ada, None, 3)
    assert [(e["contract_id"], e["version"]) for e in seen] == first
    more = interleaved_writes(app, 3)[ADA]  # 8 more events of Ada, Bob writing in between
    index(app)
    rest, _ = follow(client, ada, saved, 4)
    assert [(e["contract_id"], e["version"]) for e in rest] == more
    assert len(rest) == 8 and not {e["hash"] for e in rest} & {e["hash"] for e in seen}
    again, cursor = follow(client, ada, saved, 500)
    assert again == rest  # the same cursor gives the same events again: it is stable
    assert follow(client, ada, cursor, 10)[0] == []


def test_each_item_is_the_event_exactly_as_the_contracts_own_event_list_gives_it(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, _ = feed_client
    written = interleaved_writes(app, 1)[ADA]
    index(app)
    items, _ = follow(client, ada, None, 100)
    by_contract = {}
    for contract_id in dict.fromkeys(c for c, _ in written):
        by_contract[contract_id] = client.get(f"/v1/contracts/{contract_id}/events", headers=ada).get_json()["items"]
    assert items == [by_contract[c][v - 1] for c, v in written]
    assert {"contract_id", "version", "type", "payload", "occurred_on", "recorded_at", "hash"} <= set(items[0])


def test_another_accounts_events_never_appear_in_the_feed_and_its_cursor_counts_only_its_own_events(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, _, bob = feed_client
    written = interleaved_writes(app, 4)
    index(app)
    bob_items, bob_cursor = follow(client, bob, None, 2)
    assert [(e["contract_id"], e["version"]) for e in bob_items] == written[BOB]
    ada_ids = {c for c, _ in written[ADA]}
    assert not ada_ids & {e["contract_id"] for e in bob_items}
    assert bob_cursor == str(len(written[BOB]))  # 5 of Bob's own events: Ada's 10 interleaved ones leave no trace


def test_types_filter_returns_only_those_types_and_moves_the_cursor_past_the_others(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, _ = feed_client
    interleaved_writes(app, 2)
    index(app)
    items, cursor = follow(client, ada, None, 1, types="ContractSigned")
    assert [e["type"] for e in items] == ["ContractSigned", "ContractSigned"]
    assert cursor == "6"  # 2 signings + 4 notes: the cursor is past every event looked at
    assert follow(client, ada, cursor, 10, types="ContractSigned")[0] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"after": "-1"}, "after"),
        ({"after": "abc"}, "after"),
        ({"wait": 31}, "wait"),
        ({"types": "NoSuchEvent"}, "types"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_limits_cursors_and_filters_are_refused_with_problem_details(
    app: LedgerApplication,
    feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]],
    query: dict[str, Any],
    field: str,
) -> None:
    client, ada, _ = feed_client
    interleaved_writes(app, 1)
    index(app)
    before = app.recorder.max_notification_id()
    answer = client.get("/v1/events", query_string=query, headers=ada)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]
    assert app.recorder.max_notification_id() == before


def test_a_cursor_ahead_of_the_accounts_feed_is_refused_and_reveals_nothing(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, bob = feed_client
    interleaved_writes(app, 2)
    index(app)
    answer = client.get("/v1/events", query_string={"after": "4"}, headers=bob)  # Bob has 3 events; Ada has 6
    assert answer.status_code == 422 and answer.get_json()["code"] == "invalid_cursor"
    assert client.get("/v1/events", query_string={"after": "4"}, headers=ada).status_code == 200
    assert client.get("/v1/events", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_long_poll_answers_as_soon_as_an_event_is_indexed_and_an_idle_one_after_its_wait(
    app: LedgerApplication, feed_client: tuple[FlaskClient, dict[str, str], dict[str, str]]
) -> None:
    client, ada, _ = feed_client
    contract_id = uuid4()
    app.sign_contract(ADA, signing(terms()), idempotency_key="poll-sign", contract_id=contract_id)
    index(app)
    _, cursor = follow(client, ada, None, 10)
    started = time.monotonic()
    assert follow(client, ada, cursor, 10, wait=1)[0] == []
    assert 0.9 <= time.monotonic() - started < 3

    def write_later() -> None:
        time.sleep(0.5)
        note(app, ADA, contract_id, 1)
        indexer = FeedIndexer(app, Database(app.store))
        indexer.catch_up()
        indexer.db.close()

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    items, _ = follow(client, ada, cursor, 10, wait=20)
    writer.join()
    assert [(e["version"], e["type"]) for e in items] == [(2, "CommunicationLogged")]
    assert time.monotonic() - started < 5
