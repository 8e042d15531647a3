"""Fixtures shared by every test layer.

``store`` runs a test once on SQLite (a file in tmp_path) and once on
PostgreSQL (a fresh schema in a throwaway database for the run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from tests import pg
from tests.browser import chromium  # noqa: F401 - headless Chromium fixture
from tests.kafka import kafka_broker, kafka_settings  # noqa: F401 - Tansu broker fixtures
from tests.smtp import mail_server  # noqa: F401 - a real SMTP server (aiosmtpd)
from tests.tsa import local_tsa  # noqa: F401 - local RFC 3161 timestamp authority fixture


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for layer in ("unit", "integration", "e2e"):
            if f"/tests/{layer}/" in str(item.fspath):
                item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    try:
        with pg.server_url() as admin_url, pg.throwaway_database(admin_url) as url:
            yield url
    except Exception as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not available outside CI: {error}")


@pytest.fixture
def pg_store(pg_database_url: str) -> StoreConfig:
    schema = pg.create_schema(pg_database_url)
    return StoreConfig(f"{pg_database_url}?schema={schema}")


@pytest.fixture
def sqlite_store(tmp_path: os.PathLike[str]) -> StoreConfig:
    return StoreConfig(f"sqlite:///{tmp_path}/ledger.db")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> StoreConfig:
    name = "sqlite_store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def app(store: StoreConfig) -> Iterator[LedgerApplication]:
    application = LedgerApplication(store, create_tables=True)
    yield application
    application.close()
