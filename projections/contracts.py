"""Queries on the contracts index and the licences read model."""

from __future__ import annotations

import base64
from typing import Any

from ledger.errors import ValidationError
from ledger.state import LicenceState
from projections.db import Database
from projections.queries import PAGE_SIZE_MAX, money

SIGNED = "CASE WHEN e.kind = 'invoiced' THEN e.amount ELSE -e.amount END"
# Every figure and the status as of ``as_of``, from the dated entries and intervals (see projections.rows),
# in the precedence of ``Contract.status``: closed, in claim, in dispute, work paused, then the money; "settled" needs
# every milestone invoiced on that date (an "all_invoiced" interval), as ``Contract.milestone_invoiced`` says.
LISTED_SQL = f"""
WITH e AS (
  SELECT contract_id, number, due_on, kind, amount FROM rm_contract_entries
  WHERE account_id = ? AND on_date <= ? AND (until_date IS NULL OR until_date > ?)
), f AS (
  SELECT contract_id,
    SUM(CASE WHEN kind = 'invoiced' THEN amount ELSE 0 END) AS invoiced,
    SUM(CASE WHEN kind = 'payment' THEN amount ELSE 0 END) AS paid,
    SUM(CASE WHEN kind = 'credit' THEN amount ELSE 0 END) AS credited,
    SUM(CASE WHEN kind = 'write_off' THEN amount ELSE 0 END) AS written_off,
    SUM({SIGNED}) AS outstanding,
    SUM(CASE WHEN due_on < ? THEN {SIGNED} ELSE 0 END) AS overdue
  FROM e GROUP BY contract_id
), b AS (
  SELECT contract_id, MIN(due_on) AS next_due_on FROM (
    SELECT contract_id, number, due_on, SUM({SIGNED}) AS left_amount FROM e GROUP BY contract_id, number, due_on
  ) per_invoice WHERE left_amount > 0 GROUP BY contract_id
), s AS (
  SELECT contract_id, MAX(CASE kind WHEN 'closed' THEN 4 WHEN 'in_claim' THEN 3 WHEN 'in_dispute' THEN 2 ELSE 1 END)
    AS status_rank
  FROM rm_contract_intervals WHERE kind <> 'all_invoiced' AND start_on <= ? AND (end_before IS NULL OR end_before > ?)
  GROUP BY contract_id
), a AS (
  SELECT DISTINCT contract_id FROM rm_contract_intervals
  WHERE kind = 'all_invoiced' AND start_on <= ? AND (end_before IS NULL OR end_before > ?)
), listed AS (
  SELECT c.contract_id, c.account_id, c.client_key, c.client_name, c.client_email, c.title, c.currency, c.value,
    COALESCE(f.invoiced, 0) AS invoiced, COALESCE(f.paid, 0) AS paid, COALESCE(f.credited, 0) AS credited,
    COALESCE(f.written_off, 0) AS written_off, COALESCE(f.outstanding, 0) AS outstanding, b.next_due_on,
    c.signed_on, c.last_event_at, c.version, c.fingerprint,
    CASE s.status_rank WHEN 4 THEN 'closed' WHEN 3 THEN 'in_claim' WHEN 2 THEN 'in_dispute' WHEN 1 THEN 'work_paused'
      ELSE CASE WHEN COALESCE(f.overdue, 0) > 0 THEN 'overdue' WHEN COALESCE(f.outstanding, 0) > 0 THEN 'awaiting_payment'
      WHEN a.contract_id IS NOT NULL AND COALESCE(f.invoiced, 0) > 0 THEN 'settled' ELSE 'active' END END AS status,
    COALESCE(f.overdue, 0) AS overdue
  FROM rm_contracts c LEFT JOIN f ON f.contract_id = c.contract_id LEFT JOIN b ON b.contract_id = c.contract_id
    LEFT JOIN s ON s.contract_id = c.contract_id LEFT JOIN a ON a.contract_id = c.contract_id
  WHERE c.account_id = ? AND c.contract_id > ?
)
SELECT * FROM listed x"""
CONTRACT_FIELDS = ("contract_id", "account_id", "client_key", "client_name", "client_email", "title", "currency",
                   "value", "invoiced", "paid", "credited", "written_off", "outstanding", "next_due_on", "signed_on",
                   "last_event_at", "version", "fingerprint", "status", "overdue")
