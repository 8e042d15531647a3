"""Parsing JSON text for the adapters: an object naming the same key twice is refused, not silently reduced.

``json.loads`` keeps the last value of a repeated key; which one the sender meant is ambiguous, and two
parsers may disagree on it, so both adapters (HTTP bodies, Kafka messages) refuse such text.
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    """Raised when a JSON object names the same key twice."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"the key {json.dumps(key, ensure_ascii=False)} appears more than once in an object")
        result[key] = value
    return result


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """``json.loads`` without NaN/Infinity and without repeated keys (DuplicateKey, a ValueError)."""
    return json.loads(text, parse_constant=reject_constant, object_pairs_hook=unique_keys)
