"""``GET /v1/contracts/{id}``: the rendered summary kept per (contract, version, as-of date).

A contract's summary is a function of its state at a version and of the
as-of date alone, and a version's state never changes (events are only
appended). So a worker keeps the JSON text it rendered, and a later read asks
the store only for the contract's current version (one indexed read, see
``infrastructure.heads``): unchanged, it answers the same bytes without loading
the contract; moved, it renders again. Each entry remembers the contract's
account: another account's key never gets it (it is answered by the normal
path, a 404). At most ``SIZE`` entries and ``CHARS_MAX`` characters of JSON
per worker, least recently used dropped first; a body over ``BODY_MAX`` is
not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from flask import current_app, g

from api.edge import ledger

ENDPOINT = "contracts.summary"  # its key check also reads the contract's version (api.auth): one statement
SIZE = 1_000
CHARS_MAX = 16 * 1024 * 1024
BODY_MAX = 256 * 1024
EXTENSION = "rendered_summaries"


@dataclass(frozen=True)
class Rendered:
    account_id: str
    version: int
    text: str


class RenderedSummaries:
    def __init__(self, size: int = SIZE, chars_max: int = CHARS_MAX) -> None:
        self.size, self.chars_max, self.chars = size, chars_max, 0
        self.entries: OrderedDict[tuple[UUID, int, str], Rendered] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, contract_id: UUID, version: int | None, as_of: str, account_id: str) -> Rendered | None:
        if version is None:
            return None
        key = (contract_id, version, as_of)
        with self.lock:
            found = self.entries.get(key)
            if found is None or found.account_id != account_id:
                return None
            self.entries.move_to_end(key)
            return found

    def put(self, contract_id: UUID, as_of: str, rendered: Rendered) -> None:
        if len(rendered.text) > min(BODY_MAX, self.chars_max):
            return
        key = (contract_id, rendered.version, as_of)
        with self.lock:
            replaced = self.entries.pop(key, None)
            self.chars += len(rendered.text) - (len(replaced.text) if replaced else 0)
            self.entries[key] = rendered
            while len(self.entries) > self.size or self.chars > self.chars_max:
                self.chars -= len(self.entries.popitem(last=False)[1].text)


def current_version(contract_id: UUID) -> int | None:
    """The contract's version as read with the request's key (api.auth), else read now."""
    heads = g.get("heads") or {}
    return heads[contract_id] if contract_id in heads else ledger().current_version(contract_id)


def rendered_summaries() -> RenderedSummaries:
    """This app's cache (one per worker; made on first use)."""
    cache = current_app.extensions.get(EXTENSION)
    if not isinstance(cache, RenderedSummaries):
        cache = current_app.extensions.setdefault(EXTENSION, RenderedSummaries())
    return cache
