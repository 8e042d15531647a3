"""A consumer killed (SIGKILL) while a group of commands is inside its transaction, then restarted.

The consumer runs as ``ledger consume`` with the test-only
``LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S`` (``infrastructure.pauses``): every group
save sleeps inside its transaction after logging a mark. Every message goes to
one partition, so each poll is 100 messages in order, and every 25th is a
signing, which runs alone and so closes a group: each poll saves about four
groups, then commits its offsets. The test waits until offsets are committed
(acknowledged commands), then for two more marks, and kills the process in that
pause: at least one group of the poll is then recorded and not acknowledged,
the group in flight must leave nothing, every acknowledged command must be
stored, and after a restart every command is recorded exactly once (chains
intact, each key replaying its own event).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

from kafka import KafkaConsumer, TopicPartition

from application.service import LedgerApplication
from consumers.settings import KafkaSettings
from infrastructure.pauses import PAUSE_MARK
from infrastructure.store import StoreConfig
from tests.e2e.test_kafka_crash import (
    ACCOUNT,
    LEDGER,
    communications,
    consumer_env,
    recorded_summaries,
    sign_contracts,
    stopped_counts,
)
from tests.factories import as_command, terms
from tests.kafka import command, produce, read_topic, wait_until

PAUSE_S = 4.0
ONE_PARTITION = b"one-partition"  # polls of 100 messages in produced order
TERMS = json.loads(json.dumps(terms(), default=str))


def committed_offsets(settings: KafkaSettings) -> dict[int, int]:
    probe = KafkaConsumer(**settings.common(), group_id=settings.consumer_group, enable_auto_commit=False)
    try:
        return {p: probe.committed(TopicPartition(settings.commands_topic, p)) or 0 for p in range(settings.partitions)}
    finally:
        probe.close(autocommit=False)


def marks(log: Path) -> int:
    return log.read_text().count(PAUSE_MARK) if log.exists() else 0


def test_a_consumer_killed_inside_a_group_transaction_loses_no_acknowledged_command_and_duplicates_none(
    store: StoreConfig, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    app = LedgerApplication(store, create_tables=True)
    contracts = sign_contracts(app, 40)
    total = 400
    signed = [uuid4() for _ in range(total // 25)]
    messages: list[tuple[bytes | None, bytes]] = []
    for n, (_, value) in enumerate(communications(contracts, 0, total)):
        messages.append((ONE_PARTITION, value))
        if n % 25 == 24:
            contract_id = signed[n // 25]
            messages.append((ONE_PARTITION, command(f"signing-{n}", ACCOUNT, "sign_contract", contract_id, TERMS)))
    produce(kafka_settings, kafka_settings.commands_topic, messages)
    produced = read_topic(kafka_settings, kafka_settings.commands_topic, len(messages))
    message_at = {(m.partition, m.offset): json.loads(m.value)["message_id"] for m in produced}  # m-N: summary m-N
    log = tmp_path / "consume.log"
    paused_env = {**consumer_env(store, kafka_settings), "LEDGER_TEST_PAUSE_IN_GROUP_SAVE_S": str(PAUSE_S)}

    with log.open("ab") as out:
        first = subprocess.Popen([LEDGER, "consume", "--batch-max", "100"], env=paused_env, stdout=out, stderr=out)
        try:
            wait_until(lambda: sum(committed_offsets(kafka_settings).values()) > 0, timeout_s=120)
            seen = marks(log)
            wait_until(lambda: marks(log) >= seen + 2, timeout_s=60, interval_s=0.02)
            paused_at = time.monotonic()
            in_transaction = recorded_summaries(app, contracts)  # what is stored while the group sleeps uncommitted
            acknowledged = committed_offsets(kafka_settings)
            first.send_signal(signal.SIGKILL)
            first.wait()
            assert time.monotonic() - paused_at < PAUSE_S, "the kill must land inside the group's pause"
        finally:
            first.kill()
        at_kill = recorded_summaries(app, contracts)
        signings_at_kill = sum(1 for c in signed if c in app.repository)
        second = subprocess.Popen([LEDGER, "consume", "--batch-max", "100"], env=consumer_env(store, kafka_settings),
                                  stdout=out, stderr=out)
        try:
            wait_until(lambda: len(recorded_summaries(app, contracts)) >= total, timeout_s=120)
        finally:
            second.terminate()
            second.wait(timeout=15)

    assert sorted(at_kill) == sorted(in_transaction), "the group in its transaction left nothing behind"
    assert len(at_kill) < total
    acked = {message_at[(p, o)] for p in acknowledged for o in range(acknowledged[p])}
    acked_notes = {m for m in acked if m.startswith("m-")}
    assert acked_notes and acked_notes <= set(at_kill), "every acknowledged command was stored before the kill"
    assert len(at_kill) > len(acked_notes), "the kill left recorded commands that were not acknowledged yet"
    final = recorded_summaries(app, contracts)
    assert sorted(final) == sorted(f"m-{n}" for n in range(total))  # each exactly once
    # The restarted consumer re-read everything after the committed offsets: what was stored is replayed by its key.
    acked_signings = len(acked) - len(acked_notes)
    assert stopped_counts(log) == {"applied": total - len(at_kill) + len(signed) - signings_at_kill,
                                   "replayed": len(at_kill) - len(acked_notes) + signings_at_kill - acked_signings}
    for contract_id in [*contracts, *signed]:
        assert app.verify(ACCOUNT, contract_id).ok
        assert len([r for r in app.chain_records(contract_id) if r.event_type == "ContractSigned"]) == 1
    for n in range(total):  # each key replays the result of its own event
        contract_id = contracts[n % len(contracts)]
        note = {"occurred_on": date(2026, 2, 1), "direction": "inbound", "channel": "email", "summary": f"m-{n}"}
        result = app.execute(ACCOUNT, contract_id, as_command("log_communication", note), idempotency_key=f"m-{n}")
        [record] = [r for r in app.chain_records(UUID(result.contract_id)) if r.version == result.version]
        assert result.replayed and record.payload["summary"] == f"m-{n}" and record.hash == result.fingerprint
    assert read_topic(kafka_settings, kafka_settings.dlq_topic, 1, timeout_s=1) == []
    app.close()
