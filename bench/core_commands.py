"""Command throughput of the application service, against the library's bare save as the baseline.

baseline: one aggregate event per ``save()`` with eventsourcing alone (no idempotency record,
no hash chain, no guards). ours: ``LedgerApplication.execute`` — load, guards, hash, one
event plus its idempotency record in one transaction. The ratio is what our guarantees cost.
"""

from __future__ import annotations

import sys
from datetime import date
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from application.service import LedgerApplication
from bench.common import postgres_url, print_table, sqlite_url, timed, write_results
from infrastructure.store import StoreConfig
from tests.factories import as_command, signing

COMMANDS = 400


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, note: str) -> None:
        self.count += 1


class Bare(Application):
    snapshotting_intervals = {Counter: 100}  # noqa: RUF012 - same snapshot interval as the ledger's contracts


def baseline(url: str) -> float:
    app = Bare(env=StoreConfig(url).library_env(create_tables=True))
    counter = Counter()
    app.save(counter)

    def run() -> None:
        for index in range(COMMANDS):
            item = app.repository.get(counter.id)
            item.increment(note=f"n{index}")
            app.save(item)

    seconds = timed(run)
    app.close()
    return COMMANDS / seconds


def ours(url: str) -> float:
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    from tests.factories import terms

    contract_id = app.sign_contract("bench", signing(terms()), idempotency_key=str(uuid4())).contract_id
    args = {"occurred_on": date(2026, 2, 1), "direction": "outbound", "channel": "email", "summary": "note"}

    def run() -> None:
        for index in range(COMMANDS):
            app.execute("bench", contract_id, as_command("log_communication", args), idempotency_key=f"k{index}")

    seconds = timed(run)
    app.close()
    return COMMANDS / seconds


def main() -> None:
    rows, results = [], {}
    for name, factory in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        with factory() as url:
            base = baseline(url)
        with factory() as url:
            mine = ours(url)
        rows.append([name, f"{base:,.0f}", f"{mine:,.0f}", f"{mine / base:.2f}"])
        results[name] = {"baseline_cmds_per_s": round(base), "ledger_cmds_per_s": round(mine), "ratio": round(mine / base, 3)}
    print_table(f"Command round trips ({COMMANDS} on one contract)", ["store", "library bare save/s",
                "ledger execute/s", "ratio"], rows)
    print(f"results: {write_results('core_commands', results)}")


if __name__ == "__main__":
    sys.exit(main())
