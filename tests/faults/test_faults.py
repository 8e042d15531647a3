"""A bounded fault run (about a minute) in the suite, so the harness behind ``make faults`` never rots.

Every kind of fault is injected once while clients keep sending commands; the run must lose nothing,
duplicate nothing, keep every chain verifiable and every read model equal to the events, and be ready
again within 5 s of each outage ending.
"""

from __future__ import annotations

import os

import pytest

from tests.faults.run import FAULTS, run

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_under_mixed_faults_nothing_acknowledged_is_lost_or_duplicated_and_the_service_recovers_within_5s() -> None:
    report = run(float(os.environ.get("LEDGER_FAULTS_SECONDS", "60")), outage_s=5)
    assert set(report.faults_injected) == set(FAULTS)
    assert report.acknowledged > 0 and report.kafka_commands_recorded > 0
    assert (report.lost, report.duplicated, report.chains_failing_verify, report.read_model_mismatches) == (0, 0, 0, 0)
    assert report.orphaned_workers == 0
    assert report.recovery_worst_s is not None and report.recovery_worst_s <= 5, report.recovery_seconds
