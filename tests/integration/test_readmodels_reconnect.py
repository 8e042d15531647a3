"""Read models on PostgreSQL after the server dropped their connections: they reconnect, or answer 503 until they can.

Each test uses a database of its own and terminates only the read models' backends of that database (the pool
names them ``pgpool.APPLICATION_NAME``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.pgpool import APPLICATION_NAME
from projections.runner import Runner
from projections.service import ReadModels
from tests import pg
from tests.factories import signing, terms
from tests.kafka import wait_until
from tests.pg import connections_refused

AS_OF = "2026-03-01"
READ_ROUTES = (f"/v1/contracts?as_of={AS_OF}", f"/v1/reports/aging?as_of={AS_OF}")


@contextmanager
def own_store() -> Iterator[tuple[str, str, StoreConfig]]:
    """(admin URL, database name, store) on a throwaway database of this test."""
    with pg.server_url() as admin_url, pg.throwaway_database(admin_url) as url:
        yield admin_url, url.rsplit("/", 1)[1], StoreConfig(f"{url}?schema={pg.create_schema(url)}")


def terminate(admin_url: str, database: str) -> int:
    """End every read-model connection to the test's database; how many there were."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                            "WHERE datname = %s AND application_name = %s", (database, APPLICATION_NAME)).fetchall()
    assert rows and all(row == (True,) for row in rows), "the read models must have connections to terminate"
    return len(rows)


def contract_count(client: FlaskClient, auth: dict[str, str]) -> int:
    answer = client.get(READ_ROUTES[0], headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return len(answer.get_json()["items"])


def test_read_routes_and_readyz_reconnect_after_the_server_dropped_the_connection_and_answer_503_while_it_cannot() -> None:
    with own_store() as (admin_url, database, store):
        app = LedgerApplication(store, create_tables=True)
        flask_app = create_app(DATABASE_URL=store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False)
        account = app.create_account("Ada Byte Studio Ltd")
        auth = {"Authorization": f"Bearer {app.create_api_key(account)}"}
        app.sign_contract(account, signing(terms()), idempotency_key="sign-1")
        runner = Runner(store, app=app)
        runner.catch_up()
        runner.db.close()
        client = flask_app.test_client()
        read_models: ReadModels = flask_app.extensions["read_models"]
        assert contract_count(client, auth) == 1

        terminate(admin_url, database)
        assert contract_count(client, auth) == 1
        assert [client.get(path, headers=auth).status_code for path in (*READ_ROUTES, "/readyz")] == [200, 200, 200]

        with connections_refused(admin_url, database):
            terminate(admin_url, database)
            for path in (*READ_ROUTES, "/readyz"):
                answer = client.get(path, headers=auth)
                assert answer.status_code == 503 and answer.mimetype == "application/problem+json", path
                assert answer.get_json()["code"] == "store_unavailable" and answer.headers["Retry-After"] == "1"
        assert contract_count(client, auth) == 1
        assert client.get("/readyz").status_code == 200
        read_models.close()
        app.close()


def test_the_projection_runner_carries_on_after_the_server_dropped_its_connection() -> None:
    with own_store() as (admin_url, database, store):
        app = LedgerApplication(store, create_tables=True)
        runner = Runner(store, app=app)
        read_models = ReadModels(store)

        def listed() -> int:
            return len(read_models.contracts("acct-rc", AS_OF)[0]["items"])

        stop = threading.Event()
        thread = threading.Thread(target=runner.run_forever, args=(stop, 0.05), daemon=True)
        thread.start()
        try:
            app.sign_contract("acct-rc", signing(terms()), idempotency_key="sign-1")
            wait_until(lambda: listed() == 1, timeout_s=10)
            terminate(admin_url, database)
            app.sign_contract("acct-rc", signing(terms()), idempotency_key="sign-2")
            wait_until(lambda: listed() == 2, timeout_s=10)
        finally:
            stop.set()
            thread.join(10)
        runner.close()
        read_models.close()
        app.close()
