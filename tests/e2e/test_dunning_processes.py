"""`ledger remind` as real processes: SIGKILLed between send and record, then restarted; two at once."""

from __future__ import annotations

import hashlib
import os
import signal
import smtplib
import subprocess
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger_cli.project import create_read_model_tables
from projections.runner import Runner
from tests.e2e.server import LEDGER_BIN, free_port
from tests.factories import as_command, signing
from tests.integration.dunning_story import DUE, SENDER, uk_terms
from tests.smtp import MailServer

ACCOUNT = "acct-remind"
WAIT_S = 60


def contracts(store: StoreConfig, titles: list[str]) -> tuple[LedgerApplication, list[UUID]]:
    app = LedgerApplication(store, create_tables=True)
    create_read_model_tables(store)  # what `ledger db migrate` does before the workers start
    ids = []
    for title in titles:
        cid = UUID(app.sign_contract(ACCOUNT, signing(uk_terms(title)), idempotency_key=f"sign-{title}").contract_id)
        invoice = {
            "number": f"{title}-1",
            "occurred_on": DUE.replace(month=2),
            "milestone_keys": ["advance"],
            "due_on": DUE,
        }
        app.execute(ACCOUNT, cid, as_command("issue_invoice", invoice), idempotency_key=f"issue-{title}")
        ids.append(cid)
    runner = Runner(store, app=app)
    runner.catch_up()  # the dispatcher reads what is due from the read model
    runner.close()
    return app, ids


def remind(store: StoreConfig, server: MailServer, lease_s: float = 120, **env: str) -> subprocess.Popen[bytes]:
    """One pass of `ledger remind`; a short lease lets a restarted dispatcher take over a killed one's reminder."""
    environ = {
        "PATH": "/usr/bin:/bin",
        "LEDGER_DATABASE_URL": store.url,
        "LEDGER_SMTP_HOST": server.host,
        "LEDGER_SMTP_PORT": str(server.port),
        "LEDGER_SMTP_FROM": SENDER,
        **env,
    }
    argv = [str(LEDGER_BIN), "remind", "--once", "--today", DUE.isoformat(), "--lease-seconds", str(lease_s)]
    return subprocess.Popen(argv, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finished(process: subprocess.Popen[bytes]) -> str:
    output, _ = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, output.decode()
    return output.decode()


def reminders_sent(app: LedgerApplication, cid: UUID) -> list[dict[str, Any]]:
    return [r.payload for r in app.event_records(ACCOUNT, cid) if r.event_type == "ReminderSent"]


def test_a_dispatcher_killed_between_send_and_record_is_reconciled_by_the_next_one_exactly_once(
    store: StoreConfig, mail_server: MailServer, tmp_path: Path
) -> None:
    app, [cid] = contracts(store, ["KILL"])
    marker = tmp_path / "sent"
    first = remind(store, mail_server, lease_s=1, LEDGER_DUNNING_PAUSE_AFTER_SEND=str(marker))
    deadline = time.monotonic() + WAIT_S
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the dispatcher never reached the point between send and record"
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=WAIT_S)
    assert len(mail_server.received) == 1 and reminders_sent(app, cid) == []  # sent, not recorded
    time.sleep(1.2)  # the killed dispatcher's lease runs out
    finished(remind(store, mail_server, lease_s=1))
    finished(remind(store, mail_server, lease_s=1))  # and a third pass changes nothing
    received = mail_server.received
    assert len(received) == 2 and received[0].data == received[1].data  # one duplicate, the very same message
    [sent] = reminders_sent(app, cid)
    assert sent["tracking_reference"] == received[0].message_id.strip()
    assert sent["document_hash"] == hashlib.sha256(received[0].data).hexdigest()
    app.close()


def test_two_dispatchers_at_once_never_send_the_same_reminder_twice(
    store: StoreConfig, mail_server: MailServer
) -> None:
    titles = [f"PAIR{n}" for n in range(12)]
    app, ids = contracts(store, titles)
    first, second = remind(store, mail_server), remind(store, mail_server)
    finished(first), finished(second)
    subjects = sorted(str(m.message["Subject"]) for m in mail_server.received)
    assert subjects == sorted(f"Reminder: invoice {t}-1 is due today" for t in titles)
    assert len({m.message_id for m in mail_server.received}) == len(titles)
    for cid in ids:
        assert len(reminders_sent(app, cid)) == 1
    app.close()


def test_the_local_mail_sink_of_ledger_dev_up_writes_each_message_it_receives_byte_for_byte(tmp_path: Path) -> None:
    port = free_port()
    sink = subprocess.Popen(
        [str(LEDGER_BIN), "dev", "mailsink", "--port", str(port), "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        data = b"Message-ID: <m1@example>\r\nSubject: hello\r\n\r\n.a line starting with a dot\r\n"
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                    client.sendmail("a@example", ["b@example"], data)
                break
            except OSError:
                assert time.monotonic() < deadline, "the mail sink never listened"
                time.sleep(0.1)
        [kept] = list(tmp_path.glob("*.eml"))
        assert kept.read_bytes() == data and kept.name.endswith(hashlib.sha256(data).hexdigest()[:12] + ".eml")
    finally:
        sink.terminate()
        sink.wait(timeout=WAIT_S)
