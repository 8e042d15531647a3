"""Every benchmark runs (tiny) and writes its results with the baselines beside the figures: the harness never rots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import benchmark_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", benchmark_names())
def test_each_benchmark_runs_at_tiny_scale_and_writes_its_results(name: str, tmp_path: Path) -> None:
    env = {**os.environ, "LEDGER_BENCH_SCALE": "tiny", "LEDGER_BENCH_RESULTS": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "bench", name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads((tmp_path / f"{name}.json").read_text())
    assert document["benchmark"] == name and document["scale"] == "tiny"
    assert document["results"], document
    assert name in run.stdout
