"""The `ledger` console script as a person runs it: demo, events, verify, db migrate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from uuid import UUID

from infrastructure.store import StoreConfig
from ledger_cli.story import DEMO_CONTRACT_ID
from tests.integration.store_sql import update_state

LEDGER = str(Path(sys.executable).parent / "ledger")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LEDGER_DATABASE_URL"} | (env or {})
    return subprocess.run([LEDGER, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def test_the_demo_shows_the_final_third_overdue_verifies_and_prints_the_same_every_run(tmp_path: Path) -> None:
    first, second = run("demo", cwd=tmp_path), run("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Overdue as of 2026-08-10: GBP 4,000.00" in first.stdout
    assert "verify: OK" in first.stdout and "status: OVERDUE" in first.stdout
    assert first.stdout == second.stdout  # fixed dates and a fixed recording clock: the same record, hashes included


def test_events_and_verify_show_the_chain_and_name_an_edited_event(tmp_path: Path) -> None:
    assert run("demo", cwd=tmp_path).returncode == 0
    store = StoreConfig(f"sqlite:///{tmp_path}/ledger-demo.db")
    env = {"LEDGER_DATABASE_URL": store.url}
    lines = run("events", str(DEMO_CONTRACT_ID), "--json", cwd=tmp_path, env=env).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["version"] for r in records] == list(range(1, 16))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in pairwise(records))
    ok = run("verify", str(DEMO_CONTRACT_ID), cwd=tmp_path, env=env)
    assert ok.returncode == 0 and f"fingerprint {records[-1]['hash']}" in ok.stdout

    update_state(store, UUID(str(DEMO_CONTRACT_ID)), 3, lambda state: state.__setitem__("amount", 1))
    broken = run("verify", str(DEMO_CONTRACT_ID), cwd=tmp_path, env=env)
    assert broken.returncode == 1 and "BROKEN at version 3" in broken.stdout


def test_an_unknown_contract_is_a_clear_error(tmp_path: Path) -> None:
    result = run("events", "00000000-0000-0000-0000-000000000001", cwd=tmp_path,
                 env={"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    assert result.returncode == 1 and "contract_not_found" in result.stderr


def test_db_migrate_creates_the_postgresql_tables_once_and_again_harmlessly(tmp_path: Path, pg_store: StoreConfig) -> None:
    for _ in range(2):
        result = run("db", "migrate", cwd=tmp_path, env={"LEDGER_DATABASE_URL": pg_store.url})
        assert result.returncode == 0, result.stderr
    verify = run("verify", str(DEMO_CONTRACT_ID), cwd=tmp_path, env={"LEDGER_DATABASE_URL": pg_store.url})
    assert verify.returncode == 1 and "no events are stored" in verify.stderr
