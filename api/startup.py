"""Opening the stores in a worker without ever refusing to boot.

A worker that cannot reach the database when it starts still starts: ``/healthz``
answers, every route that needs a store answers 503 ``store_unavailable`` with
``Retry-After``, and a thread tries again every ``RETRY_S`` until the stores
open; from then on the worker serves as usual. So gunicorn never sees a worker
fail to boot, and a database outage cannot make it give up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ledger.errors import ConfigurationError, StoreUnavailable

log = logging.getLogger("api")
RETRY_S = 0.5
T = TypeVar("T")


class StorePending:
    """Stands in for a store the worker could not open yet."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def ready(value: T | StorePending) -> T:
    """The opened store, or StoreUnavailable (503, retryable) while it is still pending."""
    if isinstance(value, StorePending):
        raise StoreUnavailable(f"the store is not reachable yet: {value.reason}")
    return value


def open_or_retry(extensions: dict[str, Any], names: tuple[str, ...], open_stores: Callable[[], None]) -> None:
    """Run ``open_stores`` now; if the database is unreachable, mark ``names`` pending and keep trying."""
    try:
        open_stores()
    except ConfigurationError:
        raise  # a wrong setting does not heal by waiting
    except Exception as error:  # noqa: BLE001 - any failure to reach the store: serve 503s and retry
        log.warning("the store cannot be opened yet (%s); retrying every %.1f s", error, RETRY_S)
        for name in names:
            extensions.setdefault(name, StorePending(str(error)))
        threading.Thread(target=keep_trying, args=(open_stores,), name="ledger-open-stores", daemon=True).start()


def keep_trying(open_stores: Callable[[], None]) -> None:
    while True:
        time.sleep(RETRY_S)
        try:
            open_stores()
        except Exception as error:  # noqa: BLE001 - still unreachable: try again
            log.debug("the store still cannot be opened: %s", error)
            continue
        log.warning("the store is open: serving")
        return
