"""Questions the API and the CLI ask the read models, for any ``as_of`` date (ISO string).

Outstanding balances come from the dated entries (see ``projections.rows``);
days overdue, buckets and reminder stages are computed here at query time, the
stages by ``ledger.reminders.next_reminder`` itself, so the read model and a
contract's own summary cannot disagree on the schedule.
"""

from __future__ import annotations

import time
from typing import Any

from ledger.dates import add_days, days_between
from ledger.reminders import next_reminder
from projections.db import Database
from projections.projector import read_position

WAIT_MAX_S = 5.0
PAGE_SIZE_MAX = 200
BUCKETS = (("current", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90), ("90+", None))


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": int(amount), "currency": currency}


def position(db: Database, names: list[str]) -> int:
    return min(read_position(db, name) for name in names)


def wait_for_position(db: Database, names: list[str], min_position: int | None, timeout: float = WAIT_MAX_S) -> int:
    """The models' position once it reaches ``min_position`` (read-your-writes), or where it is after ``timeout``."""
    deadline = time.monotonic() + min(timeout, WAIT_MAX_S)
    current = position(db, names)
    while min_position is not None and current < min_position and time.monotonic() < deadline:
        time.sleep(0.05)
        current = position(db, names)
    return current


def bucket(days_overdue: int) -> str:
    for name, limit in BUCKETS:
        if limit is None or days_overdue <= limit:
            return name
    raise AssertionError("unreachable: the last bucket has no limit")


def open_invoices(db: Database, prefix: str, columns: str, account_id: str, as_of: str) -> list[tuple[Any, ...]]:
    """Invoices of ``prefix``'s model with a positive balance on ``as_of``: their ``columns`` and that balance."""
    return db.fetchall(
        f"SELECT {columns}, SUM(e.amount) FROM {prefix}_invoices i JOIN {prefix}_entries e "
        "ON e.contract_id = i.contract_id AND e.number = i.number "
        "WHERE i.account_id = ? AND e.on_date <= ? AND (e.until_date IS NULL OR e.until_date > ?) "
        f"GROUP BY {columns} HAVING SUM(e.amount) > 0 ORDER BY i.due_on, i.contract_id, i.number",
        (account_id, as_of, as_of),
    )


AGING_COLUMNS = ("i.contract_id, i.number, i.client_key, i.client_name, i.currency, i.amount, i.issued_on, i.due_on, "
                 "i.fingerprint, i.fingerprint_version")


def aging(db: Database, account_id: str, as_of: str, group_by: str = "client") -> dict[str, Any]:
    invoices = []
    for cid, number, key, name, cur, amount, issued, due, hash_, version, left in open_invoices(
        db, "rm_aging", AGING_COLUMNS, account_id, as_of
    ):
        days = max(0, days_between(due, as_of))
        invoices.append({"contract_id": cid, "invoice_number": number, "client_key": key, "client_name": name,
                         "amount": money(amount, cur), "issued_on": issued, "due_on": due,
                         "outstanding": money(left, cur), "days_overdue": days, "bucket": bucket(days),
                         "fingerprint_at_issue": {"hash": hash_, "version": version}})
    field = "client_key" if group_by == "client" else "contract_id"
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in invoices:
        groups.setdefault(item[field], []).append(item)
    return {"as_of": as_of, "group_by": group_by, "invoices": invoices, "totals": totals(invoices),
            "groups": [{"key": key, "name": items[0]["client_name"], "totals": totals(items)}
                       for key, items in sorted(groups.items())]}


def totals(invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency: the outstanding total and the total in each bucket."""
    result: dict[str, dict[str, Any]] = {}
    for item in invoices:
        cur, amount = item["outstanding"]["currency"], item["outstanding"]["amount"]
        entry = result.setdefault(cur, {"currency": cur, "outstanding": 0, "buckets": {n: 0 for n, _ in BUCKETS}})
        entry["outstanding"] += amount
        entry["buckets"][item["bucket"]] += amount
    return [result[c] for c in sorted(result)]


REMINDER_COLUMNS = ("i.contract_id, i.number, i.client_key, i.client_name, i.currency, i.due_on, i.offsets_days, "
                    "i.response_days, i.fingerprint, i.fingerprint_version")


def reminders_due(db: Database, account_id: str, as_of: str) -> list[dict[str, Any]]:
    candidates = open_invoices(db, "rm_reminder", REMINDER_COLUMNS, account_id, as_of)
    ids = sorted({row[0] for row in candidates})
    sent, holds = reminder_history(db, ids)
    due = []
    for cid, number, key, name, cur, due_on, offsets, response_days, hash_, version, left in candidates:
        held = any(number_matches(h_number, number) and start <= as_of and (end is None or end > as_of)
                   for h_number, start, end in holds.get(cid, []))
        reminder = next_reminder(
            invoice_number=number, due_on=due_on, outstanding=int(left), offsets=[int(o) for o in offsets.split(",")],
            sent=sent.get((cid, number), []), held=held, response_days=int(response_days), as_of=as_of,
        )
        if reminder:
            item = reminder.to_dict()
            due.append({"contract_id": cid, "client_key": key, "client_name": name, **item,
                        "outstanding": money(item["outstanding"], cur),
                        "fingerprint": {"hash": hash_, "version": version}})
    return due


def next_reminders(db: Database, account_id: str, as_of: str, horizon_days: int = 60) -> tuple[str, list[dict[str, Any]]] | None:
    """The first day after ``as_of`` (within the horizon) on which reminders fall due, and those reminders."""
    for offset in range(1, horizon_days + 1):
        day = add_days(as_of, offset)
        due = reminders_due(db, account_id, day)
        if due:
            return day, due
    return None


def number_matches(held_number: str | None, number: str) -> bool:
    return held_number is None or held_number == number


def reminder_history(db: Database, ids: list[str]) -> tuple[dict[Any, list[dict[str, str]]], dict[str, list[Any]]]:
    sent: dict[Any, list[dict[str, str]]] = {}
    holds: dict[str, list[Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for cid, number, stage, on in db.fetchall(
            f"SELECT contract_id, number, stage, on_date FROM rm_reminders_sent WHERE contract_id IN ({marks})", chunk
        ):
            sent.setdefault((cid, number), []).append({"stage": stage, "on": on})
        for cid, number, begin, end in db.fetchall(
            f"SELECT contract_id, number, start_on, end_before FROM rm_reminder_holds WHERE contract_id IN ({marks})",
            chunk,
        ):
            holds.setdefault(cid, []).append((number, begin, end))
    return sent, holds
