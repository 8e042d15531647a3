"""Crash tests: a consumer killed mid-batch, a broker outage, a database outage.

Each test uses its own topics and group; the broker outage uses a broker of its
own (paused with SIGSTOP/SIGCONT, so memory storage loses nothing) and the
database outage a throwaway PostgreSQL cluster of its own, stopped and started
with ``pg_ctl`` on the same data directory and port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition

from application.service import LedgerApplication
from consumers import tansu
from consumers.command_consumer import CommandConsumer
from consumers.relay import EventRelay
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from projections.db import Database
from tests import pg
from tests.factories import as_command, signing, terms
from tests.kafka import command, fresh_settings, in_thread, produce, read_topic, read_until, running_broker, wait_until

ACCOUNT = "acct-crash"
LEDGER = str(Path(sys.executable).with_name("ledger"))


def sign_contracts(app: LedgerApplication, count: int) -> list[UUID]:
    return [UUID(app.sign_contract(ACCOUNT, signing(terms()), idempotency_key=f"sign-{i}").contract_id) for i in range(count)]


def communications(contracts: list[UUID], start: int, count: int) -> list[tuple[bytes | None, bytes]]:
    """``count`` log_communication commands round-robin over the contracts; the summary is the message id."""
    messages: list[tuple[bytes | None, bytes]] = []
    for n in range(start, start + count):
        contract_id = contracts[n % len(contracts)]
        payload = {"occurred_on": "2026-02-01", "direction": "inbound", "channel": "email", "summary": f"m-{n}"}
        messages.append((str(contract_id).encode(), command(f"m-{n}", ACCOUNT, "log_communication", contract_id, payload)))
    return messages


def recorded_summaries(app: LedgerApplication, contracts: list[UUID]) -> list[str]:
    return [r.payload["summary"] for c in contracts for r in app.chain_records(c) if r.event_type == "CommunicationLogged"]


def store_events(app: LedgerApplication, contracts: list[UUID]) -> set[tuple[str, int, str]]:
    return {(r.contract_id, r.version, r.hash) for c in contracts for r in app.chain_records(c)}


def topic_events(settings: KafkaSettings, expected: set[tuple[str, int, str]]) -> set[tuple[str, int, str]]:
    def seen(records: list) -> set[tuple[str, int, str]]:
        return {(v["contract_id"], v["version"], v["hash"]) for v in (json.loads(r.value) for r in records)}

    return seen(read_until(settings, settings.events_topic, lambda got: seen(got) >= expected, timeout_s=60))


def consumer_env(store: StoreConfig, settings: KafkaSettings) -> dict[str, str]:
    return {**os.environ, "LEDGER_DATABASE_URL": store.url,
            "LEDGER_KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "LEDGER_KAFKA_COMMANDS_TOPIC": settings.commands_topic, "LEDGER_KAFKA_DLQ_TOPIC": settings.dlq_topic,
            "LEDGER_KAFKA_CONSUMER_GROUP": settings.consumer_group, "LEDGER_KAFKA_PARTITIONS": str(settings.partitions),
            "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "2000", "LEDGER_KAFKA_HEARTBEAT_INTERVAL_MS": "500"}


def committed_total(settings: KafkaSettings) -> int:
    """The group's committed offsets summed over the commands topic's partitions (one message per offset)."""
    probe = KafkaConsumer(**settings.common(), group_id=settings.consumer_group, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(settings.commands_topic, p) for p in range(settings.partitions)]
        return sum(probe.committed(tp) or 0 for tp in partitions)
    finally:
        probe.close(autocommit=False)


def stopped_counts(log: Path) -> dict[str, int]:
    """applied and replayed from the one ``consume: stopped: Counts(...)`` line (the killed consumer printed none)."""
    lines = [line for line in log.read_text().splitlines() if line.startswith("consume: stopped:")]
    assert len(lines) == 1, lines
    return {name: int(re.search(rf"\b{name}=(\d+)", lines[0]).group(1)) for name in ("applied", "replayed")}  # type: ignore[union-attr]


def test_a_consumer_killed_mid_batch_and_restarted_records_every_acknowledged_command_exactly_once(
    sqlite_store: StoreConfig, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    contracts = sign_contracts(app, 20)
    base = app.recorder.max_notification_id() or 0
    total = 2000
    produce(kafka_settings, kafka_settings.commands_topic, communications(contracts, 0, total))

    def recorded() -> int:  # each command stores its event and its idempotency record
        return ((app.recorder.max_notification_id() or 0) - base) // 2

    env = consumer_env(sqlite_store, kafka_settings)
    with (tmp_path / "consume.log").open("ab") as log:
        first = subprocess.Popen([LEDGER, "consume", "--batch-max", "100"], env=env, stdout=log, stderr=log)
        wait_until(lambda: recorded() >= 150, interval_s=0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill, committed_at_kill = recorded(), committed_total(kafka_settings)
        second = subprocess.Popen([LEDGER, "consume", "--batch-max", "100"], env=env, stdout=log, stderr=log)
        try:
            wait_until(lambda: recorded() >= total)
        finally:
            second.terminate()
            second.wait(timeout=15)

    assert 150 <= at_kill < total, "the consumer must be killed part-way through"
    # A poll's commands are saved as one group and its offsets committed right after, so the kill may land in that
    # short window (recorded, not committed) or after it; tests/e2e/test_group_commit_crash.py kills inside a group.
    assert committed_at_kill <= at_kill, "nothing is committed before it is recorded"
    # The second consumer re-read the recorded but uncommitted ones and replayed each by message_id.
    assert stopped_counts(tmp_path / "consume.log") == {"applied": total - at_kill, "replayed": at_kill - committed_at_kill}
    assert sorted(recorded_summaries(app, contracts)) == sorted(f"m-{n}" for n in range(total))
    assert read_topic(kafka_settings, kafka_settings.dlq_topic, 1, timeout_s=1) == []


def test_after_a_broker_outage_the_consumer_and_relay_reconnect_and_continue(
    sqlite_store: StoreConfig, tmp_path: Path
) -> None:
    with running_broker(tmp_path) as (bootstrap, broker):
        settings = fresh_settings(bootstrap)
        settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
        app = LedgerApplication(sqlite_store, create_tables=True)
        contracts = sign_contracts(app, 5)
        consumer = CommandConsumer(LedgerApplication(sqlite_store), settings)
        relay = EventRelay(LedgerApplication(sqlite_store), settings, Database(sqlite_store))
        with in_thread(consumer.run), in_thread(relay.run):
            produce(settings, settings.commands_topic, communications(contracts, 0, 50))
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 50)
            broker.send_signal(signal.SIGSTOP)
            try:
                for n in range(50, 70):  # recorded while the broker is away: the relay must publish them later
                    app.execute(ACCOUNT, contracts[n % 5], as_command("log_communication", {"occurred_on": date(2026, 2, 2), "direction": "outbound",
                                 "channel": "phone", "summary": f"m-{n}"}), idempotency_key=f"direct-{n}")
                time.sleep(4)
            finally:
                broker.send_signal(signal.SIGCONT)
            produce(settings, settings.commands_topic, communications(contracts, 70, 50))
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 120)
            expected = store_events(app, contracts)
            published = topic_events(settings, expected)
    assert sorted(recorded_summaries(app, contracts)) == sorted(f"m-{n}" for n in range(120))
    assert published == expected
    assert consumer.counts.dead_lettered == 0


def test_after_a_broker_restart_that_lost_everything_the_consumer_and_relay_carry_on_with_new_work(
    sqlite_store: StoreConfig, tmp_path: Path
) -> None:
    """Memory storage loses topics and offsets on restart: the operator re-creates the topics, the clients reconnect."""
    port = tansu.free_port()
    bootstrap = f"127.0.0.1:{port}"
    broker = tansu.start(port)
    try:
        settings = fresh_settings(bootstrap)
        settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
        app = LedgerApplication(sqlite_store, create_tables=True)
        contracts = sign_contracts(app, 3)
        consumer = CommandConsumer(LedgerApplication(sqlite_store), settings)
        relay = EventRelay(LedgerApplication(sqlite_store), settings, Database(sqlite_store))
        with in_thread(consumer.run), in_thread(relay.run):
            produce(settings, settings.commands_topic, communications(contracts, 0, 30))
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 30)
            tansu.stop(broker)
            time.sleep(2)
            broker = tansu.start(port)
            settings.ensure_topics(settings.commands_topic, settings.dlq_topic, settings.events_topic)
            produce(settings, settings.commands_topic, communications(contracts, 30, 30))
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 60)
            after = {e for e in store_events(app, contracts) if e[1] > 11}  # versions 12+: the second 30 commands
            published = topic_events(settings, after)
    finally:
        tansu.stop(broker)
    assert sorted(recorded_summaries(app, contracts)) == sorted(f"m-{n}" for n in range(60))
    assert published >= after
    assert consumer.counts.dead_lettered == 0


def as_server_user(data: str) -> list[str]:
    """initdb refuses to run as root: when the suite runs as root, run the server as the postgres user."""
    if os.geteuid() != 0:
        return []
    shutil.chown(data, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def own_cluster() -> Iterator[tuple[str, list[str]]]:
    """A PostgreSQL cluster of this test's own: (URL, pg_ctl command prefix for stop/start)."""
    initdb, pg_ctl = pg._server_bin("initdb"), pg._server_bin("pg_ctl")
    assert initdb and pg_ctl, "PostgreSQL server binaries are needed for the database outage test"
    data = tempfile.mkdtemp(prefix="ledger-kafka-pg-")
    port = pg._free_port()
    user = as_server_user(data)
    control = [*user, pg_ctl, "-D", data, "-l", f"{data}/server.log", "-w",
               "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"]
    subprocess.run([*user, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], check=True,
                   capture_output=True)
    subprocess.run([*control, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", control
    finally:
        subprocess.run([*user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_during_a_database_outage_nothing_is_dead_lettered_or_lost_and_processing_resumes(
    kafka_settings: KafkaSettings,
) -> None:
    with own_cluster() as (url, control):
        store = StoreConfig(url)
        app = LedgerApplication(store, create_tables=True)
        contracts = sign_contracts(app, 5)
        consumer = CommandConsumer(LedgerApplication(store), kafka_settings)
        relay = EventRelay(LedgerApplication(store), kafka_settings, Database(store))
        with in_thread(consumer.run), in_thread(relay.run):
            produce(kafka_settings, kafka_settings.commands_topic, communications(contracts, 0, 100))
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 100)
            subprocess.run([*control, "-m", "fast", "stop"], check=True, capture_output=True)
            try:
                # The store's own retries hold each call until the database is back (or report StoreUnavailable,
                # which the consumer retries): either way nothing may be dead-lettered.
                produce(kafka_settings, kafka_settings.commands_topic, communications(contracts, 100, 100))
                time.sleep(4)
            finally:
                subprocess.run([*control, "start"], check=True, capture_output=True)
            wait_until(lambda: len(recorded_summaries(app, contracts)) == 200)
            expected = store_events(app, contracts)
            published = topic_events(kafka_settings, expected)
        assert sorted(recorded_summaries(app, contracts)) == sorted(f"m-{n}" for n in range(200))
        app.close()
    assert consumer.counts.dead_lettered == 0
    assert read_topic(kafka_settings, kafka_settings.dlq_topic, 1, timeout_s=1) == []
    assert published == expected
