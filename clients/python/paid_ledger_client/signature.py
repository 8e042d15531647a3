"""Check a webhook's ``Ledger-Signature`` header before trusting its body.

The header is ``t=<unix seconds>,v1=<hex>``; ``hex`` is HMAC-SHA256 with the
endpoint's secret over ``"<t>.<raw body>"``. Several ``v1`` values may be given
(one matching is enough). A timestamp further than ``tolerance`` seconds from
now is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Protocol

HEADER = "Ledger-Signature"
DEFAULT_TOLERANCE_S = 300


class Headers(Protocol):
    """A dict of headers, or what a server framework gives (http.server's message, Flask's and Django's headers)."""

    def items(self) -> Iterable[tuple[str, str]]: ...


class InvalidSignature(Exception):
    """The webhook's signature is missing, malformed, stale or does not match: do not trust the body."""


def header_value(headers: Headers, name: str = HEADER) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise InvalidSignature(f"no {name} header")


def parse(value: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit():
            timestamp = int(item)
        elif key == "v1" and item:
            signatures.append(item)
    if timestamp is None or not signatures:
        raise InvalidSignature(f"malformed {HEADER} header")
    return timestamp, signatures


def verify_signature(
    secret: str, headers: Headers, body: bytes, tolerance: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> None:
    """Return if the body was signed with ``secret`` within ``tolerance`` seconds; raise InvalidSignature if not."""
    timestamp, signatures = parse(header_value(headers))
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature("the signature's timestamp is outside the tolerance")
    expected = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("the signature does not match the body")
