"""The dunning outbox and each account's dunning settings: the SQL of the reminder dispatcher.

These tables live beside the read models (the store's SQLite file or PostgreSQL
schema) but are not read models: they hold the dispatcher's own state and are
never dropped or rebuilt. One outbox row is one dispatch intent, keyed by
(contract, invoices, stage), recorded before anything is sent. A dispatcher
takes a row with a lease: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL,
an immediate (write-locked) transaction on SQLite, so two dispatchers never
hold the same row; a row whose lease ran out (its dispatcher died) can be taken
again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from projections.db import Database, create_with_retries

OUTBOX = "dunning_outbox"
SETTINGS = "dunning_settings"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {OUTBOX} (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, contract_id TEXT NOT NULL, "
    "invoice_numbers TEXT NOT NULL, stage TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, "
    "stage_due_on TEXT NOT NULL, send_on TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, "
    "preview TEXT NOT NULL, message_id TEXT NOT NULL, document_hash TEXT, sent_on TEXT, attempts INTEGER NOT NULL, "
    "failures INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, lease_until TEXT, claimed_by TEXT, last_error TEXT, "
    "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (status, next_attempt_at)",
    f"CREATE INDEX IF NOT EXISTS {OUTBOX}_account ON {OUTBOX} (account_id, status, created_at)",
    f"CREATE TABLE IF NOT EXISTS {SETTINGS} (account_id TEXT PRIMARY KEY, policy TEXT NOT NULL, updated_at TEXT NOT NULL)",
)
# Statuses: draft (review mode: waits for approval), queued (to send), sending (taken; something may have left),
# sent (the server accepted it; ReminderSent not yet recorded), recorded (done), failed (the server refused or was
# down: retried at next_attempt_at), gave_up (retries exhausted), ready_to_post (a letter waiting for the post),
# stopped (no longer due: paid, disputed, promised, in claim ...), discarded (refused in review).
TAKEABLE = ("queued", "failed")
IN_FLIGHT = ("sending", "sent")
STATUSES = (
    "draft",
    "queued",
    "sending",
    "sent",
    "recorded",
    "failed",
    "gave_up",
    "ready_to_post",
    "stopped",
    "discarded",
)
LIST_MAX = 200


@dataclass
class Intent:
    id: str
    account_id: str
    contract_id: str
    invoice_numbers: list[str]
    stage: str
    channel: str
    status: str
    stage_due_on: str
    send_on: str
    recipient: str
    subject: str
    preview: str
    message_id: str
    document_hash: str | None
    sent_on: str | None
    attempts: int
    failures: int
    next_attempt_at: str
    lease_until: str | None
    claimed_by: str | None
    last_error: str | None
    created_at: str
    updated_at: str

    def row(self) -> tuple[Any, ...]:
        values = asdict(self)
        values["invoice_numbers"] = ",".join(self.invoice_numbers)
        return tuple(values[f.name] for f in fields(Intent))


COLUMNS = ", ".join(f.name for f in fields(Intent))


def intent_of(row: tuple[Any, ...]) -> Intent:
    values = dict(zip([f.name for f in fields(Intent)], row, strict=True))
    values["invoice_numbers"] = values["invoice_numbers"].split(",")
    values["attempts"], values["failures"] = int(values["attempts"]), int(values["failures"])
    return Intent(**values)


def ensure_tables(db: Database) -> None:
    """Create the tables if missing (``ledger db migrate`` does it once; workers starting together may race)."""
    def create() -> None:
        for statement in DDL:
            db.execute(statement)

    create_with_retries(create)


def insert(db: Database, intent: Intent) -> bool:
    """Record the intent unless one with its key exists; True if it was new."""
    marks = ",".join("?" * len(fields(Intent)))
    return (
        db.execute_count(f"INSERT INTO {OUTBOX} ({COLUMNS}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING", intent.row())
        == 1
    )


def revive(db: Database, intent_id: str, status: str, next_attempt_at: str, now: str) -> bool:
    """A stopped intent whose reminder is due again (a dispute resolved, a promise broken) goes back to ``status``."""
    return (
        db.execute_count(
            f"UPDATE {OUTBOX} SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'stopped'",
            (status, next_attempt_at, now, intent_id),
        )
        == 1
    )


def take(db: Database, now: str, lease_until: str, owner: str) -> Intent | None:
    """Take the next intent to send (or an in-flight one whose dispatcher's lease ran out), leased to ``owner``."""
    lock = " FOR UPDATE SKIP LOCKED" if db.kind == "postgres" else ""
    with db.transaction():
        row = db.fetchone(
            f"SELECT {COLUMNS} FROM {OUTBOX} WHERE (status IN ('queued', 'failed') AND next_attempt_at <= ?) "
            "OR (status IN ('sending', 'sent') AND lease_until <= ?) ORDER BY next_attempt_at, id LIMIT 1" + lock,
            (now, now),
        )
        if row is None:
            return None
        intent = intent_of(row)
        db.execute(
            f"UPDATE {OUTBOX} SET lease_until = ?, claimed_by = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE id = ?",
            (lease_until, owner, now, intent.id),
        )
    intent.lease_until, intent.claimed_by, intent.attempts = lease_until, owner, intent.attempts + 1
    return intent


def update(db: Database, intent: Intent, now: str, **changes: Any) -> bool:
    """Change a taken intent, only while ``intent.claimed_by`` still holds it; False if another took it over."""
    changes["updated_at"] = now
    assignments = ", ".join(f"{name} = ?" for name in changes)
    done = (
        db.execute_count(
            f"UPDATE {OUTBOX} SET {assignments} WHERE id = ? AND claimed_by = ?",
            (*changes.values(), intent.id, intent.claimed_by),
        )
        == 1
    )
    if done:
        for name, value in changes.items():
            setattr(intent, name, value)
    return done


def set_status(
    db: Database, account_id: str, intent_id: str, from_status: tuple[str, ...], changes: dict[str, Any]
) -> bool:
    """Move an account's intent out of one of ``from_status`` (approve, discard, reconcile); False if it was not."""
    assignments = ", ".join(f"{name} = ?" for name in changes)
    marks = ",".join("?" * len(from_status))
    return (
        db.execute_count(
            f"UPDATE {OUTBOX} SET {assignments} WHERE account_id = ? AND id = ? AND status IN ({marks})",
            (*changes.values(), account_id, intent_id, *from_status),
        )
        == 1
    )


def get(db: Database, account_id: str, intent_id: str) -> Intent | None:
    row = db.fetchone(f"SELECT {COLUMNS} FROM {OUTBOX} WHERE account_id = ? AND id = ?", (account_id, intent_id))
    return intent_of(row) if row else None


def listed(db: Database, account_id: str, status: str | None, limit: int = LIST_MAX) -> list[Intent]:
    where, params = "account_id = ?", [account_id]
    if status:
        where, params = where + " AND status = ?", [*params, status]
    rows = db.fetchall(
        f"SELECT {COLUMNS} FROM {OUTBOX} WHERE {where} ORDER BY created_at, id LIMIT ?",
        (*params, max(1, min(limit, LIST_MAX))),
    )
    return [intent_of(row) for row in rows]


def awaiting(db: Database, statuses: tuple[str, ...], after_id: str = "") -> list[Intent]:
    """One page (in id order, after ``after_id``) of the intents waiting in ``statuses``: drafts, letters to post."""
    marks = ",".join("?" * len(statuses))
    rows = db.fetchall(
        f"SELECT {COLUMNS} FROM {OUTBOX} WHERE status IN ({marks}) AND id > ? ORDER BY id LIMIT ?",
        (*statuses, after_id, LIST_MAX),
    )
    return [intent_of(row) for row in rows]


def counts(db: Database) -> tuple[dict[str, int], int]:
    """Intents per status over all accounts, and the send failures counted so far (for /metrics)."""
    by_status = {status: int(n) for status, n in db.fetchall(f"SELECT status, COUNT(*) FROM {OUTBOX} GROUP BY status")}
    failures = db.fetchone(f"SELECT COALESCE(SUM(failures), 0) FROM {OUTBOX}")
    return by_status, int(failures[0]) if failures else 0


def read_policy(db: Database, account_id: str) -> dict[str, Any] | None:
    row = db.fetchone(f"SELECT policy FROM {SETTINGS} WHERE account_id = ?", (account_id,))
    return dict(json.loads(row[0])) if row else None


def write_policy(db: Database, account_id: str, policy: dict[str, Any], now: str) -> None:
    db.execute(
        f"INSERT INTO {SETTINGS} (account_id, policy, updated_at) VALUES (?, ?, ?) ON CONFLICT (account_id) "
        "DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
        (account_id, json.dumps(policy, sort_keys=True), now),
    )


def accounts_with_invoices(db: Database) -> list[str]:
    """Every account the reminders read model knows (the dispatcher plans each in turn)."""
    return [str(r[0]) for r in db.fetchall("SELECT DISTINCT account_id FROM rm_reminder_invoices ORDER BY account_id")]
