"""How far behind the read models are (status and the lag histogram), and the two ways a page's rows are written."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections import db as db_module
from projections.db import Database
from projections.models import READ_MODELS
from projections.projector import LAG, drop_model
from projections.runner import Runner
from tests.seeding import new_contract, seed


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {t.name: sorted(db.fetchall(f"SELECT * FROM {t.name}"), key=repr) for m in READ_MODELS.values()
            for t in m.tables}


def histogram_count(name: str) -> float:
    return sum(s.value for metric in LAG.collect() for s in metric.samples
               if s.name.endswith("_count") and s.labels.get("projection") == name)


def test_status_says_how_long_ago_the_oldest_unapplied_event_was_recorded_and_zero_once_caught_up(
    store: StoreConfig,
) -> None:
    app = LedgerApplication(store, create_tables=True)
    runner = Runner(store, app=app)
    try:
        runner.catch_up()
        assert {row["behind_s"] for row in runner.status()} == {0.0}
        before = time.monotonic()
        app.save(new_contract("acct-lag", 1))  # its events get their recorded time here; not applied yet
        time.sleep(0.3)
        behind = {row["projection"]: row["behind_s"] for row in runner.status()}
        waited = time.monotonic() - before + 0.01  # behind_s is rounded to the ms, from the wall clock
        assert all(0.3 <= seconds <= waited for seconds in behind.values()), (behind, waited)
        runner.catch_up()
        assert {row["behind_s"] for row in runner.status()} == {0.0}
    finally:
        runner.close()
        app.close()


def test_each_applied_event_records_its_recording_to_commit_delay_once_per_read_model(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    runner = Runner(store, ["contracts", "licences"], app=app)
    try:
        runner.catch_up()
        counted = {name: histogram_count(name) for name in ("contracts", "licences", "aging")}
        started = time.monotonic()
        contract = new_contract("acct-lag", 2)
        events = len(contract.pending_events)
        app.save(contract)
        contract.log_communication(occurred_on=date(2026, 6, 1), direction="inbound", channel="email", summary="hi")
        app.save(contract)
        runner.projector.lags.clear()
        runner.catch_up()
        elapsed = time.monotonic() - started + 0.01  # lags come from the wall clock, this from the monotonic one
        assert len(runner.projector.lags) == events + 1
        assert all(0 <= lag <= elapsed for lag in runner.projector.lags)
        assert histogram_count("contracts") == counted["contracts"] + events + 1
        assert histogram_count("licences") == counted["licences"] + events + 1
        assert histogram_count("aging") == counted["aging"]  # not run here: nothing observed for it
    finally:
        runner.close()
        app.close()


def test_a_page_written_in_one_insert_statement_or_with_copy_gives_the_same_rows(
    pg_store: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = LedgerApplication(pg_store, create_tables=True)
    seed(app, 1_500, per_save=10)
    runner = Runner(pg_store, app=app, batch_size=400)
    try:
        monkeypatch.setattr(db_module, "SMALL_PAGE_ROWS", 10**9)  # every page in one INSERT statement
        runner.catch_up()
        one_statement = dump(runner.db)
        monkeypatch.setattr(db_module, "SMALL_PAGE_ROWS", 0)  # every page with COPY, table by table
        for model in READ_MODELS.values():
            drop_model(runner.db, model)
        runner = Runner(pg_store, app=app, batch_size=400)
        runner.catch_up()
        assert dump(runner.db) == one_statement
        assert sum(len(rows) for rows in one_statement.values()) > 1_500  # every table had rows to compare
        assert all(one_statement[t.name] for t in READ_MODELS["reminders"].tables)
    finally:
        runner.close()
        app.close()