MONEY_FIELDS = ("value", "invoiced", "paid", "credited", "written_off", "outstanding", "overdue")
def encode_cursor(contract_id: str) -> str:
    return base64.urlsafe_b64encode(contract_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # not base64, or not UTF-8 inside (binascii.Error and UnicodeDecodeError are ValueErrors)
        raise ValidationError("cursor is not one this service returned", {"cursor": ["invalid cursor"]}) from None


def list_contracts(
    db: Database, account_id: str, as_of: str, *, status: str | None = None, client_email: str | None = None,
    overdue: bool | None = None, cursor: str | None = None, limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the account's contracts in id order, as of ``as_of``, and the next page's cursor (None at the end)."""
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    params: list[Any] = [account_id, *[as_of] * 7, account_id, decode_cursor(cursor) if cursor else ""]
    where = []
    if status:
        where.append("x.status = ?")
        params.append(status)
    if client_email:
        where.append("x.client_email = ?")
        params.append(client_email.strip().lower())
    if overdue is not None:
        where.append("x.overdue > 0" if overdue else "x.overdue = 0")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = db.fetchall(f"{LISTED_SQL} {clause} ORDER BY x.contract_id LIMIT ?", [*params, limit + 1])
    items = [contract_item(row) for row in rows[:limit]]
    return items, encode_cursor(items[-1]["id"]) if len(rows) > limit else None


def contract_item(row: tuple[Any, ...]) -> dict[str, Any]:
    data = dict(zip(CONTRACT_FIELDS, row, strict=True))
    currency = data["currency"]
    for name in MONEY_FIELDS:
        data[name] = money(data[name], currency)
    data["id"] = data.pop("contract_id")
    data["version"] = int(data["version"])
    data["fingerprint"] = {"hash": data["fingerprint"], "version": data["version"]}
    data["client"] = {"key": data.pop("client_key"), "name": data.pop("client_name"), "email": data.pop("client_email")}
    return data


LICENCE_FIELDS = ("contract_id", "client_key", "client_name", "title", "terms_kind", "granted_on", "expires_on",
                  "perpetual_on")


def licences(db: Database, account_id: str, as_of: str, expiring_before: str | None = None) -> list[dict[str, Any]]:
    """Each contract's licence on ``as_of``: kind, expiry in force, status; ``expiring_before`` keeps the time-limited
    ones whose expiry in force is before that date."""
    columns = ", ".join(f"l.{f}" for f in LICENCE_FIELDS)
    extensions: dict[str, list[dict[str, str]]] = {}
    for cid, on, expires_on in db.fetchall(
        "SELECT x.contract_id, x.on_date, x.expires_on FROM rm_licence_extensions x JOIN rm_licences l "
        "ON l.contract_id = x.contract_id WHERE l.account_id = ? ORDER BY x.contract_id, x.seq", (account_id,)
    ):
        extensions.setdefault(cid, []).append({"on": on, "expires_on": expires_on})
    result = []
    for row in db.fetchall(f"SELECT {columns} FROM rm_licences l WHERE l.account_id = ? ORDER BY l.contract_id",
                           (account_id,)):
        data = dict(zip(LICENCE_FIELDS, row, strict=True))
        state = LicenceState("time_limited", data["granted_on"], data["expires_on"], data["perpetual_on"],
                             extensions.get(data["contract_id"], []))
        status, data["expires_on"] = state.status(as_of), state.expiry(as_of)  # the domain's rule for extensions
        data["kind"] = {"perpetual": "perpetual", "not_granted": "none"}.get(status, "time_limited")
        if expiring_before is None or (status in ("valid", "expired") and data["expires_on"] < expiring_before):
            result.append({**data, "status": status})
    return result
