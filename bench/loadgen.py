"""Open-loop HTTP load, run as its own process: requests at fixed arrival times, latency from the scheduled time.

``python -m bench.loadgen URL KEY RATE SECONDS CONTRACT...`` sends ``RATE``
POST /communications per second for ``SECONDS``, round-robin over the
contracts, and prints one JSON line: counts and latency percentiles. A request
that starts late because the server fell behind counts its wait: no
coordinated omission.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import threading
import time
import uuid
from typing import Any

import requests

SENDERS = 64
BODY = json.dumps({"occurred_on": "2026-02-01", "direction": "outbound", "channel": "email", "summary": "load"})


def run(url: str, key: str, rate: float, seconds: float, contracts: list[str]) -> dict[str, Any]:
    total = int(rate * seconds)
    counter, lock = itertools.count(), threading.Lock()
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter() + 0.2

    def sender() -> None:
        session = requests.Session()
        while True:
            with lock:
                index = next(counter)
            if index >= total:
                return
            scheduled = start + index / rate
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            answer = session.post(
                f"{url}/v1/contracts/{contracts[index % len(contracts)]}/communications",
                data=BODY,
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                timeout=30,
            )
            with lock:
                (latencies if answer.status_code == 201 else errors).append(time.perf_counter() - scheduled)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "offered_per_s": rate,
        "sent": total,
        "ok": len(latencies),
        "errors": len(errors),
        "achieved_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * cuts[49], 1),
        "p95_ms": round(1000 * cuts[94], 1),
        "p99_ms": round(1000 * cuts[98], 1),
    }


if __name__ == "__main__":
    url_, key_, rate_, seconds_, *contracts_ = sys.argv[1:]
    print(json.dumps(run(url_, key_, float(rate_), float(seconds_), contracts_)))
