"""The projector's tracking: a batch applies once, and a stale position rolls the whole batch back."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from application.service import LedgerApplication
from ledger_cli.story import run_story
from projections.db import Database
from projections.models import READ_MODELS
from projections.projector import (
    Batch,
    ConcurrentRunner,
    ContractEvent,
    Projector,
    drop_model,
    ensure_tables,
    move_position,
    tracking_rows,
)
from projections.runner import LogSource, Runner
from tests.seeding import seed

ACCOUNT = "acct-positions"


def snapshot(db: Database) -> dict[str, Any]:
    tables = {t.name: sorted(db.fetchall(f"SELECT * FROM {t.name}"), key=repr) for m in READ_MODELS.values()
              for t in m.tables}
    return {**tables, "tracking": [(r["projection"], r["position"], r["events_applied"]) for r in tracking_rows(db)]}


def test_a_batch_applied_twice_is_applied_once(app: LedgerApplication) -> None:
    run_story(app, ACCOUNT)
    db = Database(app.store)
    try:
        projector = Projector(app, db)
        batch = LogSource(app).read(0, 1000)
        assert batch is not None
        assert projector.apply(batch) == 15 * len(READ_MODELS)  # the story's 15 contract events, once per model
        before = snapshot(db)
        assert Projector(app, db).apply(batch) == 0
        assert snapshot(db) == before
    finally:
        db.close()


def test_a_position_moved_by_another_runner_refuses_the_batch_and_changes_nothing(app: LedgerApplication) -> None:
    run_story(app, ACCOUNT)
    db = Database(app.store)
    try:
        ensure_tables(db, list(READ_MODELS.values()))
        projector = Projector(app, db, ["aging"])
        first = LogSource(app).read(0, 10)
        assert first is not None
        projector.apply(first)
        before = snapshot(db)
        with pytest.raises(ConcurrentRunner), db.transaction():
            db.execute("DELETE FROM rm_aging_entries")  # part of a batch that must not survive
            move_position(db, "aging", "log", 0, first.position + 5, 3)  # it believes the position is still 0
        assert snapshot(db) == before
    finally:
        db.close()


def test_two_runners_catching_up_at_once_apply_each_event_once(app: LedgerApplication) -> None:
    recorded = seed(app, 1_500, per_save=10)
    runners = [Runner(app.store, batch_size=7) for _ in range(2)]
    errors: list[BaseException] = []

    def catch_up(runner: Runner) -> None:
        try:
            runner.catch_up()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=catch_up, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert errors == []
        raced = snapshot(runners[0].db)
        assert {row[2] for row in raced["tracking"]} == {recorded}
        for name in READ_MODELS:
            runners[0].rebuild(name)
        rebuilt = snapshot(runners[0].db)
        assert {k: v for k, v in rebuilt.items() if k != "tracking"} == {k: v for k, v in raced.items() if k != "tracking"}
    finally:
        for runner in runners:
            runner.close()


def test_a_batch_from_another_source_without_decoded_events_builds_the_same_rows(app: LedgerApplication) -> None:
    """As a Kafka consumer would: (offset, contract id, version) only; the projector loads each contract."""
    run_story(app, ACCOUNT)
    local, other = Database(app.store), Database(app.store)
    try:
        batch = LogSource(app).read(0, 1000)
        assert batch is not None
        Projector(app, local).apply(batch)
        expected = {k: v for k, v in snapshot(local).items() if k != "tracking"}
        for model in READ_MODELS.values():
            drop_model(other, model)
        bare = Batch("kafka:ledger.events:0", 41, [ContractEvent(offset, item.contract_id, item.version)
                                                   for offset, item in enumerate(batch.events, start=27)])
        assert Projector(app, other).apply(bare) == 15 * len(READ_MODELS)
        assert {k: v for k, v in snapshot(other).items() if k != "tracking"} == expected
        assert Projector(app, other).positions("kafka:ledger.events:0") == dict.fromkeys(READ_MODELS, 41)
    finally:
        local.close()
        other.close()


def test_a_model_dropped_by_another_process_is_rebuilt_whole_by_a_runner_that_last_saw_it_at_the_head(
    app: LedgerApplication,
) -> None:
    run_story(app, ACCOUNT)
    runner = Runner(app.store, app=app)
    other = Database(app.store)
    try:
        runner.catch_up()
        drop_model(other, READ_MODELS["aging"])  # `ledger project --rebuild aging` elsewhere, before it starts
        seed(app, 60, account_id="acct-positions-later", per_save=3)  # more events, read from where it last was
        runner.catch_up()
        incremental = snapshot(runner.db)
        runner.rebuild("aging")
        assert snapshot(runner.db) == incremental
        assert snapshot(runner.db)["rm_aging_invoices"]  # the story's invoices are all there, both accounts
    finally:
        other.close()
        runner.close()
