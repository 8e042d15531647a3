"""Request and response helpers shared by the blueprints: the edge of every view.

A view reads its input with these (JSON body, Idempotency-Key, If-Match,
query), makes one application call, and answers with ``respond``.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from flask import Response, current_app, g, request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from api.errors import Problem
from api.startup import ready
from application.idempotency import IDEMPOTENCY_KEY_MAX
from application.service import LedgerApplication
from schemas import jsontext

IF_MATCH = re.compile(r'^(?:W/)?(?:"(\d{1,9})"|(\d{1,9}))$')


def ledger() -> LedgerApplication:
    return cast(LedgerApplication, ready(current_app.extensions["ledger"]))


def account_id() -> str:
    return cast(str, g.account_id)


def json_text(body: Any) -> str:
    """JSON with sorted keys and no spaces: the same body always has the same bytes."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return respond_text(json_text(body), status, headers)


def respond_text(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An answer whose JSON text was made by ``json_text`` (now or earlier)."""
    return Response(text, status=status, mimetype="application/json", headers=headers)


def json_body() -> Any:
    """The parsed body: 415 unless JSON, 413 over the limit (Werkzeug), 400 if it does not parse."""
    if not request.is_json:
        raise Problem(415, "unsupported_media_type", "send the body as application/json")
    data = body_bytes()
    try:
        return jsontext.loads(data.decode("utf-8"))
    except jsontext.DuplicateKey as error:
        raise Problem(400, "duplicate_json_key", f"the body is ambiguous: {error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Problem(400, "malformed_json", f"the body is not valid UTF-8 JSON: {error}") from None


def body_bytes(limit: int | None = None) -> bytes:
    """The raw body, at most ``limit`` bytes (default: the app's MAX_BODY_BYTES); 413 over it.

    With a Content-Length, Werkzeug refuses an oversized body before reading it. A chunked body has no
    length up front, and Werkzeug stops reading at the limit without a word (the body would be silently
    cut), so we read one byte more than the limit and refuse if it arrived.
    """
    limit = request.max_content_length if limit is None else limit
    if limit is not None:
        request.max_content_length = limit if request.content_length is not None else limit + 1
    data = request.get_data(cache=True)
    if limit is not None and len(data) > limit:
        raise Problem(413, "body_too_large", f"the body is larger than {limit} bytes")
    return data


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
        raise Problem(
            400, "idempotency_key_required", f"every POST needs an Idempotency-Key header of 1 to {IDEMPOTENCY_KEY_MAX} characters"
        )
    return key


def expected_version() -> int | None:
    """``If-Match: 3`` or ``If-Match: "3"`` (the ETag we send); absent means "any version"."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    match = IF_MATCH.match(value.strip())
    if match is None:
        raise Problem(400, "invalid_if_match", 'If-Match must be a contract version, e.g. If-Match: "3"')
    return int(match.group(1) or match.group(2))


def load_query(schema: Schema) -> dict[str, Any]:
    return cast(dict[str, Any], schema.load(request.args.to_dict()))


def load_command(schema: Schema, body: Any, path: dict[str, str]) -> Any:
    """Load a command: the body's fields plus the identifiers the URL carries (a Kafka message has them in its payload)."""
    if not isinstance(body, dict):
        raise SchemaError({"_schema": ["the body must be a JSON object"]})
    doubled = sorted(set(body) & set(path))
    if doubled:
        raise SchemaError({name: ["given in the URL: leave it out of the body"] for name in doubled})
    return schema.load({**body, **path})


def etag(version: int) -> str:
    return f'"{version}"'
