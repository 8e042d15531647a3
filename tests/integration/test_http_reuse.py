"""What the HTTP workers keep between requests never outlives a change made by another process.

A known API key is checked (and its request counted) in one statement against the version it was valid
at; a contract summary is answered from its rendering only while the contract's version is unchanged.
"Workers" are Flask apps, each with its own LedgerApplication on the same store, as gunicorn runs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.summaries import Rendered, RenderedSummaries
from application.service import LedgerApplication
from ledger.accounts import api_key_aggregate_id, hash_key, key_id
from ledger.commands import SignContract
from schemas.commands import SignContractSchema
from tests.factories import terms

ACCOUNT, OTHER = "acct-reuse", "acct-reuse-other"
CONTRACTS = "/v1/contracts"
NOTE = {"occurred_on": "2026-02-01", "direction": "outbound", "channel": "email", "summary": "note"}


@pytest.fixture
def workers(app: LedgerApplication) -> Iterator[Any]:
    opened: list[LedgerApplication] = []

    def worker(**config: Any) -> FlaskClient:
        ledger = LedgerApplication(app.store, create_tables=False)
        opened.append(ledger)
        return create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=ledger, RUN_PROJECTIONS=False,
                          **config).test_client()

    yield worker
    for ledger in opened:
        ledger.close()


def sign_command() -> SignContract:
    command: SignContract = SignContractSchema().load(json.loads(json.dumps(terms(), default=str)))
    return command


def bearer(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def hits(app: LedgerApplication, key: str) -> int | None:
    rows = app.key_usage.run(f"SELECT hits FROM {app.key_usage.usage} WHERE key_id = ?",
                             (key_id(hash_key(key)),), fetch=True)
    return int(rows[0]["hits"]) if rows else None


@pytest.mark.parametrize("limit", [100, 0])
def test_a_known_key_revoked_by_another_process_is_refused_at_once_and_that_request_is_not_counted(
    app: LedgerApplication, workers: Any, limit: int
) -> None:
    app.create_account("Reuse Ltd", ACCOUNT)
    key = app.create_api_key(ACCOUNT)
    client = workers(RATE_LIMIT=limit)
    assert [client.get(CONTRACTS, headers=bearer(key)).status_code for _ in range(3)] == [200, 200, 200]
    counted = hits(app, key)
    assert counted == (3 if limit else None)
    app.revoke_key(key_id(hash_key(key)))  # another process (the CLI) records the revocation
    answer = client.get(CONTRACTS, headers=bearer(key))
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"
    assert hits(app, key) == counted  # a refused key's request counts for nothing
    assert client.get(CONTRACTS, headers=bearer(key)).status_code == 401


def test_counting_at_a_version_counts_only_while_the_key_is_at_that_version(app: LedgerApplication) -> None:
    app.create_account("Reuse Ltd", ACCOUNT)
    key = app.create_api_key(ACCOUNT)
    aggregate_id, ident = api_key_aggregate_id(hash_key(key)), key_id(hash_key(key))
    version: int = app.repository.get(aggregate_id).version
    contract_id = app.sign_contract(ACCOUNT, sign_command(), idempotency_key="s").contract_id
    usage = app.key_usage
    assert usage.heads is not None and usage.heads.versions(aggregate_id, UUID(contract_id)) == [version, 1]
    assert [usage.hit_if_at(ident, 600, "t", aggregate_id, version) for _ in range(2)] == [(1, None), (2, None)]
    assert usage.hit_if_at(ident, 600, "t", aggregate_id, version + 1) == (None, None)
    assert usage.hit_if_at(ident, 660, "t", aggregate_id, version, UUID(contract_id)) == (1, 1)  # a new window
    assert usage.hit_if_at(ident, 660, "t", aggregate_id, version, uuid4()) == (2, None)  # no such aggregate
    assert hits(app, key) == 2
    app.revoke_key(ident)
    assert usage.heads.version(aggregate_id) == version + 1
    assert usage.hit_if_at(ident, 660, "t", aggregate_id, version, UUID(contract_id)) == (None, None)
    assert hits(app, key) == 2


@pytest.mark.parametrize("limit", [600, 0])
def test_a_summary_follows_writes_made_by_another_worker_and_each_as_of_date(
    app: LedgerApplication, workers: Any, limit: int
) -> None:
    app.create_account("Reuse Ltd", ACCOUNT)
    app.create_account("Other Ltd", OTHER)
    key, stranger = app.create_api_key(ACCOUNT), app.create_api_key(OTHER)
    reader, writer = workers(RATE_LIMIT=limit), workers(RATE_LIMIT=limit)
    signed = writer.post(CONTRACTS, headers=bearer(key, **{"Idempotency-Key": "sign"}),
                         json=json.loads(json.dumps(terms(), default=str)))
    assert signed.status_code == 201, signed.get_json()
    location = signed.headers["Location"]
    first = reader.get(location, headers=bearer(key))
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    assert reader.get(location, headers=bearer(key)).data == first.data
    noted = writer.post(f"{location}/communications", headers=bearer(key, **{"Idempotency-Key": "n1"}), json=NOTE)
    assert noted.status_code == 201, noted.get_json()
    for query in ({}, {"as_of": "2026-01-06"}, {}):
        fresh = workers().get(location, headers=bearer(key), query_string=query)  # a worker that kept nothing
        again = reader.get(location, headers=bearer(key), query_string=query)
        assert again.status_code == fresh.status_code == 200
        assert again.data == fresh.data and again.headers["ETag"] == fresh.headers["ETag"] == '"2"'
    assert reader.get(location, headers=bearer(stranger)).status_code == 404  # kept, but never for another account


def test_rendered_summaries_are_bounded_and_kept_per_account() -> None:
    cache = RenderedSummaries(size=2)
    ids = [uuid4() for _ in range(3)]
    for index, contract_id in enumerate(ids):
        cache.put(contract_id, "2026-01-01", Rendered("a", 1, f"body {index}"))
    assert cache.get(ids[0], 1, "2026-01-01", "a") is None  # the least recently used went first
    assert [cache.get(i, 1, "2026-01-01", "a") for i in ids[1:]] == [Rendered("a", 1, "body 1"), Rendered("a", 1, "body 2")]
    assert cache.get(ids[1], 1, "2026-01-01", "b") is None
    assert cache.get(ids[1], 2, "2026-01-01", "a") is None and cache.get(ids[1], None, "2026-01-01", "a") is None
    assert cache.get(ids[1], 1, "2026-01-02", "a") is None
    by_size = RenderedSummaries(size=10, chars_max=10)
    by_size.put(ids[0], "2026-01-01", Rendered("a", 1, "x" * 6))
    by_size.put(ids[0], "2026-01-01", Rendered("a", 1, "y" * 6))  # the same entry again: counted once
    assert by_size.get(ids[0], 1, "2026-01-01", "a") == Rendered("a", 1, "y" * 6) and by_size.chars == 6
    by_size.put(ids[1], "2026-01-01", Rendered("a", 1, "z" * 6))  # over 10 characters: the oldest goes
    assert by_size.get(ids[0], 1, "2026-01-01", "a") is None and by_size.chars == 6
    by_size.put(ids[2], "2026-01-01", Rendered("a", 1, "w" * 11))  # larger than the whole budget: not kept
    assert by_size.get(ids[2], 1, "2026-01-01", "a") is None and by_size.get(ids[1], 1, "2026-01-01", "a") is not None
