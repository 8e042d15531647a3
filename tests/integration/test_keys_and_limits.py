"""API keys can be listed, revoked and rotated; limits hold across workers; headers and /metrics are locked down.

"Two workers" are two Flask apps, each with its own LedgerApplication on the same store, as gunicorn runs them.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger_cli.main import cli
from tests.factories import terms

ACCOUNT = "acct-keys"
CONTRACTS = "/v1/contracts"


def worker(store: StoreConfig, **config: Any) -> FlaskClient:
    app = LedgerApplication(store, create_tables=True)
    return create_app(DATABASE_URL=store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False, **config).test_client()


def admin(store: StoreConfig, *args: str) -> str:
    result = CliRunner().invoke(cli, ["admin", *args], env={"LEDGER_DATABASE_URL": store.url})
    assert result.exit_code == 0, result.output
    return result.stdout


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_id_of(store: StoreConfig, prefix: str) -> str:
    line = next(line for line in admin(store, "list-keys", ACCOUNT).splitlines() if f" {prefix} " in line)
    return line.split()[0]


@pytest.fixture
def account(app: LedgerApplication) -> str:
    app.create_account("Keys Ltd", ACCOUNT)
    return app.create_api_key(ACCOUNT)


def test_a_revoked_key_is_refused_at_once_by_every_worker_and_other_keys_still_work(
    app: LedgerApplication, account: str
) -> None:
    other = app.create_api_key(ACCOUNT)
    first, second = worker(app.store), worker(app.store)
    assert first.get(CONTRACTS, headers=bearer(account)).status_code == 200
    assert second.get(CONTRACTS, headers=bearer(account)).status_code == 200
    output = admin(app.store, "revoke-key", key_id_of(app.store, account[:7]))
    assert output.startswith("revoked key ")
    for client in (first, second):
        answer = client.get(CONTRACTS, headers=bearer(account))
        assert answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"
        assert client.get(CONTRACTS, headers=bearer(other)).status_code == 200


def test_rotating_a_key_revokes_it_and_the_new_key_acts_for_the_same_account(
    app: LedgerApplication, account: str
) -> None:
    client = worker(app.store)
    signed = client.post(
        CONTRACTS,
        headers={**bearer(account), "Idempotency-Key": "k1"},
        json=json.loads(json.dumps(terms(), default=str)),
    )
    assert signed.status_code == 201, signed.get_json()
    new_key = admin(app.store, "rotate-key", key_id_of(app.store, account[:7])).strip()
    assert new_key.startswith("lk_") and new_key != account
    assert client.get(CONTRACTS, headers=bearer(account)).status_code == 401
    contract = client.get(signed.headers["Location"], headers=bearer(new_key))
    assert contract.status_code == 200


def test_list_keys_shows_id_prefix_created_last_used_and_state_never_the_key(
    app: LedgerApplication, account: str
) -> None:
    unused = app.create_api_key(ACCOUNT)
    worker(app.store).get(CONTRACTS, headers=bearer(account))
    listing = admin(app.store, "list-keys", ACCOUNT)
    assert account not in listing and unused not in listing
    rows = {line.split()[2]: line.split() for line in listing.splitlines()[1:]}
    used, idle = rows[account[:7]], rows[unused[:7]]
    today = date.today().isoformat()
    assert used[1] == ACCOUNT and used[3].startswith(today) and used[4].startswith(today) and used[5] == "active"
    assert idle[4] == "never" and idle[5] == "active"


def test_revoking_an_unknown_key_id_is_a_clear_error(app: LedgerApplication, account: str) -> None:
    result = CliRunner().invoke(
        cli, ["admin", "revoke-key", "0123456789abcdef"], env={"LEDGER_DATABASE_URL": app.store.url}
    )
    assert result.exit_code == 1 and "not_found" in result.output


def test_the_rate_limit_is_shared_by_the_workers_answers_429_with_retry_after_and_records_nothing(
    app: LedgerApplication, account: str
) -> None:
    other = app.create_api_key(ACCOUNT)
    first, second = worker(app.store, RATE_LIMIT=3), worker(app.store, RATE_LIMIT=3)
    statuses = [client.get(CONTRACTS, headers=bearer(account)).status_code for client in (first, second, first)]
    assert statuses == [200, 200, 200]
    before = app.recorder.max_notification_id()
    refused = second.post(
        CONTRACTS,
        headers={**bearer(account), "Idempotency-Key": "k-limited"},
        json=json.loads(json.dumps(terms(), default=str)),
    )
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert app.recorder.max_notification_id() == before  # nothing recorded
    assert first.get(CONTRACTS, headers=bearer(other)).status_code == 200  # the limit is per key


def test_security_headers_are_on_every_answer_and_no_store_on_authenticated_ones(
    app: LedgerApplication, account: str
) -> None:
    client = worker(app.store)
    answers = {
        "ok": client.get(CONTRACTS, headers=bearer(account)),
        "unauthorized": client.get(CONTRACTS, headers=bearer("lk_nope")),
        "missing": client.get("/nowhere"),
        "health": client.get("/healthz"),
    }
    for name, answer in answers.items():
        assert answer.headers["X-Content-Type-Options"] == "nosniff", name
        assert answer.headers["X-Frame-Options"] == "DENY", name
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'"), name
    assert answers["ok"].headers["Cache-Control"] == "no-store"
    assert answers["unauthorized"].headers["Cache-Control"] == "no-store"


def test_the_docs_page_policy_allows_its_own_inline_code_by_hash_and_nothing_else(app: LedgerApplication) -> None:
    policy = worker(app.store).get("/docs").headers["Content-Security-Policy"]
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/]{43}='", policy)
    assert "unsafe-inline" not in policy and "connect-src 'self'" in policy


def test_metrics_are_for_the_operator_only(app: LedgerApplication) -> None:
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    open_client = worker(app.store)
    assert open_client.get("/metrics", environ_base=remote).status_code == 404
    assert open_client.get("/metrics").status_code == 200  # loopback, no token configured
    guarded = worker(app.store, METRICS_KEY="s3cret-metrics")
    assert guarded.get("/metrics").status_code == 404  # a token is set: loopback is not enough
    assert guarded.get("/metrics", headers=bearer("wrong"), environ_base=remote).status_code == 404
    assert guarded.get("/metrics", headers=bearer("s3cret-metrics"), environ_base=remote).status_code == 200


def test_an_unknown_http_method_is_counted_as_other_not_as_a_new_series(app: LedgerApplication) -> None:
    client = worker(app.store)
    client.open("/healthz", method="BREWCOFFEE")
    text = client.get("/metrics").get_data(as_text=True)
    assert "BREWCOFFEE" not in text
    assert re.search(r'ledger_http_requests_total\{method="other",route="unmatched",status="405"\} [1-9]', text)


def test_every_protected_operation_documents_401_and_429_with_retry_after(app: LedgerApplication) -> None:
    spec = worker(app.store).get("/openapi.json").get_json()
    protected = [op for ops in spec["paths"].values() for op in ops.values() if op["security"]]
    assert protected
    for op in protected:
        assert {"401", "429"} <= set(op["responses"]), op["summary"]
        assert "Retry-After" in op["responses"]["429"]["headers"]
