"""The dispatcher end to end on both stores: the clock advanced day by day, a real SMTP server receiving."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

from consumers.relay import EventRelay
from consumers.settings import KafkaSettings
from evidence.attachments import AttachmentStore
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from projections.db import Database
from tests.integration.dunning_story import SENDER, day, story
from tests.kafka import in_thread, read_topic
from tests.smtp import MailServer

# GBP 1,000.00 late under the UK Act: 8 % + Bank Rate on 31 Dec 2025 (3.75 %) = 11.75 % a year, simple, /365,
# fixed for the debt; compensation GBP 70 (a debt of GBP 1,000 to 9,999.99).
# +10: 100,000 x 0.1175 x 10 / 365 = 321.92 -> 322 pence; +20: 643.84 -> 644 pence.
EXPECTED = {
    "friendly": ("2026-03-03", None),
    "firm": ("2026-03-13", ("GBP 3.22", "GBP 70.00", "GBP 1,073.22")),
    "final_notice": ("2026-03-23", ("GBP 6.44", "GBP 70.00", "GBP 1,076.44")),
}


def test_an_invoice_unpaid_to_day_31_gets_three_emails_once_each_and_a_letter_queued_at_day_30(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server) as s:
        cid = s.contract(
            "LATE",
            client={
                "name": "Client Ltd",
                "email": "ap@client.example",
                "kind": "business",
                "address": "1 High St, London",
            },
        )
        s.days(-2, 31)
        received = mail_server.received
        assert [m.message["Subject"] for m in received] == [
            "Reminder: invoice LATE-1 is due today",
            "Overdue: invoice LATE-1",
            "Final notice: invoice LATE-1",
        ]
        hashes = {r.hash: r.version for r in s.app.event_records(s.account, cid)}
        for message, stage in zip(received, EXPECTED, strict=True):
            sent_on, figures = EXPECTED[stage]
            text = message.text()
            assert message.recipients == ["ap@client.example"] and message.sender == SENDER
            assert "Invoice LATE-1, due 2026-03-03: GBP 1,000.00 outstanding" in text
            if figures is None:
                assert "interest" not in text.lower()  # not late yet on the due date
            else:
                interest, compensation, total = figures
                assert f"interest {interest}, fixed compensation {compensation}; total due today {total}." in text
            fingerprint = text.split("Record fingerprint: ")[1].split()[0]
            assert fingerprint in hashes  # the head of the record when the email was rendered
            assert message.message["Date"].datetime.date().isoformat() == sent_on
        sent = s.reminders_sent(cid)
        assert [(r["stage"], r["occurred_on"], r["channel"]) for r in sent] == [
            (stage, EXPECTED[stage][0], "email") for stage in EXPECTED
        ]
        assert [r["tracking_reference"] for r in sent] == [m.message_id for m in received]
        assert [r["document_hash"] for r in sent] == [hashlib.sha256(m.data).hexdigest() for m in received]
        letters = s.intents("ready_to_post")
        assert [(i.stage, i.channel, i.send_on, i.invoice_numbers) for i in letters] == [
            ("letter_before_action", "post", "2026-04-02", ["LATE-1"])
        ]
        attachments = AttachmentStore(store)
        try:
            pdf = attachments.get(s.account, letters[0].document_hash or "")
            assert pdf is not None and pdf.startswith(b"%PDF")
            s.run(
                cid,
                "record_reminder_sent",
                occurred_on=day(31),
                invoice_numbers=["LATE-1"],
                stage="letter_before_action",
                channel="post",
                tracking_reference="RR123456789GB",
                document_hash=letters[0].document_hash,
            )
            s.pass_on(day(32))
            assert s.intents("ready_to_post") == [] and len(s.intents("recorded")) == 4
            assert len(mail_server.received) == 3  # nothing more went by email
            bundle = export_bundle(
                s.app,
                s.account,
                cid,
                as_of=day(32),
                generated_at=datetime(2026, 4, 4, tzinfo=UTC),
                attachments=attachments,
            )
        finally:
            attachments.close()
        names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
        for message in received:
            assert f"attachments/{message.sha256}" in names
            assert zipfile.ZipFile(io.BytesIO(bundle.data)).read(f"attachments/{message.sha256}") == message.data
        assert verify_bundle(bundle.data).ok


def test_the_reminder_the_dispatcher_records_reaches_the_events_topic_through_the_relay(
    store: StoreConfig, mail_server: MailServer, kafka_settings: KafkaSettings
) -> None:
    with story(store, mail_server, account="acct-dunning-kafka") as s:
        cid = s.contract("KAFKA")
        s.pass_on(day(0))
        [message] = mail_server.received
        relay = EventRelay(s.app, kafka_settings, Database(store))
        with in_thread(relay.run):
            records = read_topic(kafka_settings, kafka_settings.events_topic, 3)  # signed, invoiced, reminded
    events = [json.loads(r.value) for r in records if r.key.decode() == str(cid)]
    [reminder] = [e for e in events if e["type"] == "ReminderSent"]
    assert reminder["payload"]["tracking_reference"] == message.message_id
    assert reminder["payload"]["document_hash"] == message.sha256
    assert dict(records[-1].headers)["event_type"] == b"ReminderSent"
