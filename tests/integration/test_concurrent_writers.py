"""Several OS processes writing to one contract on PostgreSQL lose and duplicate nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from tests.factories import as_command, money, signing, terms

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 500


def test_two_processes_appending_to_one_contract_leave_a_gapless_intact_chain(pg_store: StoreConfig) -> None:
    app = LedgerApplication(pg_store, create_tables=True)
    contract_id = app.sign_contract("acct", signing(terms()), idempotency_key="sign").contract_id
    app.execute("acct", contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "lines": [{"description": "Retainer", "amount": money(5_000)}]}),
                idempotency_key="invoice")
    start_version = app.get_contract("acct", contract_id).version
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.integration.hammer", pg_store.url, contract_id, name, str(PER_PROCESS)],
                         cwd=ROOT)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=240) for w in workers] == [0, 0]

    records = app.event_records("acct", contract_id)
    assert [r.version for r in records] == list(range(1, start_version + 2 * PER_PROCESS + 1))
    assert len(records) - start_version == 2 * PER_PROCESS
    payment_ids = [r.payload["payment_id"] for r in records if r.event_type == "PaymentReceived"]
    assert sorted(payment_ids) == sorted(f"{w}-{i}" for w in "ab" for i in range(PER_PROCESS))
    assert app.get_contract("acct", contract_id).paid_total() == 2 * PER_PROCESS
    result = app.verify("acct", contract_id)
    assert result.ok and result.version == start_version + 2 * PER_PROCESS
