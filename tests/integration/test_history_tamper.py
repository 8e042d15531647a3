"""History cannot be rewritten by the service, and a rewrite by the owner is named by `ledger audit` and `verify`.

Each tampering case runs on SQLite and PostgreSQL, as someone who can lift the guards (tests/integration/store_sql.py):
on SQLite by dropping the triggers, on PostgreSQL as the owner with the maintenance switch on.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner

from application.service import LedgerApplication
from evidence.audit import audit
from infrastructure.history import grant_service_role, guard_postgres
from infrastructure.store import StoreConfig
from ledger import errors
from ledger_cli.main import cli
from ledger_cli.story import DEMO_CONTRACT_ID, STEPS, run_story
from projections.runner import Runner
from tests.factories import terms
from tests.integration.store_sql import delete_contract, delete_newest_events, rewrite_and_rehash

LAST_STEP = len(STEPS) - 1  # the story's last command, recorded at version 15
LAST_COMMAND = STEPS[LAST_STEP]
HTTP_TERMS = json.loads(json.dumps(terms(), default=str))


def story(app: LedgerApplication) -> UUID:
    run_story(app, "acct")
    return DEMO_CONTRACT_ID


def stored_rows(store: StoreConfig) -> list[tuple[object, ...]]:
    if store.kind == "sqlite":
        with sqlite3.connect(store.sqlite_path) as conn:
            return conn.execute("SELECT * FROM stored_events ORDER BY rowid").fetchall()
    with psycopg.connect(store.pg_conninfo) as conn:
        return conn.execute(f'SELECT * FROM "{store.pg_schema}".ledger_events ORDER BY notification_id').fetchall()


def audit_cli(store: StoreConfig, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"LEDGER_DATABASE_URL": store.url})
    return result.exit_code, result.output


def test_sqlite_refuses_to_update_or_delete_a_stored_event(sqlite_store: StoreConfig) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    story(app)
    before = stored_rows(sqlite_store)
    with sqlite3.connect(sqlite_store.sqlite_path) as conn:
        for statement in ("UPDATE stored_events SET topic = 'x'", "DELETE FROM stored_events"):
            with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
                conn.execute(statement)
    assert stored_rows(sqlite_store) == before
    app.close()


@pytest.fixture
def service_role(pg_store: StoreConfig):
    """A login role made for this test (unique name), granted as `ledger db migrate --service-role` does; dropped after."""
    role = f"ledger_svc_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_store.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    yield role
    with psycopg.connect(pg_store.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


def test_the_postgresql_service_role_appends_and_reads_but_cannot_update_delete_or_truncate(
    pg_store: StoreConfig, service_role: str
) -> None:
    result = CliRunner().invoke(
        cli, ["db", "migrate", "--service-role", service_role], env={"LEDGER_DATABASE_URL": pg_store.url}
    )
    assert result.exit_code == 0, result.output
    as_service = StoreConfig(pg_store.url.replace("postgres@", f"{service_role}@", 1))
    app = LedgerApplication(as_service, create_tables=False)
    story(app)  # the service role records the whole story
    assert app.verify("acct", DEMO_CONTRACT_ID).ok
    before = stored_rows(pg_store)
    with psycopg.connect(as_service.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{pg_store.pg_schema}"')
        conn.execute("SET ledger.history_maintenance = 'on'")  # the switch alone gives the service nothing
        for statement in (
            "UPDATE ledger_events SET topic = 'x'",
            "DELETE FROM ledger_events",
            "TRUNCATE ledger_events",
            "DELETE FROM ledger_snapshots",
            "ALTER TABLE ledger_events DISABLE TRIGGER ALL",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert stored_rows(pg_store) == before
    app.close()


def test_the_postgresql_owner_is_refused_too_unless_the_maintenance_switch_is_on(pg_store: StoreConfig) -> None:
    app = LedgerApplication(pg_store, create_tables=True)
    story(app)
    with psycopg.connect(pg_store.pg_conninfo, autocommit=True) as conn:
        guard_postgres(conn, pg_store.pg_schema, app.event_tables())
        before = stored_rows(pg_store)
        for statement in (
            "UPDATE ledger_events SET topic = 'x'",
            "DELETE FROM ledger_events",
            "TRUNCATE ledger_events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="history is append-only"):
                conn.execute(statement)
        assert stored_rows(pg_store) == before
        conn.execute("SET ledger.history_maintenance = 'on'")
        assert conn.execute("DELETE FROM ledger_events WHERE originator_version = 15").rowcount == 1
    app.close()


def test_granting_refuses_a_role_name_that_is_not_a_plain_identifier(pg_store: StoreConfig) -> None:
    with psycopg.connect(pg_store.pg_conninfo, autocommit=True) as conn, pytest.raises(ValueError, match="identifier"):
        grant_service_role(conn, pg_store.pg_schema, 'x"; DROP TABLE ledger_events; --', ["ledger_events"])


def test_an_untouched_store_audits_ok_with_every_idempotency_record_and_read_model_as_witness(
    app: LedgerApplication,
) -> None:
    story(app)
    Runner(app.store).catch_up()
    report = audit(app)
    assert report.ok and report.contracts == 1
    assert report.witnesses == len(STEPS) + 1 + 1  # one record per command and the signing, plus the read model
    code, output = audit_cli(app.store, "audit")
    assert code == 0 and "audit: OK  1 contracts" in output


def test_removing_a_contracts_newest_events_is_named_by_audit_and_verify(app: LedgerApplication) -> None:
    story(app)
    assert delete_newest_events(app.store, DEMO_CONTRACT_ID, 14) == 2
    assert app.verify_stored(DEMO_CONTRACT_ID).ok  # the shortened chain is still self-consistent
    [finding] = audit(app).findings or []
    assert (finding.contract_id, finding.kind) == (str(DEMO_CONTRACT_ID), "removed_events")
    assert "ends at version 13" in finding.detail and "saw version 15" in finding.detail
    code, output = audit_cli(app.store, "verify", str(DEMO_CONTRACT_ID))
    assert code == 1 and "TAMPERED" in output and "removed_events" in output


def test_a_contract_that_vanished_is_named_not_taken_for_an_unknown_id(app: LedgerApplication) -> None:
    story(app)
    assert delete_contract(app.store, DEMO_CONTRACT_ID) == 15
    [finding] = audit(app).findings or []
    assert (finding.contract_id, finding.kind) == (str(DEMO_CONTRACT_ID), "vanished")
    code, output = audit_cli(app.store, "audit")
    assert code == 1 and f"TAMPERED {DEMO_CONTRACT_ID}  vanished" in output
    code, output = audit_cli(app.store, "verify", str(DEMO_CONTRACT_ID))
    assert code == 1 and "vanished" in output


def test_a_rewrite_with_the_chain_rehashed_verifies_but_is_named_by_audit(app: LedgerApplication) -> None:
    story(app)
    rewrite_and_rehash(app, app.store, DEMO_CONTRACT_ID, 7, lambda state: state.__setitem__("reference", "FORGED"))
    assert app.verify_stored(DEMO_CONTRACT_ID).ok  # re-hashed: the chain alone cannot tell
    [finding] = audit(app).findings or []
    assert (finding.contract_id, finding.kind) == (str(DEMO_CONTRACT_ID), "rewritten")
    assert "event 15 hashes to" in finding.detail
    code, output = audit_cli(app.store, "verify", str(DEMO_CONTRACT_ID))
    assert code == 1 and "rewritten" in output


def test_an_idempotent_replay_after_its_events_were_removed_is_history_mismatch_not_an_old_answer(
    app: LedgerApplication,
) -> None:
    story(app)
    delete_newest_events(app.store, DEMO_CONTRACT_ID, 14)
    with pytest.raises(errors.HistoryMismatch) as raised:
        app.execute("acct", DEMO_CONTRACT_ID, LAST_COMMAND, idempotency_key=f"story-{DEMO_CONTRACT_ID}-{LAST_STEP}")
    assert raised.value.code == "history_mismatch" and raised.value.details["version"] == 15
    fresh = LedgerApplication(app.store)  # this process's aggregate cache still holds the removed events' state
    try:
        assert fresh.get_contract("acct", DEMO_CONTRACT_ID).version == 13  # nothing was recorded by the refused replay
    finally:
        fresh.close()


def test_an_idempotent_replay_after_a_rehashed_rewrite_is_history_mismatch(app: LedgerApplication) -> None:
    story(app)
    rewrite_and_rehash(app, app.store, DEMO_CONTRACT_ID, 7, lambda state: state.__setitem__("reference", "FORGED"))
    with pytest.raises(errors.HistoryMismatch):
        app.execute("acct", DEMO_CONTRACT_ID, LAST_COMMAND, idempotency_key=f"story-{DEMO_CONTRACT_ID}-{LAST_STEP}")


def test_over_http_a_replay_the_log_no_longer_holds_answers_500_history_mismatch_never_a_contradicting_body(
    app: LedgerApplication,
) -> None:
    from api import create_app  # the HTTP adapter on the same store, as a worker runs it

    app.create_account("Tamper Ltd", "acct-http")
    key = app.create_api_key("acct-http")
    client = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, RUN_PROJECTIONS=False).test_client()
    headers = {"Authorization": f"Bearer {key}"}
    signed = client.post("/v1/contracts", headers={**headers, "Idempotency-Key": "sign"}, json=HTTP_TERMS)
    assert signed.status_code == 201, signed.get_json()
    path = signed.headers["Location"] + "/invoices"
    invoice = {"occurred_on": "2026-01-05", "milestone_keys": ["advance"]}
    first = client.post(path, headers={**headers, "Idempotency-Key": "inv"}, json=invoice)
    assert (first.status_code, first.headers["ETag"]) == (201, '"2"')
    delete_newest_events(app.store, UUID(signed.headers["Location"].rsplit("/", 1)[1]), 2)
    again = client.post(path, headers={**headers, "Idempotency-Key": "inv"}, json=invoice)
    assert again.status_code == 500 and again.mimetype == "application/problem+json"
    assert again.get_json()["code"] == "history_mismatch" and "ETag" not in again.headers
