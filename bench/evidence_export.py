"""Evidence export and verify of one contract with 1,000 to 10,000 events: time and size (target: 10k under 2 s each).

The contract is a long-running engagement: per ten events, one invoice, one part payment,
two reminders and six logged communications. Timed: ``export_bundle`` from the store
(read the chain, rebuild the contract, compute the claim, build both PDFs, CSVs, manifest,
ZIP) and ``verify_bundle`` offline, each the median of three runs with their range.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from application.service import LedgerApplication
from bench.common import postgres_url, print_table, scaled, sqlite_url, timed, write_results
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger.contract import Contract
from tests.factories import signing

SIZES = (1_000, 2_500, 5_000, 10_000) if scaled(1, 0) else (100,)
ACCOUNT = "bench"
START = date(2023, 1, 2)
SAVE_EVERY = 500
RUNS = scaled(3, 1)
TARGET_S = 2.0


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


def cycle(contract: Contract, n: int) -> None:
    """Ten events on day ``n``: an invoice, a part payment, two reminders, six communications."""
    day = START + timedelta(days=n)
    number = f"B-{n:06d}"
    contract.issue_invoice(number=number, occurred_on=day, due_on=day,
                           lines=[{"description": f"Support, week {n}", "amount": gbp(100_000)}])
    contract.record_payment(payment_id=f"pay-{n}", occurred_on=day, amount=gbp(40_000), reference=f"REF {n}",
                            allocations={number: gbp(40_000)})
    for stage in ("friendly", "firm"):
        contract.record_reminder_sent(occurred_on=day, invoice_numbers=[number], stage=stage, channel="email")
    for k in range(6):
        contract.log_communication(occurred_on=day, direction="inbound" if k % 2 else "outbound", channel="email",
                                   summary=f"Message {k} about invoice {number}: timing of the next payment")


def build_contract(app: LedgerApplication, events: int) -> str:
    from tests.factories import terms

    contract_id = app.sign_contract(ACCOUNT, signing(terms(currency="GBP", jurisdiction="GB-ENG",
                                                                   occurred_on=START)), idempotency_key=str(uuid4())).contract_id
    contract = app.get_contract(ACCOUNT, contract_id)
    cycles = (events - 1) // 10
    for n in range(cycles):
        cycle(contract, n)
        if len(contract.pending_events) >= SAVE_EVERY:
            app.save(contract)
    for k in range(events - 1 - 10 * cycles):  # top up to exactly ``events``
        contract.log_communication(occurred_on=START + timedelta(days=cycles), direction="outbound", channel="phone",
                                   summary=f"Call {k}: chased the arrears")
    app.save(contract)
    return contract_id


def timed_with_cpu(func: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process: on a shared machine the CPU time is the steadier figure."""
    cpu = time.process_time()
    wall = timed(func)
    return wall, time.process_time() - cpu


def measure(url: str, events: int) -> dict[str, Any]:
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    try:
        contract_id = build_contract(app, events)
        as_of = START + timedelta(days=events // 10 + 30)
        holder: dict[str, Any] = {}

        def run() -> None:
            holder["bundle"] = export_bundle(app, ACCOUNT, contract_id, as_of=as_of, generated_at=datetime.now(UTC))

        exports, export_cpu = zip(*(timed_with_cpu(run) for _ in range(RUNS)), strict=True)
        bundle = holder["bundle"]

        def check() -> None:
            holder["check"] = verify_bundle(bundle.data)
            assert holder["check"].ok, holder["check"].failure

        verifies, verify_cpu = zip(*(timed_with_cpu(check) for _ in range(RUNS)), strict=True)
        pdf = bundle.manifest["files"]["bundle.pdf"]["bytes"]
        return {"events": bundle.manifest["events"], "export_s": round(statistics.median(exports), 3),
                "export_range": [round(min(exports), 3), round(max(exports), 3)],
                "export_cpu_s": round(statistics.median(export_cpu), 3),
                "verify_s": round(statistics.median(verifies), 3),
                "verify_range": [round(min(verifies), 3), round(max(verifies), 3)],
                "verify_cpu_s": round(statistics.median(verify_cpu), 3),
                "zip_bytes": len(bundle.data), "pdf_bytes": pdf, "bytes_per_event": round(len(bundle.data) / events)}
    finally:
        app.close()


def main() -> None:
    results: dict[str, list[dict[str, Any]]] = {}
    for name, factory in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        results[name] = []
        for size in SIZES:
            with factory() as url:
                results[name].append(measure(url, size))
    rows = [[store, r["events"], f"{r['export_s']:.2f}", "{:.2f}-{:.2f}".format(*r["export_range"]),
             f"{r['export_cpu_s']:.2f}", f"{r['verify_s']:.2f}", "{:.2f}-{:.2f}".format(*r["verify_range"]),
             f"{r['verify_cpu_s']:.2f}", f"{r['zip_bytes']:,}", f"{r['pdf_bytes']:,}", r["bytes_per_event"]]
            for store, runs in results.items() for r in runs]
    print_table(f"Evidence export and verify of one contract, median of {RUNS} (target: 10,000 events under "
                f"{TARGET_S:.0f} s each; linear growth)",
                ["store", "events", "export s", "range", "CPU s", "verify s", "range", "CPU s", "zip bytes", "pdf bytes",
                 "bytes/event"],
                rows)
    print(f"results: {write_results('evidence_export', results)}")


if __name__ == "__main__":
    main()
