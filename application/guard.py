"""Calls into the event store: a connection failure becomes StoreUnavailable (retryable)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError

from ledger.errors import StoreUnavailable


def guarded(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the store, turning connection failures into StoreUnavailable."""
    try:
        return func(*args, **kwargs)
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailable(f"event store unavailable: {error}") from error
