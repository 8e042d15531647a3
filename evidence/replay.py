"""Rebuild the Contract aggregate from exported chain records, with no database.

Each record becomes a stored event (topic ``ledger.contract:Contract.<type>``,
state encoded with the same JSON transcoder the application uses) and the
library's ``Mapper`` turns it into the domain event, upcasting old schema
versions exactly as a load from the store would. The bundle is built from the
aggregate rebuilt this way, and the verifier rebuilds it the same way, so both
compute from nothing but ``events.jsonl``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from infrastructure.transcodings import register_state_transcodings
from ledger.chain import ChainRecord
from ledger.contract import Contract
from ledger.state import STATE_CLASSES

CONTRACT_TOPIC = "ledger.contract:Contract"


class ReplayError(ValueError):
    """Raised when a record cannot be turned back into a Contract event."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"event version {version}: {reason}")
        self.version = version
        self.reason = reason


def make_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_state_transcodings(transcoder, STATE_CLASSES)
    return Mapper(transcoder=transcoder)


def stored_event(record: ChainRecord, mapper: Mapper[UUID]) -> StoredEvent:
    state: dict[str, Any] = {
        **record.payload,
        "timestamp": datetime.fromisoformat(record.recorded_at),
        "occurred_on": record.occurred_on,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "class_version": record.schema_version,
    }
    if record.version == 1:
        state["originator_topic"] = CONTRACT_TOPIC
    return StoredEvent(
        originator_id=UUID(record.contract_id),
        originator_version=record.version,
        topic=f"{CONTRACT_TOPIC}.{record.event_type}",
        state=mapper.transcoder.encode(state),
    )


def contract_from_records(records: Iterable[ChainRecord]) -> Contract:
    mapper = make_mapper()
    contract: Any = None
    for record in records:
        try:
            domain_event: Any = mapper.to_domain_event(stored_event(record, mapper))
            contract = domain_event.mutate(contract)
        except Exception as error:  # any failure to replay names the event
            raise ReplayError(record.version, f"cannot be replayed ({type(error).__name__}: {error})") from error
    if not isinstance(contract, Contract):
        raise ReplayError(0, "the records do not start with a signed contract")
    return contract
