"""PostgreSQL: a save's notification ids never become visible after a later save's (readers keep positions)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from application.service import LedgerApplication
from infrastructure.ordered_log import OrderedPostgresApplicationRecorder
from infrastructure.store import StoreConfig
from ledger.errors import ConfigurationError
from tests.factories import signing, terms

HELD_S = 1.0


def hold_commits_of(app: LedgerApplication, thread_name: str, inserted: threading.Event,
                    release: threading.Event) -> None:
    """The saves ``thread_name`` makes through ``app`` stop after their insert, before their commit, until ``release``."""
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    inner: Callable[..., Any] = datastore.get_connection

    @contextmanager
    def held(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with inner(*args, **kwargs) as connection:
            if threading.current_thread().name != thread_name:
                yield connection
                return
            with connection.transaction():
                yield connection
                inserted.set()
                release.wait(timeout=30)

    datastore.get_connection = held


def visible_ids(app: LedgerApplication) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(start=1, limit=1000)]


def test_a_save_that_took_later_ids_is_not_visible_before_an_earlier_save_commits(pg_store: StoreConfig) -> None:
    first, second = LedgerApplication(pg_store, create_tables=True), LedgerApplication(pg_store)
    assert isinstance(first.recorder, OrderedPostgresApplicationRecorder)
    inserted, release, second_done = threading.Event(), threading.Event(), threading.Event()
    hold_commits_of(first, "first-writer", inserted, release)
    try:
        writer = threading.Thread(name="first-writer", target=lambda: first.sign_contract(
            "acct", signing(terms()), idempotency_key="first"))
        writer.start()
        assert inserted.wait(timeout=30), "the first save never reached its insert"

        def second_save() -> None:
            second.sign_contract("acct", signing(terms()), idempotency_key="second")
            second_done.set()

        other = threading.Thread(target=second_save)
        other.start()
        # While the first save is inserted but not committed, the second waits its turn: nothing of it is visible,
        # so a reader cannot move its position past the first save's ids before they are there to read.
        assert not second_done.wait(timeout=HELD_S), "a later save committed while an earlier one was in flight"
        assert visible_ids(second) == []
        release.set()
        writer.join(timeout=30)
        other.join(timeout=30)
        assert second_done.is_set()
        assert len(visible_ids(second)) == 4  # each signing: the contract's event and its idempotency record
    finally:
        release.set()
        first.close()
        second.close()


def test_a_service_on_a_store_whose_insert_function_predates_the_ordered_log_is_refused_until_migrated(
    pg_store: StoreConfig,
) -> None:
    migrated = LedgerApplication(pg_store, create_tables=True)
    migrated.sign_contract("acct", signing(terms()), idempotency_key="before")
    recorder = migrated.recorder
    library = PostgresApplicationRecorder(datastore=recorder.datastore,  # type: ignore[attr-defined]
                                          events_table_name=recorder.events_table_name)  # type: ignore[attr-defined]
    with recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
        conn.execute(library.sql_create_pg_function_insert_events)  # the function as an older migration left it
    head = recorder.max_notification_id()
    migrated.close()

    with pytest.raises(ConfigurationError, match="ledger db migrate"):
        LedgerApplication(pg_store)
    checker = LedgerApplication(pg_store, create_tables=True)  # what `ledger db migrate` does
    assert checker.recorder.max_notification_id() == head  # the refusal changed nothing
    checker.close()
    service = LedgerApplication(pg_store)
    service.sign_contract("acct", signing(terms()), idempotency_key="after")
    service.close()
