"""Run every benchmark module in bench/ (``make bench``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"common", "baselines", "workload", "loadgen", "__main__"}


def benchmark_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name not in SKIP)


def main() -> int:
    names = benchmark_names()
    chosen = sys.argv[1:] or names
    for name in chosen:
        print(f"\n=== bench.{name} ===")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
