"""What the HTTP adapter asks of dunning: the account's policy, its drafts and outbox, approvals, the letter PDF.

Every call names the account; an intent of another account is ``ReminderNotFound`` (404), exactly like one that
does not exist. One ``Database`` for every thread, as in ``projections.service``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dunning.settings import Policy
from evidence.attachments import AttachmentStore
from infrastructure.store import StoreConfig
from ledger import clock
from ledger.errors import ReminderNotFound, ReminderNotPending, StoreUnavailable, ValidationError
from projections import outbox
from projections.db import Database
from projections.outbox import Intent
from projections.service import UNAVAILABLE

PUBLIC_FIELDS = (
    "id",
    "contract_id",
    "invoice_numbers",
    "stage",
    "channel",
    "status",
    "stage_due_on",
    "send_on",
    "recipient",
    "subject",
    "preview",
    "message_id",
    "document_hash",
    "sent_on",
    "attempts",
    "failures",
    "next_attempt_at",
    "last_error",
    "created_at",
    "updated_at",
)
POSTAL = ("post", "certified_mail")


def public(intent: Intent) -> dict[str, Any]:
    return {name: getattr(intent, name) for name in PUBLIC_FIELDS}


class DunningService:
    def __init__(self, store: StoreConfig, connection: Callable[[], Database] | None = None) -> None:
        """``connection`` gives the read models' ``Database`` (the API shares it); without it the service has its
        own."""
        self.store = store
        self.own = None if connection is not None else Database(store)
        self.connection = connection or self.own_connection
        outbox.ensure_tables(self.db())

    def own_connection(self) -> Database:
        if self.own is None:
            raise RuntimeError("this service uses the Database it was given")
        return self.own

    def db(self) -> Database:
        return self.connection()

    def policy(self, account_id: str) -> dict[str, Any]:
        return Policy.of(outbox.read_policy(self.db(), account_id)).to_dict()

    def set_policy(self, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
        policy = Policy.of(data)
        policy.send_day(clock.now().date().isoformat())  # refuses a policy with no working day left
        outbox.write_policy(self.db(), account_id, policy.to_dict(), clock.now().isoformat(timespec="seconds"))
        return policy.to_dict()

    def listed(self, account_id: str, status: str | None, limit: int) -> list[dict[str, Any]]:
        if status is not None and status not in outbox.STATUSES:
            raise ValidationError(f"status must be one of {outbox.STATUSES}", {"status": ["invalid"]})
        return [public(i) for i in outbox.listed(self.db(), account_id, status, limit)]

    def get(self, account_id: str, intent_id: str) -> Intent:
        intent = outbox.get(self.db(), account_id, intent_id)
        if intent is None:
            raise ReminderNotFound(f"no reminder {intent_id} in this account", reminder_id=intent_id)
        return intent

    def decide(self, account_id: str, intent_id: str, approve: bool) -> dict[str, Any]:
        """A draft approved goes to the outbox (a letter: ready to post); discarded, it is never sent. Deciding the
        same way again answers the reminder as it is; deciding the other way afterwards is ReminderNotPending."""
        intent = self.get(account_id, intent_id)
        status = ("ready_to_post" if intent.channel in POSTAL else "queued") if approve else "discarded"
        if (intent.status == "discarded") == (not approve) and intent.status != "draft":
            return public(intent)  # already decided this way (approved ones may have moved on: sent, recorded ...)
        now = clock.now().isoformat(timespec="seconds")
        if not outbox.set_status(self.db(), account_id, intent_id, ("draft",), {"status": status, "updated_at": now}):
            raise ReminderNotPending(
                f"reminder {intent_id} is {intent.status}, not a draft waiting for review",
                reminder_id=intent_id,
                status=intent.status,
            )
        return public(self.get(account_id, intent_id))

    def letter_pdf(self, account_id: str, intent_id: str) -> bytes:
        intent = self.get(account_id, intent_id)
        if intent.channel not in POSTAL or not intent.document_hash:
            raise ReminderNotFound(f"reminder {intent_id} is not a letter", reminder_id=intent_id)
        attachments = AttachmentStore(self.store)
        try:
            data = attachments.get(account_id, intent.document_hash)
        finally:
            attachments.close()
        if data is None:
            raise ReminderNotFound(f"the letter of reminder {intent_id} is not stored", reminder_id=intent_id)
        return data

    def counts(self) -> tuple[dict[str, int], int]:
        try:
            return outbox.counts(self.db())
        except UNAVAILABLE as error:
            raise StoreUnavailable(f"the dunning outbox cannot be read: {error}") from error
