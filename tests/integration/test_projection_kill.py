"""A ``ledger project`` process killed with SIGKILL at random points ends identical to a clean rebuild."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.db import Database
from projections.feed import FEED
from projections.models import READ_MODELS
from projections.projector import tracking_rows
from projections.runner import Runner
from tests.seeding import seed

EVENTS = 6_000
KILLS = 5
PROGRESS_WAIT_S = 60.0
LEDGER = [sys.executable, "-c", "from ledger_cli.main import cli; cli()"]


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    tables = [t.name for m in READ_MODELS.values() for t in m.tables]
    return {name: sorted(db.fetchall(f"SELECT * FROM {name}"), key=repr) for name in tables}


def log_position(db: Database, pick: Any = min) -> int:
    """The tracked position in the notification log: ``min`` over the projections (what all have), or ``max``."""
    return int(pick((r["position"] for r in tracking_rows(db) if r["source"] == "log"), default=0))


def project_until_killed(env: dict[str, str], db: Database, delay: float) -> bool:
    """Start a catch-up; SIGKILL it ``delay`` seconds after it has moved a position. True if it was still running.

    The kill waits for progress rather than for a fixed time: on a loaded machine the CLI alone can take
    seconds to start, and a kill before its first batch proves nothing about a kill mid catch-up."""
    before = log_position(db, max)
    process = subprocess.Popen([*LEDGER, "project", "--exit-when-caught-up", "--batch-size", "5"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + PROGRESS_WAIT_S
    while process.poll() is None and time.monotonic() < deadline and log_position(db, max) <= before:
        time.sleep(0.02)
    time.sleep(delay)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return alive


def test_a_projection_killed_at_random_points_ends_identical_to_a_clean_rebuild(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    recorded = seed(app, EVENTS, per_save=25)
    env = {**os.environ, "LEDGER_DATABASE_URL": store.url}
    chance = random.Random()
    seed_value = chance.randrange(10**6)
    chance.seed(seed_value)
    head = int(app.recorder.max_notification_id() or 0)
    positions = []
    with_db = Database(store)
    for _ in range(KILLS):
        if project_until_killed(env, with_db, chance.uniform(0.0, 0.5)):
            positions.append(log_position(with_db))
    with_db.close()
    finish = subprocess.run([*LEDGER, "project", "--exit-when-caught-up"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert finish.returncode == 0, finish.stderr
    runner = Runner(store, app=app)
    try:
        after_kills = dump(runner.db)
        applied = {row["projection"]: row["events_applied"] for row in tracking_rows(runner.db)}
        for name in READ_MODELS:
            runner.rebuild(name)
        assert dump(runner.db) == after_kills, f"random seed {seed_value}"
        # each event applied once, none twice, none skipped: by every read model and by the event feed's index
        assert applied == {**dict.fromkeys(READ_MODELS, recorded), FEED: recorded}
        seqs = [row[0] for row in runner.db.fetchall("SELECT seq FROM feed_events WHERE account_id = 'bench' ORDER BY seq")]
        assert seqs == list(range(1, recorded + 1))
        assert any(0 < p < head for p in positions), f"no kill landed mid catch-up: {positions} (seed {seed_value})"
    finally:
        runner.close()
        app.close()
