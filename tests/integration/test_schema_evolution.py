"""Events stored by an older version of an event class still load (upcasting) and still verify."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from application.service import LedgerApplication
from ledger.chain import event_hash, format_recorded_at
from tests.factories import as_command, signing, terms


def store_v1_communication(app: LedgerApplication, contract_id: UUID) -> None:
    """Write a CommunicationLogged exactly as version 1 of the class stored it: no ``counterpart`` field."""
    head = app.get_contract("acct", contract_id).chain_head
    recorded = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    payload = {"direction": "inbound", "channel": "phone", "summary": "Client promised to pay Friday",
               "attachment_hashes": []}
    link = event_hash(contract_id=str(contract_id), version=2, event_type="CommunicationLogged", payload=payload,
                      occurred_on="2026-02-01", recorded_at=format_recorded_at(recorded), prev_hash=head)
    state = {"timestamp": recorded, "occurred_on": "2026-02-01", "prev_hash": head, "hash": link, **payload}
    app.recorder.insert_events([StoredEvent(
        originator_id=contract_id, originator_version=2, topic="ledger.contract:Contract.CommunicationLogged",
        state=app.mapper.transcoder.encode(state),
    )])


def test_a_version_1_event_loads_with_the_field_added_later(app: LedgerApplication) -> None:
    contract_id = UUID(app.sign_contract("acct", signing(terms()), idempotency_key="k").contract_id)
    store_v1_communication(app, contract_id)
    contract = app.get_contract("acct", contract_id)
    assert contract.version == 2
    assert contract.communications[0]["counterpart"] is None
    assert contract.communications[0]["summary"] == "Client promised to pay Friday"


def test_a_version_1_event_verifies_and_the_chain_continues_after_it(app: LedgerApplication) -> None:
    contract_id = UUID(app.sign_contract("acct", signing(terms()), idempotency_key="k").contract_id)
    store_v1_communication(app, contract_id)
    app.execute("acct", contract_id, as_command("log_communication", {"occurred_on": date(2026, 2, 2), "direction": "outbound", "channel": "email", "summary": "Thanks",
                 "counterpart": "J. Patel"}), idempotency_key="k2")
    records = app.event_records("acct", contract_id)
    assert [r.schema_version for r in records] == [1, 1, 2]
    assert "counterpart" not in records[1].payload and records[2].payload["counterpart"] == "J. Patel"
    result = app.verify("acct", contract_id)
    assert result.ok and result.version == 3
