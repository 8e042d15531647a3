"""The dispatcher: plan what is due, then send each queued intent and record it, exactly once.

For each intent taken from the outbox (under a lease, see ``projections.outbox``):

1. queued or failed: the contract must still need the stage today (paid, voided, credited to zero, disputed,
   promised, in claim or closed: ``stopped``); the message is rendered for today, its bytes stored as an
   attachment, and the intent marked ``sending`` -- from here the bytes never change;
2. ``sending``: the bytes go to the SMTP server; then ``sent``;
3. ``sent``: ``ReminderSent`` is recorded with the Message-ID and the bytes' SHA-256, under an idempotency key
   derived from the intent, so recording it again is a replay; then ``recorded``.

A dispatcher killed after 2 and before 3 leaves the intent ``sending`` or ``sent`` with a lease that runs out;
the next dispatcher takes it again: from ``sent`` it only records, from ``sending`` it sends the same bytes (the
same Message-ID) once more. So one ``ReminderSent`` at most, and at most one duplicate email. A refused or
unreachable server records nothing: the intent is ``failed`` and retried with exponential backoff, up to
``Schedule.attempts_max`` attempts (then ``gave_up``).

Letters are not sent here: a letter ``ready_to_post`` becomes ``recorded`` once the contract holds a
``ReminderSent`` for its invoices at that stage (the user records it with the tracking reference when it is
posted), or ``stopped`` if it is no longer due.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from application.service import LedgerApplication
from dunning import mailer, render
from dunning.planner import Planner, still_due
from dunning.settings import Schedule, SmtpSettings
from evidence.attachments import AttachmentStore
from infrastructure.store import StoreConfig
from ledger import clock
from ledger.commands import RecordReminderSent
from ledger.errors import LedgerError, MailNotSent
from ledger.rates import load_rate_tables
from projections import outbox
from projections.db import Database
from projections.outbox import Intent
from projections.service import UNAVAILABLE

PAUSE_AFTER_SEND_ENV = "LEDGER_DUNNING_PAUSE_AFTER_SEND"  # tests only: a file to create, then wait to be killed
SENDS_PER_PASS_MAX = 500
log = logging.getLogger("dunning")


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass
class PassResult:
    planned: int = 0
    recorded: int = 0
    failed: int = 0
    stopped: int = 0
    reconciled: int = 0


class Dispatcher:
    def __init__(
        self,
        app: LedgerApplication,
        store: StoreConfig,
        smtp: SmtpSettings,
        schedule: Schedule | None = None,
        *,
        rates_dir: str | None = None,
    ) -> None:
        self.app, self.smtp = app, smtp
        self.schedule = schedule or Schedule()
        self.owner = self.schedule.owner or f"{os.uname().nodename}:{os.getpid()}:{id(self)}"
        self.db = Database(store)
        outbox.ensure_tables(self.db)
        self.attachments = AttachmentStore(store)
        self.tables = load_rate_tables(rates_dir)
        self.planner = Planner(app, self.db, self.attachments, smtp, self.tables)

    def close(self) -> None:
        self.db.close()
        self.attachments.close()

    def run_once(self, today: str | None = None) -> PassResult:
        """One pass: plan today's reminders, reconcile letters, send everything takeable now."""
        now = clock.now()
        day = today or now.date().isoformat()
        result = PassResult(planned=self.planner.plan(day, stamp(now)))
        result.reconciled = self.reconcile(day)
        for _ in range(SENDS_PER_PASS_MAX):
            outcome = self.send_next(day)
            if outcome is None:
                break
            setattr(result, outcome, getattr(result, outcome) + 1)
        return result

    def run(self, stop: threading.Event, today: str | None = None) -> None:
        """Passes until ``stop`` is set; an unavailable store or server is logged and tried again next pass."""
        while not stop.is_set():
            try:
                log.info("dunning pass: %s", self.run_once(today))
            except (LedgerError, *UNAVAILABLE) as error:  # the store is away: the leases run out, the next pass resumes
                log.warning("dunning pass failed: %s", error)  # the pool replaces a connection the server dropped
            stop.wait(self.schedule.poll_s)

    def send_next(self, day: str) -> str | None:
        now = clock.now()
        lease_until = stamp(now + timedelta(seconds=self.schedule.lease_s))
        intent = outbox.take(self.db, stamp(now), lease_until, self.owner)
        if intent is None:
            return None
        if intent.status in outbox.TAKEABLE and not self.prepare(intent, day):
            return "stopped"
        if intent.status == "sending" and not self.deliver(intent):
            return "failed"
        return self.record(intent)

    def prepare(self, intent: Intent, day: str) -> bool:
        """Check it is still due, render it for ``day`` and freeze its bytes; False if it stopped."""
        now = stamp(clock.now())
        contract = self.app.get_contract(intent.account_id, intent.contract_id)
        if not still_due(contract, intent.invoice_numbers, intent.stage, day):
            outbox.update(
                self.db,
                intent,
                now,
                status="stopped",
                lease_until=None,
                last_error=f"no longer due on {day} (paid, voided, disputed, promised, in claim or closed)",
            )
            return False
        rendered = render.render(contract, intent.stage, intent.invoice_numbers, day, self.tables)
        data = render.message_bytes(
            rendered,
            intent_id=intent.id,
            sender=self.smtp.sender,
            recipient=intent.recipient,
            day=day,
            domain=self.smtp.domain,
        )
        digest = self.attachments.put(intent.account_id, data)
        return outbox.update(
            self.db,
            intent,
            now,
            status="sending",
            document_hash=digest,
            sent_on=day,
            subject=rendered.subject,
            preview=rendered.text[: render.PREVIEW_CHARS_MAX],
        )

    def deliver(self, intent: Intent) -> bool:
        data = self.attachments.get(intent.account_id, intent.document_hash or "")
        if data is None:  # the bytes of a message being sent are stored before it is sent
            raise LookupError(f"no stored message {intent.document_hash} for account {intent.account_id}")
        try:
            mailer.send(self.smtp, intent.recipient, data)
        except MailNotSent as error:
            self.failed(intent, error)
            return False
        pause_for_tests()
        return outbox.update(self.db, intent, stamp(clock.now()), status="sent")

    def failed(self, intent: Intent, error: MailNotSent) -> None:
        now = clock.now()
        failures = intent.failures + 1
        gave_up = intent.attempts >= self.schedule.attempts_max
        retry_at = now + timedelta(seconds=self.schedule.backoff(failures))
        outbox.update(
            self.db,
            intent,
            stamp(now),
            status="gave_up" if gave_up else "failed",
            failures=failures,
            next_attempt_at=stamp(retry_at),
            lease_until=None,
            last_error=error.message,
        )
        log.warning("reminder %s not sent (attempt %s): %s", intent.id, intent.attempts, error.message)

    def record(self, intent: Intent) -> str:
        command = RecordReminderSent(
            occurred_on=date.fromisoformat(intent.sent_on or ""),
            invoice_numbers=intent.invoice_numbers,
            stage=intent.stage,
            channel=intent.channel,
            tracking_reference=intent.message_id,
            document_hash=intent.document_hash,
        )
        now = stamp(clock.now())
        try:
            self.app.execute(intent.account_id, intent.contract_id, command, idempotency_key=f"dunning:{intent.id}")
        except LedgerError as error:
            if error.code == "store_unavailable":
                raise  # the lease runs out; the next pass records it
            outbox.update(
                self.db,
                intent,
                now,
                status="stopped",
                lease_until=None,
                last_error=f"sent, but the ledger refused to record it: {error.message}"[:500],
            )
            return "stopped"
        outbox.update(self.db, intent, now, status="recorded", lease_until=None, last_error=None)
        return "recorded"

    def reconcile(self, day: str) -> int:
        """Drafts and letters waiting for the post, page by page: a letter is recorded once the contract has its
        ReminderSent (the user records it when posting); either is stopped once no longer due (a draft not
        approved in time gives way to the next stage's)."""
        done, after = 0, ""
        while page := outbox.awaiting(self.db, ("draft", "ready_to_post"), after):
            done += sum(self.reconcile_one(intent, day) for intent in page)
            after = page[-1].id
        return done

    def reconcile_one(self, intent: Intent, day: str) -> bool:
        contract = self.app.get_contract(intent.account_id, intent.contract_id)
        numbers, stage = intent.invoice_numbers, intent.stage
        posted = intent.status == "ready_to_post" and all(
            any(r["stage"] == stage for r in contract.invoices[n].reminders) for n in numbers
        )
        if not posted and still_due(contract, numbers, stage, max(day, intent.send_on)):
            return False
        status = "recorded" if posted else "stopped"
        changes = {"status": status, "updated_at": stamp(clock.now())}
        if not posted:
            changes["last_error"] = f"no longer due on {day} (paid, superseded, disputed, promised, in claim or closed)"
        return outbox.set_status(self.db, intent.account_id, intent.id, (intent.status,), changes)


def pause_for_tests() -> None:
    """With LEDGER_DUNNING_PAUSE_AFTER_SEND set (tests only), mark the moment between send and record, and wait."""
    marker = os.environ.get(PAUSE_AFTER_SEND_ENV)
    if not marker:
        return
    with open(marker, "a", encoding="utf-8") as file:
        file.write(f"{os.getpid()}\n")
    time.sleep(3600)  # the test SIGKILLs the process here
