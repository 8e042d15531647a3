"""X-Ledger-Position tokens for tests: sealed and opened with the store's own secret, as the service does."""

from __future__ import annotations

from api.positions import SECRET_NAME, seal, unseal
from application.service import LedgerApplication


def seal_with(app: LedgerApplication, position: int) -> str:
    return seal(app.key_usage.secret(SECRET_NAME), position)


def open_with(app: LedgerApplication, token: str | None) -> int:
    return unseal(app.key_usage.secret(SECRET_NAME), token or "")
