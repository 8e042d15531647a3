"""Audit of the stored record: decode stored events as they were hashed, verify the chain, check snapshots.

Stored events are decoded without upcasting (the chain hashes what was
written); a contract is rebuilt from its events alone, never from a snapshot,
to check that a snapshot says what the events say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from application.guard import guarded
from ledger.chain import ChainRecord, VerifyResult, format_recorded_at, verify_chain
from ledger.contract import ENVELOPE, Contract
from ledger.errors import ContractNotFound

CONTRACT_TOPIC_PREFIX = "ledger.contract:Contract."
SIGNED = f"{CONTRACT_TOPIC_PREFIX}ContractSigned"


def is_contract_topic(topic: str) -> bool:
    return topic.startswith(CONTRACT_TOPIC_PREFIX)


def decode_state(app: Application[UUID], stored: StoredEvent) -> dict[str, Any]:
    data = stored.state
    if app.mapper.cipher:
        data = app.mapper.cipher.decrypt(data)
    if app.mapper.compressor:
        data = app.mapper.compressor.decompress(data)
    state: dict[str, Any] = app.mapper.transcoder.decode(data)
    return state


def chain_record(app: Application[UUID], stored: StoredEvent, contract_id: str | None = None) -> ChainRecord:
    """``contract_id``: the text of ``stored.originator_id`` when the caller already has it (one per contract)."""
    state = decode_state(app, stored)
    return ChainRecord(
        contract_id=contract_id or str(stored.originator_id),
        version=stored.originator_version,
        event_type=stored.topic.rsplit(".", 1)[-1],
        schema_version=state.get("class_version", 1),
        payload={k: v for k, v in state.items() if k not in ENVELOPE},
        occurred_on=state.get("occurred_on", ""),
        recorded_at=format_recorded_at(state["timestamp"]),
        prev_hash=state.get("prev_hash", ""),
        hash=state.get("hash", ""),
    )


def chain_records(app: Application[UUID], contract_id: UUID) -> Iterator[ChainRecord]:
    """The contract's stored events, decoded without upcasting, as they were hashed."""
    text = str(contract_id)
    for stored in guarded(app.recorder.select_events, contract_id):
        yield chain_record(app, stored, text if stored.originator_id == contract_id else None)


def owned_records(app: Application[UUID], account_id: str, contract_id: UUID | str) -> list[ChainRecord]:
    """The contract's records, if its first event is the signing of a contract by this account."""
    try:
        uuid = UUID(str(contract_id))
    except ValueError:
        uuid = None
    stored = guarded(app.recorder.select_events, uuid) if uuid is not None else []
    text = str(uuid)
    records = [chain_record(app, event, text if event.originator_id == uuid else None) for event in stored]
    if not records or stored[0].topic != SIGNED or records[0].payload.get("account_id") != account_id:
        raise ContractNotFound(f"no contract {contract_id} in this account", contract_id=str(contract_id))
    return records


def verify_stored(app: Application[UUID], contract_id: UUID) -> VerifyResult:
    """Walk the stored events and check the chain, then the latest snapshot against the events."""
    records = []
    for stored in guarded(app.recorder.select_events, contract_id):
        try:
            records.append(chain_record(app, stored))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
            return VerifyResult(
                False,
                str(contract_id),
                len(records) + 1,
                None,
                None,
                stored.originator_version,
                f"stored event cannot be decoded: {error}",
            )
    result = verify_chain(str(contract_id), records)
    if result.ok:
        return check_snapshot(app, contract_id, result)
    return result


def replay_contract(app: Application[UUID], contract_id: UUID | str) -> Contract:
    """The contract rebuilt from its events alone, never from a snapshot (for evidence and checks)."""
    contract: Any = None
    for domain_event in guarded(lambda: list(app.events.get(UUID(str(contract_id))))):
        contract = domain_event.mutate(contract)
    if not isinstance(contract, Contract):
        raise ContractNotFound(f"no contract {contract_id}", contract_id=str(contract_id))
    return contract


def check_snapshot(app: Application[UUID], contract_id: UUID, result: VerifyResult) -> VerifyResult:
    """A snapshot is a cache of the events: it must rebuild exactly the state the events give."""
    if app.snapshots is None:
        return result
    snapshots = list(guarded(app.snapshots.get, contract_id, desc=True, limit=1))
    if not snapshots:
        return result
    from_snapshot = guarded(app.repository.get, contract_id)
    if vars(from_snapshot) != vars(replay_contract(app, contract_id)):
        return VerifyResult(
            False,
            str(contract_id),
            result.events,
            None,
            None,
            snapshots[0].originator_version,
            "the snapshot at this version disagrees with the events (the snapshot was altered)",
        )
    return result
