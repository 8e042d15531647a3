"""What the adapters call: one method per question, each answering ``(body, position)``.

``position`` is the notification id the answering read models have applied up
to (the ``X-Ledger-Position`` header); ``min_position`` waits, bounded, until
they reach it, so a client can read its own write. One ``Database`` serves
every thread (on PostgreSQL it borrows from the store's bounded pool and
replaces a connection the server dropped); a database that cannot be reached,
or no pooled connection within ``pgpool.WAIT_S``, is ``StoreUnavailable`` (503
with Retry-After over HTTP), never a raw driver error.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg

from infrastructure.store import StoreConfig
from ledger.errors import NotFound, StoreUnavailable
from projections import clients, contracts, queries
from projections.db import Database
from projections.models import READ_MODELS
from projections.projector import ensure_tables

P = ParamSpec("P")
T = TypeVar("T")
# Connection lost and not back, database locked or gone: the caller may retry later.
UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)


def unavailable_as_ledger_error(method: Callable[Concatenate[ReadModels, P], T]) -> Callable[Concatenate[ReadModels, P], T]:
    """Driver errors of the read-model database (``PoolTimeout`` included) become StoreUnavailable."""

    @functools.wraps(method)
    def wrapper(self: ReadModels, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE as error:
            raise StoreUnavailable(f"read models unavailable ({type(error).__name__}): {error}") from error

    return wrapper


class ClientNotFound(NotFound):
    """Raised when the account has no contract with the client key asked for."""

    code = "client_not_found"


class ReadModels:
    def __init__(self, store: StoreConfig, head: Callable[[], int | None] | None = None) -> None:
        """``head`` gives the log's last position: a ``min_position`` beyond it cannot be reached by waiting."""
        self.store, self.head = store, head
        self.database = Database(store)
        try:
            ensure_tables(self.database, list(READ_MODELS.values()))
        except BaseException:
            self.database.close()
            raise

    def db(self) -> Database:
        return self.database

    def close(self) -> None:
        self.database.close()

    @unavailable_as_ledger_error
    def check_ready(self) -> None:
        """Raise StoreUnavailable unless the read-model database answers (``/readyz``)."""
        self.db().fetchone("SELECT 1")

    def caught_up(self, names: list[str], min_position: int | None) -> int:
        if min_position is not None and self.head is not None and min_position > (self.head() or 0):
            min_position = None  # nobody has written that far: answer now rather than stall
        return queries.wait_for_position(self.db(), names, min_position)

    @unavailable_as_ledger_error
    def contracts(self, account_id: str, as_of: str, *, min_position: int | None = None, **filters: Any
                  ) -> tuple[dict[str, Any], int]:
        position = self.caught_up(["contracts"], min_position)
        items, cursor = contracts.list_contracts(self.db(), account_id, as_of, **filters)
        return {"as_of": as_of, "items": items, "next_cursor": cursor}, position

    @unavailable_as_ledger_error
    def aging(self, account_id: str, as_of: str, group_by: str, *, min_position: int | None = None
              ) -> tuple[dict[str, Any], int]:
        position = self.caught_up(["aging"], min_position)
        return queries.aging(self.db(), account_id, as_of, group_by), position

    @unavailable_as_ledger_error
    def reminders_due(self, account_id: str, as_of: str, *, min_position: int | None = None
                      ) -> tuple[dict[str, Any], int]:
        position = self.caught_up(["reminders"], min_position)
        return {"as_of": as_of, "items": queries.reminders_due(self.db(), account_id, as_of)}, position

    @unavailable_as_ledger_error
    def clients(self, account_id: str, as_of: str, *, min_position: int | None = None) -> tuple[dict[str, Any], int]:
        position = self.caught_up(["clients"], min_position)
        return {"as_of": as_of, "items": clients.client_behaviour(self.db(), account_id, as_of)}, position

    @unavailable_as_ledger_error
    def client(self, account_id: str, client_key: str, as_of: str, *, min_position: int | None = None
               ) -> tuple[dict[str, Any], int]:
        """One client's behaviour; ClientNotFound if the account has no contract with that client."""
        position = self.caught_up(["clients"], min_position)
        found = clients.client_behaviour(self.db(), account_id, as_of, client_key)
        if not found:
            raise ClientNotFound(f"no client {client_key!r} in this account", client_key=client_key)
        return {"as_of": as_of, **found[0]}, position

    @unavailable_as_ledger_error
    def licences(self, account_id: str, as_of: str, expiring_before: str | None = None, *,
                 min_position: int | None = None) -> tuple[dict[str, Any], int]:
        position = self.caught_up(["licences"], min_position)
        items = contracts.licences(self.db(), account_id, as_of, expiring_before)
        return {"as_of": as_of, "items": items}, position
