"""The application service on real stores: the same scenarios on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger import errors
from ledger.accounts import account_aggregate_id
from ledger_cli.story import AS_OF, DEMO_CONTRACT_ID, THIRD, run_story
from tests.factories import as_command, money, signing, terms
from tests.integration.store_sql import update_snapshot, update_state


def sign(app: LedgerApplication, account: str = "acct", key: str | None = None, **overrides: object):
    return app.sign_contract(account, signing(terms(**overrides)), idempotency_key=key or str(uuid4()))


def snapshot(app: LedgerApplication, account: str, contract_id) -> tuple:
    contract = app.get_contract(account, contract_id)
    return contract.version, contract.chain_head, app.summary(account, contract_id, date(2026, 12, 31))


def test_the_story_ends_with_the_final_third_overdue_and_a_verified_chain(app: LedgerApplication) -> None:
    contract_id = run_story(app, "acct")
    summary = app.summary("acct", contract_id, AS_OF)
    assert summary["overdue"] == {"amount": THIRD, "currency": "GBP"}
    assert summary["paid"]["amount"] == 2 * THIRD and summary["status"] == "overdue"
    statement = app.statement("acct", contract_id, AS_OF)
    assert statement["closing_balance"] == THIRD == statement["outstanding"]
    result = app.verify("acct", contract_id)
    assert result.ok and result.fingerprint == summary["fingerprint"] and result.version == 15


def test_the_story_records_the_same_fingerprint_on_sqlite_and_postgresql(
    sqlite_store: StoreConfig, pg_store: StoreConfig
) -> None:
    heads = []
    for store in (sqlite_store, pg_store):
        app = LedgerApplication(store, create_tables=True)
        run_story(app, "acct")
        heads.append(app.verify("acct", DEMO_CONTRACT_ID).fingerprint)
        app.close()
    assert heads[0] == heads[1] and heads[0] is not None


def test_a_repeated_command_with_the_same_key_returns_the_first_result_and_records_nothing(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    args = {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}
    first = app.execute("acct", contract_id, as_command("issue_invoice", args), idempotency_key="k1")
    before = snapshot(app, "acct", contract_id)
    again = app.execute("acct", contract_id, as_command("issue_invoice", args), idempotency_key="k1")
    assert again.replayed and (again.version, again.fingerprint, again.events) == (first.version, first.fingerprint, first.events)
    assert snapshot(app, "acct", contract_id) == before


def test_the_same_key_with_a_different_command_is_a_conflict_and_changes_nothing(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    app.execute("acct", contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                idempotency_key="k1")
    before = snapshot(app, "acct", contract_id)
    with pytest.raises(errors.IdempotencyConflict):
        app.execute("acct", contract_id, as_command("record_payment", {"occurred_on": date(2026, 1, 6), "payment_id": "p", "amount": money(10)}), idempotency_key="k1")
    assert snapshot(app, "acct", contract_id) == before


def test_idempotency_keys_are_scoped_to_the_account(app: LedgerApplication) -> None:
    first = sign(app, "alice", key="same-key")
    second = sign(app, "bob", key="same-key")
    assert first.contract_id != second.contract_id and not second.replayed


def test_a_stale_expected_version_is_refused_and_changes_nothing(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    before = snapshot(app, "acct", contract_id)
    with pytest.raises(errors.VersionConflict):
        app.execute("acct", contract_id, as_command("pause_work", {"occurred_on": date(2026, 2, 1), "reason": "x"}),
                    idempotency_key="k", expected_version=7)
    assert snapshot(app, "acct", contract_id) == before
    app.execute("acct", contract_id, as_command("pause_work", {"occurred_on": date(2026, 2, 1), "reason": "x"}),
                idempotency_key="k2", expected_version=1)


def test_another_accounts_contract_is_not_found(app: LedgerApplication) -> None:
    contract_id = sign(app, "alice").contract_id
    with pytest.raises(errors.ContractNotFound):
        app.summary("bob", contract_id, date(2026, 2, 1))
    with pytest.raises(errors.ContractNotFound):
        app.execute("bob", contract_id, as_command("pause_work", {"occurred_on": date(2026, 2, 1), "reason": "x"}), idempotency_key="k")
    assert app.get_contract("alice", contract_id).version == 1


def test_the_records_of_another_accounts_contract_or_of_no_contract_are_not_found(app: LedgerApplication) -> None:
    contract_id = sign(app, "alice").contract_id
    app.create_account("Bob", "bob")
    for account, wanted in (("bob", contract_id), ("alice", uuid4()), ("alice", "not-a-uuid"),
                            ("bob", account_aggregate_id("bob"))):  # another kind of aggregate, even its own
        with pytest.raises(errors.ContractNotFound):
            app.event_records(account, wanted)
    records = app.event_records("alice", str(contract_id))
    assert [r.event_type for r in records] == ["ContractSigned"]
    assert records[0].contract_id == str(contract_id) and records[0].payload["account_id"] == "alice"


def test_invoice_numbers_are_allocated_gapless_across_the_accounts_contracts(app: LedgerApplication) -> None:
    numbers = []
    for _ in range(3):
        contract_id = sign(app).contract_id
        app.execute("acct", contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                    idempotency_key=str(uuid4()))
        numbers.extend(app.get_contract("acct", contract_id).invoices)
    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]


def test_an_invoice_number_used_elsewhere_in_the_account_is_refused_and_changes_nothing(app: LedgerApplication) -> None:
    first, second = sign(app).contract_id, sign(app).contract_id
    args = {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"], "number": "2026-001"}
    app.execute("acct", first, as_command("issue_invoice", args), idempotency_key="a")
    before = snapshot(app, "acct", second)
    with pytest.raises(errors.DuplicateInvoiceNumber):
        app.execute("acct", second, as_command("issue_invoice", args), idempotency_key="b")
    assert snapshot(app, "acct", second) == before
    other = sign(app, "other").contract_id  # another account may use the same number
    app.execute("other", other, as_command("issue_invoice", args), idempotency_key="c")


def test_an_allocated_number_skips_one_the_caller_already_took(app: LedgerApplication) -> None:
    first, second = sign(app).contract_id, sign(app).contract_id
    app.execute("acct", first, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"], "number": "INV-000001"}), idempotency_key="a")
    app.execute("acct", second, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                idempotency_key="b")
    assert list(app.get_contract("acct", second).invoices) == ["INV-000002"]


def test_a_business_rule_refusal_through_the_service_changes_nothing(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    before = snapshot(app, "acct", contract_id)
    with pytest.raises(errors.MilestoneNotFound):
        app.execute("acct", contract_id, as_command("deliver_milestone", {"occurred_on": date(2026, 2, 1), "key": "nope", "description": "x"}), idempotency_key="k")
    assert snapshot(app, "acct", contract_id) == before
    # The refused key was not consumed: it can carry a valid command afterwards.
    app.execute("acct", contract_id, as_command("deliver_milestone", {"occurred_on": date(2026, 2, 1), "key": "prototype", "description": "x"}), idempotency_key="k")


def test_an_unknown_command_is_refused(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    with pytest.raises(errors.ValidationError):
        app.execute("acct", contract_id, as_command("delete_everything", {}), idempotency_key="k")


def test_editing_a_stored_events_payload_in_the_database_is_named_by_verify(app: LedgerApplication, store: StoreConfig) -> None:
    contract_id = run_story(app, "acct")

    def tamper(state: dict) -> None:
        state["amount"] = 1  # the second payment, "received" as one penny

    update_state(store, contract_id, 7, tamper)
    result = app.verify("acct", contract_id)
    assert not result.ok and result.broken_version == 7 and "altered" in (result.reason or "")


def test_a_long_contract_loads_from_a_snapshot_exactly_as_from_its_events(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    contract_id = UUID(sign(app).contract_id)
    for index in range(230):
        app.execute("acct", contract_id, as_command("log_communication", {"occurred_on": date(2026, 2, 1), "direction": "outbound", "channel": "email", "summary": f"note {index}"}),
                    idempotency_key=f"k{index}")
    with_snapshots = app.get_contract("acct", contract_id)
    assert app.snapshots is not None and len(list(app.snapshots.get(contract_id))) >= 2
    plain = LedgerApplication(store)
    plain.snapshots = None  # load from the events alone
    from_events = plain.repository.get(contract_id)
    assert vars(from_events) == vars(with_snapshots)


def test_library_variables_in_the_environment_cannot_redirect_the_store(
    monkeypatch: pytest.MonkeyPatch, sqlite_store: StoreConfig
) -> None:
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")
    monkeypatch.setenv("LEDGER_PERSISTENCE_MODULE", "eventsourcing.popo")
    app = LedgerApplication(sqlite_store)
    assert type(app.recorder).__module__ == "eventsourcing.sqlite"


def test_the_service_refuses_to_start_on_the_in_memory_store(sqlite_store: StoreConfig) -> None:
    class InMemory(StoreConfig):
        def library_env(self, *, create_tables: bool) -> dict[str, str]:
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    with pytest.raises(errors.ConfigurationError, match="popo"):
        LedgerApplication(InMemory(sqlite_store.url))


def test_an_unreachable_database_is_reported_as_unavailable() -> None:
    with pytest.raises(errors.StoreUnavailable, match="cannot open"):
        LedgerApplication(StoreConfig("postgresql://postgres@127.0.0.1:9/nowhere"))


def test_a_repeated_payment_returns_its_first_result_although_the_repeat_itself_would_be_refused(
    app: LedgerApplication,
) -> None:
    contract_id = sign(app).contract_id
    app.execute("acct", contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}),
                idempotency_key="inv")
    args = {"occurred_on": date(2026, 1, 6), "payment_id": "bank-1", "amount": money(100_000)}
    first = app.execute("acct", contract_id, as_command("record_payment", args), idempotency_key="pay")
    again = app.execute("acct", contract_id, as_command("record_payment", args), idempotency_key="pay", expected_version=1)
    assert again.replayed and again.version == first.version
    assert app.get_contract("acct", contract_id).paid_total() == 100_000


def test_signing_with_an_id_already_taken_is_refused(app: LedgerApplication) -> None:
    contract_id = UUID(sign(app).contract_id)
    with pytest.raises(errors.AlreadyExists):
        app.sign_contract("acct", signing(terms()), idempotency_key="another-key", contract_id=contract_id)
    assert app.get_contract("acct", contract_id).version == 1


def test_a_statement_can_be_reproduced_as_the_ledger_knew_it_at_an_earlier_version(app: LedgerApplication) -> None:
    contract_id = run_story(app, "acct")
    # Version 6: the second invoice is issued and its payment not yet recorded.
    then = app.statement("acct", contract_id, AS_OF, version=6)
    now = app.statement("acct", contract_id, AS_OF)
    assert then["closing_balance"] == THIRD and then["version"] == 6
    assert now["closing_balance"] == THIRD and len(now["lines"]) == 5 and len(then["lines"]) == 3


def test_the_same_command_with_the_contract_id_spelt_in_capitals_is_a_replay(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    args = {"occurred_on": date(2026, 2, 1), "direction": "inbound", "channel": "email", "summary": "hello"}
    first = app.execute("acct", contract_id, as_command("log_communication", args), idempotency_key="u")
    again = app.execute("acct", contract_id.upper(), as_command("log_communication", args), idempotency_key="u")
    assert again.replayed and again.version == first.version


def test_a_float_amount_through_the_service_is_a_validation_error_and_changes_nothing(app: LedgerApplication) -> None:
    contract_id = sign(app).contract_id
    before = snapshot(app, "acct", contract_id)
    with pytest.raises(errors.ValidationError):
        app.execute("acct", contract_id, as_command("record_payment", {"occurred_on": date(2026, 2, 1), "payment_id": "p", "amount": {"amount": 1.5, "currency": "EUR"}}),
                    idempotency_key="f")
    with pytest.raises(errors.ValidationError):
        app.execute("acct", contract_id, as_command("pause_work", {"occurred_on": date(2026, 2, 1), "reason": "x"}),
                    idempotency_key="key-\udc80")
    assert snapshot(app, "acct", contract_id) == before


def test_an_edited_schema_version_breaks_the_chain(app: LedgerApplication, store: StoreConfig) -> None:
    contract_id = UUID(sign(app).contract_id)
    app.execute("acct", contract_id, as_command("log_communication", {"occurred_on": date(2026, 2, 1), "direction": "inbound", "channel": "phone",
                 "summary": "client admits receiving the delivery", "counterpart": "CFO"}), idempotency_key="c")
    update_state(store, contract_id, 2, lambda state: state.__setitem__("class_version", 1))
    result = app.verify("acct", contract_id)
    assert not result.ok and result.broken_version == 2


def test_an_altered_snapshot_is_caught_by_verify(app: LedgerApplication, store: StoreConfig) -> None:
    contract_id = UUID(sign(app).contract_id)
    app.execute("acct", contract_id, as_command("issue_invoice", {"number": "I1", "occurred_on": date(2026, 1, 5), "milestone_keys": ["advance"]}), idempotency_key="i")
    for index in range(100):
        app.execute("acct", contract_id, as_command("log_communication", {"occurred_on": date(2026, 1, 6), "direction": "inbound", "channel": "email", "summary": f"m{index}"}),
                    idempotency_key=f"l{index}")
    assert app.verify("acct", contract_id).ok
    update_snapshot(store, contract_id, lambda doc: doc["state"]["invoices"]["I1"]["_data_"].__setitem__("amount", 1))
    fresh = LedgerApplication(store)
    result = fresh.verify("acct", contract_id)
    assert not result.ok and "snapshot" in (result.reason or "")
    assert fresh.replay_contract(contract_id).outstanding() == 100_000
