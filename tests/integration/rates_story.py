"""A UK debt that falls due on 2027-01-02: after the packaged rate tables stop being exact."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger import clock
from tests.factories import as_command, signing

ACCOUNT = "acct-rates"


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with clock.fixed_clock(lambda: moment):
        yield


def uk_store(tmp_path: Path) -> tuple[str, str]:
    """A GBP 1,000.00 invoice to a UK business, issued 2026-12-19 on 14 days' terms: due 2027-01-02."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path}/ledger.db"
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    money = {"amount": 100_000, "currency": "GBP"}
    try:
        app.create_account("Ada Byte Studio", account_id=ACCOUNT)
        with at(datetime(2026, 12, 1, 17, tzinfo=UTC)):
            contract_id = app.sign_contract(ACCOUNT, signing({"occurred_on": date(2026, 12, 1), "title": "Brand refresh", "supplier": {"name": "Ada Byte Studio Ltd", "email": "a@adabyte.example"}, "client": {"name": "Northwind Trading Ltd", "email": "f@northwind.example"}, "currency": "GBP", "total": money, "jurisdiction": "GB-ENG", "payment_terms_days": 14, "milestones": [{"key": "all", "title": "All work", "amount": money, "due": "on_signing"}], "late_payment": {"kind": "statutory"}}), idempotency_key="sign").contract_id
        with at(datetime(2026, 12, 19, 17, tzinfo=UTC)):
            app.execute(
                ACCOUNT,
                contract_id,
                as_command("issue_invoice", {"occurred_on": date(2026, 12, 19), "milestone_keys": ["all"]}),
                idempotency_key="inv",
            )
    finally:
        app.close()
    return url, str(contract_id)
