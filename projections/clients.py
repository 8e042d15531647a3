"""Client behaviour: "know who you are dealing with", per client across the account, as of a date.

Definitions (the tests' checker recomputes each from the raw events):
- an invoice is *paid* on ``as_of`` when it is issued and not voided, nothing is
  outstanding that day and at least one payment is in force that day (value-dated
  on or before it, not reversed by then); its days late are the first day of that
  run of zero balance minus its due date (negative means early);
- average and worst days late count early payment as 0; on time means days late <= 0;
- average days to pay: over the same paid invoices, that first day of zero balance minus the issue date;
- unpaid: invoices issued on or before ``as_of``, not voided, with something outstanding that day (due or not):
  how many, and the amount outstanding per currency;
- arrears: the outstanding balance on ``as_of`` of invoices due before ``as_of``, per currency;
- a promise made on or before ``as_of`` is *kept* when the payments value-dated from
  the promise to its date, in force on ``as_of``, cover its amount, *broken* when
  not and its date is before ``as_of``, else pending.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger.dates import days_between
from projections.db import Database
from projections.queries import money


def client_behaviour(db: Database, account_id: str, as_of: str, client_key: str | None = None) -> list[dict[str, Any]]:
    only = " AND client_key = ?" if client_key else ""
    extra = [client_key] if client_key else []
    clients: dict[str, dict[str, Any]] = {}
    for key, name, count in db.fetchall(
        "SELECT client_key, MIN(client_name), COUNT(*) FROM rm_client_contracts "
        f"WHERE account_id = ?{only} GROUP BY client_key",
        [account_id, *extra],
    ):
        clients[key] = {**empty(key), "name": name, "contracts": int(count)}
    add_paid(db, clients, account_id, as_of, only, extra)
    add_days_to_pay(db, clients, account_id, as_of, only, extra)
    add_unpaid(db, clients, account_id, as_of, only, extra)
    add_arrears(db, clients, account_id, as_of, only, extra)
    add_promises(db, clients, account_id, as_of, only, extra)
    return [clients[k] for k in sorted(clients)]


def empty(key: str) -> dict[str, Any]:
    return {"client_key": key, "name": None, "contracts": 0, "invoices_paid": 0, "average_days_late": None, "worst_days_late": None,
            "share_paid_on_time": None, "average_days_to_pay": None, "invoices_unpaid": 0, "unpaid": [], "arrears": [], "promises_kept": 0, "promises_broken": 0, "promises_pending": 0}


def add_paid(
    db: Database, clients: dict[str, dict[str, Any]], account_id: str, as_of: str, only: str, extra: list[str]
) -> None:
    for key, count, late_sum, worst, on_time in db.fetchall(
        "SELECT client_key, COUNT(*), SUM(CASE WHEN days_late > 0 THEN days_late ELSE 0 END), "
        "MAX(CASE WHEN days_late > 0 THEN days_late ELSE 0 END), SUM(CASE WHEN days_late <= 0 THEN 1 ELSE 0 END) "
        "FROM rm_client_paid WHERE account_id = ? AND start_on <= ? AND (end_before IS NULL OR end_before > ?)"
        f"{only} GROUP BY client_key",
        [account_id, as_of, as_of, *extra],
    ):
        entry = clients[key]
        entry["invoices_paid"], entry["worst_days_late"] = int(count), int(worst)
        entry["average_days_late"] = str(ratio(int(late_sum), int(count), "0.1"))
        entry["share_paid_on_time"] = str(ratio(int(on_time), int(count), "0.001"))


def add_days_to_pay(
    db: Database, clients: dict[str, dict[str, Any]], account_id: str, as_of: str, only: str, extra: list[str]
) -> None:
    """Issue date: the invoice's one positive entry (reductions are negative)."""
    spans: dict[str, list[int]] = {}
    for key, settled, issued in db.fetchall(
        "SELECT p.client_key, p.settled_on, MIN(e.on_date) FROM rm_client_paid p JOIN rm_client_entries e "
        "ON e.contract_id = p.contract_id AND e.number = p.number AND e.amount > 0 "
        "WHERE p.account_id = ? AND p.start_on <= ? AND (p.end_before IS NULL OR p.end_before > ?)"
        f"{only.replace('client_key', 'p.client_key')} GROUP BY p.contract_id, p.seq, p.client_key, p.settled_on",
        [account_id, as_of, as_of, *extra],
    ):
        spans.setdefault(key, []).append(days_between(issued, settled))
    for key, found in spans.items():
        clients[key]["average_days_to_pay"] = str(ratio(sum(found), len(found), "0.1"))


def add_unpaid(
    db: Database, clients: dict[str, dict[str, Any]], account_id: str, as_of: str, only: str, extra: list[str]
) -> None:
    totals: dict[str, dict[str, int]] = {}
    for key, currency, left in db.fetchall(
        "SELECT i.client_key, i.currency, SUM(e.amount) FROM rm_client_invoices i JOIN rm_client_entries e "
        "ON e.contract_id = i.contract_id AND e.number = i.number WHERE i.account_id = ? "
        f"AND e.on_date <= ? AND (e.until_date IS NULL OR e.until_date > ?){only.replace('client_key', 'i.client_key')} "
        "GROUP BY i.contract_id, i.number, i.client_key, i.currency",
        [account_id, as_of, as_of, *extra],
    ):
        if int(left) > 0:
            clients[key]["invoices_unpaid"] += 1
            per = totals.setdefault(key, {})
            per[currency] = per.get(currency, 0) + int(left)
    for key, per in totals.items():
        clients[key]["unpaid"] = [money(per[currency], currency) for currency in sorted(per)]


def ratio(part: int, whole: int, places: str) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def add_arrears(
    db: Database, clients: dict[str, dict[str, Any]], account_id: str, as_of: str, only: str, extra: list[str]
) -> None:
    for key, currency, amount in db.fetchall(
        "SELECT i.client_key, i.currency, SUM(e.amount) FROM rm_client_invoices i JOIN rm_client_entries e "
        "ON e.contract_id = i.contract_id AND e.number = i.number WHERE i.account_id = ? AND i.due_on < ? "
        f"AND e.on_date <= ? AND (e.until_date IS NULL OR e.until_date > ?){only.replace('client_key', 'i.client_key')} "
        "GROUP BY i.client_key, i.currency ORDER BY i.client_key, i.currency",
        [account_id, as_of, as_of, as_of, *extra],
    ):
        if int(amount) > 0:
            clients[key]["arrears"].append(money(amount, currency))


def add_promises(
    db: Database, clients: dict[str, dict[str, Any]], account_id: str, as_of: str, only: str, extra: list[str]
) -> None:
    for key, promised_by, amount, paid in db.fetchall(
        "SELECT p.client_key, p.promised_by, p.amount, COALESCE(SUM(x.amount), 0) FROM rm_client_promises p "
        "LEFT JOIN rm_client_promise_payments x ON x.contract_id = p.contract_id AND x.promise = p.seq "
        "AND x.on_date <= ? AND (x.until_date IS NULL OR x.until_date > ?) "
        f"WHERE p.account_id = ? AND p.on_date <= ?{only.replace('client_key', 'p.client_key')} "
        "GROUP BY p.contract_id, p.seq, p.client_key, p.promised_by, p.amount",
        [as_of, as_of, account_id, as_of, *extra],
    ):
        outcome = "kept" if int(paid) >= int(amount) else "broken" if promised_by < as_of else "pending"
        clients[key][f"promises_{outcome}"] += 1
