"""``make faults``: mixed faults against the full stack on PostgreSQL and Kafka while clients keep working.

Run: ``python -m tests.faults.run --seconds 600`` (``make faults``); the suite runs a bounded one (about a
minute, tests/faults/test_faults.py). It prints what was sent, acknowledged, retried and injected, and the
counts that must be zero: lost, duplicated, chains failing verify, read-model mismatches; and how long the
service took to be ready again after each outage ended. The figures also go to bench/results/faults.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from uuid import UUID

import requests

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.contracts import list_contracts
from projections.queries import aging
from projections.runner import Runner
from tests.e2e.bodies import TERMS
from tests.faults.load import HttpClient, KafkaClient, Prober, Tally, slow_clients
from tests.faults.stack import Stack
from tests.integration import readmodel_checker as check

ACCOUNT = "faults"
CONTRACTS = 8
HTTP_CLIENTS = 4
SLOW_CONNECTIONS = 50
FAULTS = (
    "worker_kill",
    "backend_terminate",
    "consumer_kill",
    "slow_clients",
    "relay_kill",
    "postgres_restart",
    "master_kill",
    "broker_kill",
    "projector_kill",
    "postgres_outage",
)
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "faults.json"


@dataclass
class Report:
    seconds: float
    commands_sent: int = 0
    acknowledged: int = 0
    refused: int = 0
    retried: int = 0
    abandoned: int = 0
    kafka_commands_sent: int = 0
    kafka_commands_recorded: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    chains_failing_verify: int = 0
    read_model_mismatches: int = 0
    orphaned_workers: int = 0
    recovery_seconds: dict[str, float | None] = field(default_factory=dict)
    p99_during_slow_clients_s: float | None = None

    @property
    def recovery_worst_s(self) -> float | None:
        values = list(self.recovery_seconds.values())
        return None if not values or None in values else max(v for v in values if v is not None)

    def table(self) -> str:
        rows = [
            ("commands sent (HTTP)", self.commands_sent),
            ("acknowledged", self.acknowledged),
            ("refused (definitive 4xx)", self.refused),
            ("retried", self.retried),
            ("abandoned (no answer by the end)", self.abandoned),
            ("commands sent (Kafka)", self.kafka_commands_sent),
            ("Kafka commands recorded", self.kafka_commands_recorded),
            ("faults injected", sum(self.faults_injected.values())),
            *((f"  {name}", count) for name, count in sorted(self.faults_injected.items())),
            ("lost (must be 0)", self.lost),
            ("duplicated (must be 0)", self.duplicated),
            ("chains failing verify (must be 0)", self.chains_failing_verify),
            ("read-model mismatches (must be 0)", self.read_model_mismatches),
            ("orphaned workers after a master kill", self.orphaned_workers),
            ("p99 of normal requests during slow clients (s)", fmt(self.p99_during_slow_clients_s)),
            ("longest unavailability after an outage ended (s)", fmt(self.recovery_worst_s)),
            *((f"  {name}", fmt(value)) for name, value in self.recovery_seconds.items()),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value:>10}" for name, value in rows)


def fmt(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}"


class FaultRun:
    def __init__(self, seconds: float, workdir: Path, outage_s: float) -> None:
        self.seconds, self.outage_s = seconds, outage_s
        self.stack = Stack(workdir)
        self.report = Report(seconds)
        self.injected: Counter[str] = Counter()
        self.outage_ends: dict[str, float] = {}
        self.slow_windows: list[tuple[float, float]] = []

    # -- set-up --------------------------------------------------------------------
    def open_account(self) -> tuple[str, list[str]]:
        self.stack.ledger("admin", "create-account", "Fault run", "--id", ACCOUNT)
        key = self.stack.ledger("admin", "create-key", ACCOUNT).strip().splitlines()[0]
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        contracts = []
        for n in range(CONTRACTS):
            answer = session.post(
                f"{self.stack.url}/v1/contracts",
                json={**TERMS, "title": f"Fault contract {n}"},
                headers={"Idempotency-Key": f"sign-{n}"},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            cid = answer.json()["id"]
            invoice = {"occurred_on": "2026-01-05", "milestone_keys": ["advance"], "number": f"F-{n}"}
            answer = session.post(
                f"{self.stack.url}/v1/contracts/{cid}/invoices",
                json=invoice,
                headers={"Idempotency-Key": f"invoice-{n}"},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            contracts.append(cid)
        return key, contracts

    # -- the faults ------------------------------------------------------------------
    def inject(self, kind: str) -> None:
        self.injected[kind] += 1
        stack = self.stack
        if kind == "worker_kill":
            pids = stack.http_worker_pids()
            if pids:
                import os
                import signal

                os.kill(random.choice(pids), signal.SIGKILL)
        elif kind == "master_kill":
            stack.kill(stack.api)
            self.report.orphaned_workers += stack.reap_orphans(wait_s=10)
            stack.start_api()
            self.outage_ends[f"master_kill #{self.injected[kind]}"] = time.monotonic()
        elif kind == "backend_terminate":
            stack.cluster.terminate_backends(stack.database)
            self.outage_ends[f"backend_terminate #{self.injected[kind]}"] = time.monotonic()
        elif kind == "postgres_restart":
            stack.cluster.stop("fast")
            stack.cluster.start()
            self.outage_ends[f"postgres_restart #{self.injected[kind]}"] = time.monotonic()
        elif kind == "postgres_outage":
            stack.cluster.stop("immediate")
            time.sleep(self.outage_s)
            stack.cluster.start()
            self.outage_ends[f"postgres_outage {self.outage_s:.0f}s #{self.injected[kind]}"] = time.monotonic()
        elif kind == "broker_kill":
            stack.kill(stack.broker)
            time.sleep(1)
            stack.start_broker()
        elif kind in ("consumer_kill", "relay_kill", "projector_kill"):
            name = {"consumer_kill": "consume", "relay_kill": "relay", "projector_kill": "project"}[kind]
            stack.kill(stack.workers[name])
            time.sleep(0.5)
            stack.start_worker(name)
        elif kind == "slow_clients":
            started = time.monotonic()
            slow_clients(stack.http_port, SLOW_CONNECTIONS, min(20.0, self.seconds / 10))
            self.slow_windows.append((started, time.monotonic()))

    def run_faults(self, stop: threading.Event) -> None:
        interval = self.seconds / len(FAULTS)
        for kind in FAULTS:
            if stop.wait(interval / 2):
                return
            self.inject(kind)
            if stop.wait(interval / 2):
                return

    # -- the run -----------------------------------------------------------------------
    def run(self) -> Report:
        self.stack.start()
        try:
            key, contracts = self.open_account()
            tally, stop, give_up_at = Tally(), threading.Event(), [float("inf")]
            http_share, kafka_share = contracts[:6], contracts[6:]
            threads: list[threading.Thread] = [
                HttpClient(self.stack.url, key, http_share, tally, stop, give_up_at) for _ in range(HTTP_CLIENTS)
            ]
            threads.append(KafkaClient(f"127.0.0.1:{self.stack.kafka_port}", ACCOUNT, kafka_share, tally, stop))
            prober_stop = threading.Event()
            prober = Prober(self.stack.url, prober_stop)
            for thread in [*threads, prober]:
                thread.start()
            self.run_faults(threading.Event())
            stop.set()
            give_up_at[0] = time.monotonic() + 120  # in-flight commands keep retrying, within bounds
            self.wait_until_ready_after_the_last_outage(prober)
            prober_stop.set()
            for thread in threads:
                thread.join(timeout=180)
            prober.join(timeout=5)
            self.conclude(tally, prober, contracts)
        finally:
            self.stack.stop()
        return self.report

    def wait_until_ready_after_the_last_outage(self, prober: Prober, bound_s: float = 60) -> None:
        """The last fault may end with the run: keep probing (bounded) until the service is ready after it."""
        last_end = max(self.outage_ends.values(), default=None)
        deadline = time.monotonic() + bound_s
        while last_end is not None and prober.ready_again_after(last_end) is None and time.monotonic() < deadline:
            time.sleep(0.1)

    def conclude(self, tally: Tally, prober: Prober, contracts: list[str]) -> None:
        report = self.report
        report.commands_sent, report.acknowledged, report.refused = tally.sent, tally.acknowledged, tally.refused
        report.retried, report.abandoned, report.kafka_commands_sent = tally.retried, tally.abandoned, tally.kafka_sent
        report.faults_injected = dict(self.injected)
        report.recovery_seconds = {name: prober.ready_again_after(end) for name, end in self.outage_ends.items()}
        report.p99_during_slow_clients_s = p99_in(tally.latencies, self.slow_windows)
        store = StoreConfig(self.stack.database_url)
        app = LedgerApplication(store, create_tables=False)
        try:
            self.wait_for_kafka_quiet(app, contracts)
            found = Counter(tag for cid in contracts for tag in tags_of(app, cid))
            report.lost = len(tally.acked_tags - set(found))
            report.duplicated = sum(1 for count in found.values() if count > 1)
            report.kafka_commands_recorded = sum(1 for tag in found if tag.startswith("k"))
            report.chains_failing_verify = sum(1 for cid in contracts if not app.verify_stored(UUID(cid)).ok)
            report.read_model_mismatches = read_model_mismatches(app, store, contracts)
        finally:
            app.close()

    def wait_for_kafka_quiet(self, app: LedgerApplication, contracts: list[str], quiet_s: float = 5) -> None:
        """The consumer drains what the broker still holds: wait until the log stops growing."""
        last, since = -1, time.monotonic()
        while time.monotonic() - since < quiet_s:
            head = int(app.recorder.max_notification_id() or 0)
            if head != last:
                last, since = head, time.monotonic()
            time.sleep(0.5)


def tags_of(app: LedgerApplication, contract_id: str) -> list[str]:
    tags = []
    for record in app.chain_records(UUID(contract_id)):
        if record.event_type == "PaymentReceived":
            tags.append(record.payload["payment_id"])
        elif record.event_type == "CommunicationLogged":
            tags.append(record.payload["summary"])
    return tags


def p99_in(latencies: list[tuple[float, float]], windows: list[tuple[float, float]]) -> float | None:
    inside = sorted(seconds for started, seconds in latencies if any(a <= started <= b for a, b in windows))
    return inside[min(len(inside) - 1, int(len(inside) * 0.99))] if inside else None


def read_model_mismatches(app: LedgerApplication, store: StoreConfig, contracts: list[str]) -> int:
    """After catching up, the contract and aging read models equal a recomputation from the raw events."""
    runner = Runner(store, app=app)
    try:
        runner.catch_up()
        folded = [check.fold(app, UUID(cid)) for cid in contracts]
        mismatches = 0
        for as_of in ("2026-02-01", "2026-06-30"):
            rows, cursor = [], None
            while True:
                page, cursor = list_contracts(runner.db, ACCOUNT, as_of, cursor=cursor, limit=50)
                rows += page
                if cursor is None:
                    break
            actual = {
                r["id"]: (r["paid"]["amount"], r["outstanding"]["amount"], r["version"], r["fingerprint"]["hash"])
                for r in rows
            }
            for c in folded:
                want = check.expected_contract(app, c, as_of)
                if actual.get(c.contract_id) != (
                    want["paid"],
                    want["outstanding"],
                    want["version"],
                    want["fingerprint"],
                ):
                    mismatches += 1
            got = sorted(
                (i["contract_id"], i["invoice_number"], i["outstanding"]["amount"])
                for i in aging(runner.db, ACCOUNT, as_of)["invoices"]
            )
            if got != sorted((row[0], row[1], row[3]) for row in check.expected_aging(folded, as_of)):
                mismatches += 1
        return mismatches
    finally:
        runner.db.close()


def run(seconds: float, outage_s: float) -> Report:
    with tempfile.TemporaryDirectory(prefix="ledger-faults-") as workdir:
        report = FaultRun(seconds, Path(workdir), outage_s).run()
    print(report.table())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**asdict(report), "recovery_worst_s": report.recovery_worst_s}, indent=2) + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=600, help="How long faults are injected (default 600).")
    parser.add_argument("--outage", type=float, default=60, help="Length of the PostgreSQL outage (default 60 s).")
    args = parser.parse_args()
    report = run(args.seconds, args.outage)
    failed = [
        name
        for name in ("lost", "duplicated", "chains_failing_verify", "read_model_mismatches")
        if getattr(report, name)
    ]
    worst = report.recovery_worst_s
    if failed or worst is None or worst > 5:
        raise SystemExit(f"fault run failed: {', '.join(failed) or 'recovery after an outage took over 5 s'}")


if __name__ == "__main__":
    main()
