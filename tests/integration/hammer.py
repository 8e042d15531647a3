"""A worker process for the concurrency test: N one-penny payments on one contract."""

from __future__ import annotations

import sys
from datetime import date

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.errors import VersionConflict
from tests.factories import as_command


def main(url: str, contract_id: str, worker: str, count: int) -> None:
    app = LedgerApplication(StoreConfig(url), create_tables=False)
    for index in range(count):
        key = f"{worker}-{index}"
        args = {"occurred_on": date(2026, 2, 1), "payment_id": key, "amount": {"amount": 1, "currency": "EUR"}}
        while True:  # the service retries conflicts itself; a run of bad luck is retried here, safely (same key)
            try:
                app.execute("acct", contract_id, as_command("record_payment", args), idempotency_key=key)
                break
            except VersionConflict:
                continue
    app.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
