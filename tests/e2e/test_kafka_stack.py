"""``ledger dev up``: one command starts broker, API, consumer, relay and projections, and Ctrl-C stops them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from uuid import uuid4

from consumers import tansu
from consumers.settings import KafkaSettings
from infrastructure.store import StoreConfig
from projections.db import Database
from tests.factories import terms
from tests.kafka import command, produce, read_topic, wait_until

LEDGER = str(Path(sys.executable).with_name("ledger"))


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def contract_rows(store: StoreConfig) -> int:
    db = Database(store)
    try:
        row = db.fetchone("SELECT count(*) FROM rm_contracts")
        return int(row[0]) if row else 0
    except Exception:
        return 0  # the projections have not created their tables yet
    finally:
        db.close()


def test_dev_up_runs_the_whole_stack_from_a_command_message_to_the_events_topic_and_the_read_model(tmp_path: Path) -> None:
    kafka_port, api_port = tansu.free_port(), tansu.free_port()
    store = StoreConfig(f"sqlite:///{tmp_path}/ledger.db")
    env = {**os.environ, "LEDGER_DATABASE_URL": store.url, "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "2000",
           "LEDGER_KAFKA_HEARTBEAT_INTERVAL_MS": "500"}
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{kafka_port}")
    with (tmp_path / "stack.log").open("ab") as log:
        stack = subprocess.Popen([LEDGER, "dev", "up", "--kafka-port", str(kafka_port), "--api-bind",
                                  f"127.0.0.1:{api_port}"], env=env, cwd=tmp_path, stdout=log, stderr=log)
        try:
            wait_until(lambda: healthy(f"http://127.0.0.1:{api_port}/healthz"), timeout_s=60)
            contract_id = uuid4()
            sign = command("stack-sign", "acct-stack", "sign_contract", contract_id,
                           json.loads(json.dumps(terms(), default=str)))
            settings.ensure_topics(settings.commands_topic)
            produce(settings, settings.commands_topic, [(str(contract_id).encode(), sign)])
            events = read_topic(settings, settings.events_topic, 1)
            wait_until(lambda: contract_rows(store) == 1, timeout_s=60)
        finally:
            stack.send_signal(signal.SIGINT)
            code = stack.wait(timeout=60)
    assert [json.loads(e.value)["contract_id"] for e in events] == [str(contract_id)]
    assert code == 0
