"""Clients that keep sending commands through the faults, as a well-behaved integrator would.

Every HTTP command has its own idempotency key and is retried with the same key (and body) until the service
gives a definitive answer; each carries a unique tag (the payment id, or the communication's summary) so the
record can be searched for it afterwards: found once = recorded, twice = duplicated, not at all when the
service acknowledged it = lost. Kafka commands carry the tag in the same way, with the tag as message_id.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.kafka import command as kafka_command

RETRY_PAUSE_MAX_S = 2.0
DEFINITIVE = {201, 200, 409, 412, 422}  # 201 recorded (or replayed); 4xx refusals record nothing and are final


@dataclass
class Tally:
    sent: int = 0
    acknowledged: int = 0
    refused: int = 0
    retried: int = 0
    abandoned: int = 0
    kafka_sent: int = 0
    acked_tags: set[str] = field(default_factory=set)
    sent_tags: set[str] = field(default_factory=set)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds) of answered requests
    lock: threading.Lock = field(default_factory=threading.Lock)


def command_body(kind: str, tag: str) -> tuple[str, dict[str, Any]]:
    if kind == "payment":
        return "/payments", {"payment_id": tag, "occurred_on": "2026-02-01", "amount": {"amount": 1, "currency": "GBP"}}
    return "/communications", {"occurred_on": "2026-02-01", "direction": "inbound", "channel": "email", "summary": tag}


class HttpClient(threading.Thread):
    """One integrator: commands on its own contracts, each retried with its key until answered."""

    def __init__(
        self, url: str, key: str, contracts: list[str], tally: Tally, stop: threading.Event, give_up_at: list[float]
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.contracts, self.tally, self.stop_event, self.give_up_at = url, contracts, tally, stop, give_up_at
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def run(self) -> None:
        while not self.stop_event.is_set():
            tag = uuid.uuid4().hex
            path, body = command_body(random.choice(["payment", "communication"]), tag)
            with self.tally.lock:
                self.tally.sent += 1
                self.tally.sent_tags.add(tag)
            self.send_until_answered(f"/v1/contracts/{random.choice(self.contracts)}{path}", body, tag)

    def send_until_answered(self, path: str, body: dict[str, Any], tag: str) -> None:
        pause, data = 0.05, json.dumps(body)
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"faults-{tag}"}
        while True:
            started = time.monotonic()
            try:
                status = self.session.post(self.url + path, data=data, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            if status in DEFINITIVE:
                with self.tally.lock:
                    self.tally.latencies.append((started, time.monotonic() - started))
                    if status == 201:
                        self.tally.acknowledged += 1
                        self.tally.acked_tags.add(tag)
                    else:
                        self.tally.refused += 1
                return
            if time.monotonic() > self.give_up_at[0]:
                with self.tally.lock:
                    self.tally.abandoned += 1
                return
            with self.tally.lock:
                self.tally.retried += 1
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, RETRY_PAUSE_MAX_S)


class KafkaClient(threading.Thread):
    """A payment processor adapter: communications produced to the command topic, message_id = tag."""

    def __init__(self, bootstrap: str, account: str, contracts: list[str], tally: Tally, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.account, self.contracts, self.tally, self.stop_event = (
            bootstrap,
            account,
            contracts,
            tally,
            stop,
        )

    def run(self) -> None:
        from kafka import KafkaProducer

        producer = None
        while not self.stop_event.is_set():
            try:
                producer = producer or KafkaProducer(
                    bootstrap_servers=self.bootstrap, acks="all", retries=3, request_timeout_ms=5000, max_block_ms=5000
                )
                tag = "k" + uuid.uuid4().hex
                _, body = command_body("communication", tag)
                contract = random.choice(self.contracts)
                value = kafka_command(tag, self.account, "log_communication", contract, body)
                producer.send("ledger.commands", key=contract.encode(), value=value).get(timeout=10)
                with self.tally.lock:
                    self.tally.kafka_sent += 1
                    self.tally.sent_tags.add(tag)
            except Exception:  # the broker is down or restarting: a new producer later
                if producer is not None:
                    producer.close(timeout=1)
                producer = None
                time.sleep(0.5)
            time.sleep(0.05)
        if producer is not None:
            producer.close(timeout=2)


class Prober(threading.Thread):
    """GET /readyz every 100 ms: when was the service ready, and when not."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop_event = url, stop
        self.samples: list[tuple[float, bool]] = []

    def run(self) -> None:
        session = requests.Session()
        while not self.stop_event.is_set():
            at = time.monotonic()
            try:
                ready = session.get(f"{self.url}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                ready = False
            self.samples.append((at, ready))
            time.sleep(max(0.0, 0.1 - (time.monotonic() - at)))

    def ready_again_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` to the first ready answer after it (None if never)."""
        for at, ready in list(self.samples):
            if at >= moment and ready:
                return at - moment
        return None


def slow_clients(port: int, count: int, seconds: float) -> None:
    """``count`` connections that send a request line and then a header byte a second: they must starve nobody."""
    sockets = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.sendall(b"POST /v1/contracts HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
        except OSError:
            continue
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for sock in sockets:
            try:
                sock.sendall(b"X")
            except OSError:
                continue
        time.sleep(1)
    for sock in sockets:
        sock.close()
