"""One gunicorn per store for the whole e2e session (started once, not per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from tests import pg
from tests.e2e.server import Client, Server, migrate, start_gunicorn, stop


def session_store(request: pytest.FixtureRequest, workdir: Path) -> StoreConfig:
    if request.param == "sqlite":
        return StoreConfig(f"sqlite:///{workdir}/ledger.db")
    database_url = request.getfixturevalue("pg_database_url")
    return StoreConfig(f"{database_url}?schema={pg.create_schema(database_url)}")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"api-{request.param}")
    store = session_store(request, workdir)
    migrate(store)
    reader = LedgerApplication(store, create_tables=False)
    ada, bob = reader.create_account("Ada Byte Studio"), reader.create_account("Bob's Agency")
    process, url = start_gunicorn(store, workdir)
    try:
        yield Server(url, store, reader, Client(url, reader.create_api_key(ada)), Client(url, reader.create_api_key(bob)))
    finally:
        stop(process)
        reader.close()
