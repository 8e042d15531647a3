"""Helpers shared by the benchmarks: timing, medians with their range, tables, JSON results, throwaway stores.

``LEDGER_BENCH_SCALE=tiny`` shrinks every benchmark to a few seconds (the test
suite runs them that way so the harness never rots); ``full`` is ``make bench``.
A machine-dependent figure is always written next to a baseline measured in
the same run, as ``{"median", "min", "max", "runs"}``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("LEDGER_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
TINY = os.environ.get("LEDGER_BENCH_SCALE", "full") == "tiny"
RUNS = 1 if TINY else 3


def scaled(full: int, tiny: int) -> int:
    """A size for this run: ``full`` under ``make bench``, ``tiny`` in the test suite."""
    return tiny if TINY else full


def median_of(runs: int, func: Callable[[], float]) -> dict[str, float]:
    """Run ``func`` (which returns a figure, e.g. a rate) ``runs`` times: median and range."""
    figures = sorted(func() for _ in range(runs))
    return {
        "median": round(statistics.median(figures), 3),
        "min": round(figures[0], 3),
        "max": round(figures[-1], 3),
        "runs": runs,
    }


def rate(count: int, func: Callable[[], Any]) -> float:
    """``count`` operations done by ``func``, per second."""
    return count / timed(func)


def show(figure: dict[str, float], unit: str = "") -> str:
    """``1,234/s (1,100-1,300)``: a median with its range."""
    digits = 0 if figure["median"] >= 100 else 2
    lo, hi = f"{figure['min']:,.{digits}f}", f"{figure['max']:,.{digits}f}"
    spread = f" ({lo}-{hi})" if figure["runs"] > 1 else ""
    return f"{figure['median']:,.{digits}f}{unit}{spread}"


def ratio(mine: dict[str, float], base: dict[str, float]) -> float:
    return round(mine["median"] / base["median"], 3) if base["median"] else 0.0


def timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def best_of(runs: int, func: Callable[[], Any]) -> float:
    """The fastest of ``runs`` timings: the least disturbed by other load on the machine."""
    return min(timed(func) for _ in range(runs))


def print_table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scale": "tiny" if TINY else "full",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "results": results,
    }
    path.write_text(json.dumps(document, indent=2))
    return path


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgres_url() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL (or LEDGER_TEST_DATABASE_URL's server)."""
    from tests import pg  # the test suite's PostgreSQL discovery, reused

    with pg.server_url() as admin, pg.throwaway_database(admin) as url:
        yield url
