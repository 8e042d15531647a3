"""The set-up the dunning tests share: a GBP contract under the UK Act, an invoice due Tuesday 3 March 2026, the
dispatcher and the projections run day by day under the recording clock, and a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from dunning.dispatcher import Dispatcher, PassResult
from dunning.settings import Schedule, SmtpSettings
from infrastructure.store import StoreConfig
from ledger.clock import fixed_clock
from projections import outbox
from projections.runner import Runner
from tests.factories import as_command, money, signing, terms
from tests.smtp import MailServer

DUE = date(2026, 3, 3)  # a Tuesday: +10, +20 and +30 are working days (Fri 13 Mar, Mon 23 Mar, Thu 2 Apr)
SENDER = "billing@supplier.example"
keys = count()


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def uk_terms(title: str, **overrides: Any) -> dict[str, Any]:
    return terms(currency="GBP", title=title, jurisdiction="GB-ENG", late_payment={"kind": "statutory"}, **overrides)


@dataclass
class Story:
    app: LedgerApplication
    store: StoreConfig
    runner: Runner
    dispatcher: Dispatcher
    account: str
    contract_ids: list[UUID] = field(default_factory=list)

    def contract(self, title: str, **overrides: Any) -> UUID:
        """Signed 5 Jan; the advance, GBP 1,000.00 (100,000 pence), invoiced 1 Feb as ``<title>-1``, due 3 Mar."""
        signed = self.app.sign_contract(
            self.account, signing(uk_terms(title, **overrides)), idempotency_key=f"k{next(keys)}"
        )
        cid = UUID(signed.contract_id)
        self.contract_ids.append(cid)
        self.run(
            cid,
            "issue_invoice",
            number=f"{title}-1",
            occurred_on=date(2026, 2, 1),
            milestone_keys=["advance"],
            due_on=DUE,
        )
        return cid

    def run(self, cid: UUID, command: str, **args: Any) -> None:
        self.app.execute(self.account, cid, as_command(command, args), idempotency_key=f"k{next(keys)}")

    def pass_on(self, when: date) -> PassResult:
        """What the worker does on ``when``: the projections catch up, then one dispatcher pass."""
        with fixed_clock(lambda: datetime(when.year, when.month, when.day, 10, tzinfo=UTC)):
            self.runner.catch_up()
            return self.dispatcher.run_once()

    def days(self, first: int, last: int) -> None:
        for offset in range(first, last + 1):
            self.pass_on(day(offset))

    def intents(self, status: str | None = None) -> list[outbox.Intent]:
        return outbox.listed(self.dispatcher.db, self.account, status)

    def reminders_sent(self, cid: UUID) -> list[dict[str, Any]]:
        return [
            {**r.payload, "occurred_on": r.occurred_on}
            for r in self.app.event_records(self.account, cid)
            if r.event_type == "ReminderSent"
        ]


def smtp_of(server: MailServer) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, sender=SENDER, timeout_s=10)


@contextmanager
def story(
    store: StoreConfig, server: MailServer, account: str = "acct-dunning", schedule: Schedule | None = None
) -> Iterator[Story]:
    app = LedgerApplication(store, create_tables=True)
    runner = Runner(store, app=app)
    dispatcher = Dispatcher(app, store, smtp_of(server), schedule or Schedule(lease_s=60, backoff_s=60))
    try:
        yield Story(app, store, runner, dispatcher, account)
    finally:
        dispatcher.close()
        runner.close()
        app.close()


def pay(story_: Story, cid: UUID, when: date, amount: int = 100_000) -> None:
    story_.run(cid, "record_payment", payment_id=f"p{next(keys)}", occurred_on=when, amount=money(amount, "GBP"))
