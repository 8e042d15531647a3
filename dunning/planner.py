"""Planning: turn what the reminders-due read model says is due today into dispatch intents in the outbox.

One intent per (contract, invoices, stage): the invoices of one contract due at
the same stage go in one message. Its id is derived from that key, so planning
the same day twice, or from two dispatchers, records it once. Before recording,
the contract itself (not the read model, which may lag) must still say the
stage is due. In ``review`` mode the intent is a draft; in ``auto`` mode an
email is queued and a letter is rendered and queued "ready to post". A quiet
day (weekend, holiday) moves the send to the next working day.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from application.service import LedgerApplication
from dunning import render
from dunning.letters import letter_pdf
from dunning.settings import Policy, SmtpSettings
from evidence.attachments import AttachmentStore
from ledger.contract import Contract
from ledger.errors import LedgerError
from ledger.money import format_minor
from ledger.rates import RateTables
from ledger.reminders import STAGES
from ledger.views import reminders_due
from projections import outbox, queries
from projections.db import Database
from projections.outbox import Intent

START_OF_DAY = "T00:00:00+00:00"
log = logging.getLogger("dunning")


def intent_id(contract_id: str, numbers: list[str], stage: str) -> str:
    return hashlib.sha256(f"{contract_id}|{','.join(numbers)}|{stage}".encode()).hexdigest()[:32]


def still_due(contract: Contract, numbers: list[str], stage: str, day: str) -> bool:
    """The contract's own view: each invoice needs this stage on ``day`` (not paid, held, in claim or closed)."""
    due = {(r["invoice_number"], r["stage"]) for r in reminders_due(contract, day)}
    return all((number, stage) in due for number in numbers)


def policy_of(db: Database, account_id: str) -> Policy:
    return Policy.of(outbox.read_policy(db, account_id))


@dataclass
class Planner:
    app: LedgerApplication
    db: Database
    attachments: AttachmentStore
    smtp: SmtpSettings
    tables: RateTables

    def plan(self, today: str, now: str) -> int:
        """Record an intent for every reminder due today in every account; how many were new."""
        return sum(self.plan_account(account, today, now) for account in outbox.accounts_with_invoices(self.db))

    def plan_account(self, account_id: str, today: str, now: str) -> int:
        policy = policy_of(self.db, account_id)
        groups: dict[tuple[str, str], list[str]] = {}
        for item in queries.reminders_due(self.db, account_id, today):
            if item["stage"] in STAGES:
                groups.setdefault((item["contract_id"], item["stage"]), []).append(item["invoice_number"])
        planned = 0
        for (cid, stage), numbers in sorted(groups.items()):
            try:
                planned += self.plan_one(account_id, policy, cid, stage, sorted(numbers), today, now)
            except LedgerError as error:  # one contract that cannot be rendered (rates missing ...) stops only itself
                if error.code == "store_unavailable":
                    raise
                log.warning("reminder for contract %s (%s) not planned: %s", cid, stage, error.message)
        return planned

    def plan_one(
        self, account_id: str, policy: Policy, cid: str, stage: str, numbers: list[str], today: str, now: str
    ) -> bool:
        key = intent_id(cid, numbers, stage)
        existing = outbox.get(self.db, account_id, key)
        if existing is not None and existing.status != "stopped":
            return False
        contract = self.app.get_contract(account_id, cid)
        if not still_due(contract, numbers, stage, today):
            return False  # the read model lags behind the contract: it is not due after all
        send_on = policy.send_day(today)
        letter = stage == "letter_before_action"
        status = "draft" if policy.mode == "review" else "ready_to_post" if letter else "queued"
        if existing is not None:
            return outbox.revive(self.db, key, status, send_on + START_OF_DAY, now)
        intent = self.intent(key, contract, stage, numbers, today, send_on, now)
        intent.status, intent.channel = status, policy.letter_channel if letter else "email"
        if letter:
            pdf = letter_pdf(self.app, account_id, cid, send_on, self.tables)
            intent.document_hash = self.attachments.put(account_id, pdf)
            intent.subject = f"Letter before action: invoice {', '.join(numbers)}"
            intent.preview = letter_preview(contract, numbers, send_on)
        return outbox.insert(self.db, intent)

    def intent(
        self, key: str, contract: Contract, stage: str, numbers: list[str], today: str, send_on: str, now: str
    ) -> Intent:
        preview: Any = None
        subject = ""
        if stage != "letter_before_action":
            rendered = render.render(contract, stage, numbers, send_on, self.tables)
            subject, preview = rendered.subject, rendered.text[: render.PREVIEW_CHARS_MAX]
        stage_due_on = min(r["stage_due_on"] for r in reminders_due(contract, today) if r["invoice_number"] in numbers)
        return Intent(
            id=key,
            account_id=contract.account_id,
            contract_id=str(contract.id),
            invoice_numbers=numbers,
            stage=stage,
            channel="email",
            status="queued",
            stage_due_on=stage_due_on,
            send_on=send_on,
            recipient=contract.client["email"],
            subject=subject,
            preview=preview or "",
            message_id=render.message_id(key, self.smtp.domain),
            document_hash=None,
            sent_on=None,
            attempts=0,
            failures=0,
            next_attempt_at=send_on + START_OF_DAY,
            lease_until=None,
            claimed_by=None,
            last_error=None,
            created_at=now,
            updated_at=now,
        )


def letter_preview(contract: Contract, numbers: list[str], day: str) -> str:
    outstanding = sum(contract.invoices[n].outstanding(day) for n in numbers)
    return (
        f"Letter before action to {contract.client['name']} ({contract.client.get('address') or 'no address'}), "
        f"dated {day}, for invoice {', '.join(numbers)}: {format_minor(outstanding, contract.currency)} "
        "outstanding, with interest and compensation as shown in the PDF."
    )
