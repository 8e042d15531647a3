"""The dated entries of the read models give every invoice's balance on every date (pure, no I/O)."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.errors import LedgerError
from projections.rows import all_invoiced_intervals, client_key, invoice_entries
from tests.factories import signed
from tests.workload import draw_command, draw_day


def balance(entries: list[tuple[str, str | None, int]], day: str) -> int:
    return sum(amount for on, until, amount in entries if on <= day and (until is None or until > day))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_entries_of_an_invoice_sum_to_its_outstanding_balance_on_every_date(data: st.DataObject) -> None:
    contract, day = signed(), date(2026, 1, 5)
    for serial in range(40):
        day = draw_day(data, day)
        command, args = draw_command(data, contract, day, serial)
        with contextlib.suppress(LedgerError):
            COMMANDS[command].from_args(args).apply(contract)
    for invoice in contract.invoices.values():
        entries = invoice_entries(invoice)
        for offset in range(0, (day - date(2026, 1, 5)).days + 3):
            on = (date(2026, 1, 4) + timedelta(days=offset)).isoformat()
            assert balance(entries, on) == invoice.outstanding(on)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_all_invoiced_intervals_cover_exactly_the_days_every_milestone_has_a_live_invoice(data: st.DataObject) -> None:
    contract, day = signed(), date(2026, 1, 5)
    for serial in range(40):
        day = draw_day(data, day)
        command, args = draw_command(data, contract, day, serial)
        with contextlib.suppress(LedgerError):
            COMMANDS[command].from_args(args).apply(contract)
    intervals = all_invoiced_intervals(contract)
    for offset in range(0, (day - date(2026, 1, 5)).days + 3):
        on = (date(2026, 1, 4) + timedelta(days=offset)).isoformat()
        covered = any(start <= on and (end is None or end > on) for start, end in intervals)
        assert covered == all(contract.milestone_invoiced(key, on) for key in contract.milestones), on


def test_a_client_is_known_by_company_number_else_by_email_whatever_the_spelling() -> None:
    assert client_key({"email": "X@Y.example", "company_number": "01 234 567"}) == "co-01234567"
    assert client_key({"email": " Ap@Client.Example ", "company_number": None}) == "ap@client.example"
