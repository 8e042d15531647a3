"""Queries on the contracts index and the licences read model."""

from __future__ import annotations

import base64
from typing import Any

from ledger.errors import ValidationError
from ledger.state import LicenceState
from projections.db import Database
from projections.queries import PAGE_SIZE_MAX, money

# Status as of the query date: "overdue" as recorded means money is outstanding; it is overdue on ``as_of`` only
# if an open invoice fell due before that date, otherwise the contract is awaiting payment.
STATUS_SQL = (
    "CASE WHEN c.status_recorded = 'overdue' THEN CASE WHEN EXISTS (SELECT 1 FROM rm_contract_dues d "
    "WHERE d.contract_id = c.contract_id AND d.due_on < ?) THEN 'overdue' ELSE 'awaiting_payment' END "
    "ELSE c.status_recorded END"
)
OVERDUE_SQL = "(SELECT COALESCE(SUM(d.outstanding), 0) FROM rm_contract_dues d WHERE d.contract_id = c.contract_id AND d.due_on < ?)"
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
    """One page of the account's contracts in id order, and the cursor of the next page (None at the end)."""
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    columns = ", ".join(f"c.{f}" for f in CONTRACT_FIELDS[:-2])
    inner = (f"SELECT {columns}, {STATUS_SQL} AS status, {OVERDUE_SQL} AS overdue FROM rm_contracts c "
             "WHERE c.account_id = ? AND c.contract_id > ?")
    params: list[Any] = [as_of, as_of, account_id, decode_cursor(cursor) if cursor else ""]
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
    rows = db.fetchall(f"SELECT * FROM ({inner}) x {clause} ORDER BY x.contract_id LIMIT ?", [*params, limit + 1])
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


LICENCE_FIELDS = ("contract_id", "client_key", "client_name", "title", "terms_kind", "kind", "granted_on", "expires_on",
                  "perpetual_on")


def licences(db: Database, account_id: str, as_of: str, expiring_before: str | None = None) -> list[dict[str, Any]]:
    """Each contract's licence with its status on ``as_of``; with ``expiring_before``, only time-limited ones ending before it."""
    sql = f"SELECT {', '.join(LICENCE_FIELDS)} FROM rm_licences WHERE account_id = ?"
    params: list[Any] = [account_id]
    if expiring_before:
        sql += " AND expires_on IS NOT NULL AND expires_on < ? AND (perpetual_on IS NULL OR perpetual_on > ?)"
        params += [expiring_before, as_of]
    result = []
    for row in db.fetchall(sql + " ORDER BY expires_on, contract_id", params):
        data = dict(zip(LICENCE_FIELDS, row, strict=True))
        state = LicenceState(data["kind"], data["granted_on"], data["expires_on"], data["perpetual_on"])
        result.append({**data, "status": state.status(as_of)})
    return result
