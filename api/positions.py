"""``X-Ledger-Position`` as an opaque token: read-your-writes without showing the log's global counter.

The log position is one counter for every account, so a number would tell a tenant how much the others
write. The header carries it sealed instead: the 8-byte position and 8 zero bytes through a 4-round
Feistel network keyed with HMAC-SHA256 (a pseudorandom permutation of 128-bit blocks), in base64url.
Without the key a token says nothing about the position, and a token that does not open to the zero
check is refused (422). The key is a random secret kept in the store (infrastructure.keyusage), the same
for every worker and process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import cast

from flask import current_app

from api.edge import ledger
from ledger.errors import ValidationError
from schemas.readmodels import POSITION_TOKEN

TOKEN = re.compile(POSITION_TOKEN)
ROUNDS = 4
SECRET_NAME = "position-token"  # the name of a secret kept in the store, not a secret  # nosec B105


def round_function(key: bytes, index: int, half: bytes) -> bytes:
    return hmac.new(key, bytes([index]) + half, hashlib.sha256).digest()[:8]


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def seal(key: bytes, position: int) -> str:
    left, right = position.to_bytes(8, "big"), bytes(8)
    for index in range(ROUNDS):
        left, right = right, xor(left, round_function(key, index, right))
    return base64.urlsafe_b64encode(left + right).decode().rstrip("=")


def unseal(key: bytes, token: str) -> int:
    """The position inside a token this service issued; ValidationError for anything else."""
    refused = ValidationError(
        "min_position is not a position token this service returned",
        {"min_position": ["not an X-Ledger-Position token"]},
    )
    if not TOKEN.match(token):
        raise refused
    block = base64.urlsafe_b64decode(token + "==")
    left, right = block[:8], block[8:]
    for index in reversed(range(ROUNDS)):
        left, right = xor(right, round_function(key, index, left)), left
    if right != bytes(8):
        raise refused
    return int.from_bytes(left, "big")


def position_key() -> bytes:
    key = current_app.extensions.get("position_key")
    if key is None:
        key = current_app.extensions["position_key"] = ledger().guarded(ledger().key_usage.secret, SECRET_NAME)
    return cast(bytes, key)


def token(position: int) -> str:
    return seal(position_key(), position)


def position_of(given: str) -> int:
    return unseal(position_key(), given)
