"""Guarantees that hold after any sequence of commands (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.chain import ChainRecord, format_recorded_at, verify_chain
from ledger.commands import CONTRACT_COMMANDS as COMMANDS
from ledger.contract import Contract, payload_of
from ledger.errors import LedgerError
from ledger.views import statement
from tests.factories import signed, state_of
from tests.workload import draw_command, draw_day


def chain_of(contract: Contract, events: list) -> list[ChainRecord]:
    return [
        ChainRecord(str(contract.id), e.originator_version, type(e).__name__, 1,
                    payload_of(vars(e), getattr(type(e), "class_version", 1)), e.occurred_on,
                    format_recorded_at(e.timestamp), e.prev_hash, e.hash)
        for e in events
    ]


def check_guarantees(contract: Contract, as_of: str) -> None:
    # G1: the statement's closing balance equals what is outstanding, on any date.
    for day in (as_of, contract.signed_on):
        assert statement(contract, day)["closing_balance"] == contract.outstanding(day)
    # G2: paid equals the sum of allocations, which equals the live payments.
    allocated = sum(a["amount"] for a in contract.payment_allocations())
    live_payments = sum(p.amount for p in contract.payments.values() if p.reversed_on is None)
    assert contract.paid_total() == allocated == live_payments
    # G3: no invoice is ever below zero, on any of its dates.
    for invoice in contract.invoices.values():
        for reduction in invoice.reductions:
            assert invoice.outstanding(reduction["on"]) >= 0
        assert 0 <= invoice.outstanding() <= invoice.amount


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_command_sequence_keeps_the_books_balanced_and_the_chain_intact(data: st.DataObject) -> None:
    contract = signed(contract_id=uuid4())
    events = contract.collect_events()
    today = date.fromisoformat(contract.signed_on)
    for serial in range(data.draw(st.integers(min_value=5, max_value=40), label="length")):
        today = draw_day(data, today)
        command, args = draw_command(data, contract, today, serial)
        version, before = contract.version, state_of(contract)
        try:
            COMMANDS[command].from_args(args).apply(contract)
            event(f"accepted {command}")
        except LedgerError as error:
            event(f"refused {command}: {error.code}")
            # G4: a refused command changes nothing.
            assert contract.version == version and state_of(contract) == before
            assert not contract.pending_events
        events.extend(contract.collect_events())
        check_guarantees(contract, (today + timedelta(days=30)).isoformat())
    # G5: the chain of everything recorded verifies, with the head as fingerprint.
    result = verify_chain(str(contract.id), chain_of(contract, events))
    assert result.ok and result.fingerprint == contract.chain_head and result.version == contract.version
