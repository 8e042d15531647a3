"""The commands every benchmark sends, in one place: sign a contract, log a communication on it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from application.service import LedgerApplication
from ledger.commands import LogCommunication

ACCOUNT = "bench"
NOTE = {"occurred_on": date(2026, 2, 1), "direction": "outbound", "channel": "email", "summary": "note"}


def sign(app: LedgerApplication, account_id: str = ACCOUNT) -> str:
    from tests.factories import signing, terms

    return app.sign_contract(account_id, signing(terms()), idempotency_key=uuid4().hex).contract_id


def log_note(app: LedgerApplication, contract_id: str, account_id: str = ACCOUNT) -> None:
    """One command, one event (plus its idempotency record), a fresh idempotency key."""
    app.execute(account_id, contract_id, LogCommunication(**NOTE), idempotency_key=uuid4().hex)


class CountingConflicts(LedgerApplication):
    """The service, counting the saves a concurrent writer beat (each one is retried from the load)."""

    conflicts = 0

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            type(self).conflicts += 1
            raise
