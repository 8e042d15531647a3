"""The property test again, through the application service and a real store.

Fewer examples than the pure-domain test: here every command is a real
transaction, and verify walks the events as stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.errors import LedgerError
from tests.factories import as_command, signing, terms
from tests.workload import draw_command, draw_day


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_commands_through_the_service_keep_every_guarantee(store: StoreConfig, data: st.DataObject) -> None:
    app = LedgerApplication(store, create_tables=True)
    account = f"acct-{uuid4().hex[:8]}"
    contract_id = app.sign_contract(account, signing(terms()), idempotency_key="sign").contract_id
    today = date(2026, 1, 5)
    for serial in range(data.draw(st.integers(min_value=5, max_value=25), label="length")):
        today = draw_day(data, today)
        contract = app.get_contract(account, contract_id)
        command, args = draw_command(data, contract, today, serial)
        try:
            app.execute(account, contract_id, as_command(command, args), idempotency_key=f"k{serial}")
        except LedgerError:
            after = app.get_contract(account, contract_id)
            assert (after.version, after.chain_head) == (contract.version, contract.chain_head)
        as_of = today + timedelta(days=30)
        statement = app.statement(account, contract_id, as_of)
        summary = app.summary(account, contract_id, as_of)
        assert statement["closing_balance"] == summary["outstanding"]["amount"]
        loaded = app.get_contract(account, contract_id)
        assert loaded.paid_total() == sum(a["amount"] for a in loaded.payment_allocations())
    result = app.verify(account, contract_id)
    assert result.ok and result.version == app.get_contract(account, contract_id).version
    app.close()
