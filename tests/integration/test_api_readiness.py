"""When the store goes away under a running service: /readyz says so, and requests get 503, not 500."""

from __future__ import annotations

import sqlite3

from api import create_app
from infrastructure.store import StoreConfig


def test_a_store_that_lost_its_tables_makes_readyz_and_requests_503_with_retry_after(sqlite_store: StoreConfig) -> None:
    app = create_app(DATABASE_URL=sqlite_store.url, RUN_PROJECTIONS=False)
    ledger = app.extensions["ledger"]
    key = ledger.create_api_key(ledger.create_account("Ada"))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    with sqlite3.connect(sqlite_store.sqlite_path) as conn:
        conn.execute("DROP TABLE stored_events")

    ready = client.get("/readyz")
    read = client.get("/v1/contracts/00000000-0000-4000-8000-000000000000", headers={"Authorization": f"Bearer {key}"})
    assert client.get("/healthz").status_code == 200
    for answer in (ready, read):
        assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
        assert answer.get_json()["code"] == "store_unavailable"
        assert answer.headers["Retry-After"] == "1"
    ledger.close()
