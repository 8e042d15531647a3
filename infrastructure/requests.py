"""The request id of the work in progress, and the mapper that records it beside each stored event.

An adapter (the HTTP layer) sets ``REQUEST_ID`` for the duration of a request; every event stored while it
is set carries ``request_id`` in its stored state, next to the envelope fields (timestamp, hashes). It is
not part of the hashed payload (``ledger.contract.ENVELOPE`` lists it), so the hash chain of every event,
old or new, is what it would be without it: the request id is operational metadata, not evidence.
Snapshots are caches of state and get none. A group commit saves the events of several requests in one
call (``application.group_commit``): ``REQUEST_IDS`` then names each aggregate's own request id.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

REQUEST_ID: ContextVar[str | None] = ContextVar("ledger_request_id", default=None)
REQUEST_IDS: ContextVar[dict[Any, str | None] | None] = ContextVar("ledger_request_ids", default=None)
METADATA_KEY = "request_id"


class RequestMapper(Mapper[Any]):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        by_originator = REQUEST_IDS.get()
        if by_originator is not None and domain_event.originator_id in by_originator:
            request_id = by_originator[domain_event.originator_id]
        else:
            request_id = REQUEST_ID.get()
        if request_id is None or isinstance(domain_event, Snapshot) or self.compressor or self.cipher:
            return stored
        state = self.transcoder.decode(stored.state)
        state[METADATA_KEY] = request_id
        return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, self.transcoder.encode(state))
