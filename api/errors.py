"""The only place that turns errors into HTTP: every error is ``application/problem+json`` (RFC 9457).

``STATUS_BY_CODE`` maps LedgerError codes to statuses; an error takes the
status of the first class in its MRO whose code is listed, so a new subclass
inherits its family's status. Nothing here renders HTML, and bad input never
becomes a 500.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import marshmallow
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ledger.errors import LedgerError, ValidationError

PROBLEM_TYPE = "urn:paid-ledger:problem:"
PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger("api")
DRAIN_BYTES_MAX = 16 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024

STATUS_BY_CODE: dict[str, int] = {
    "validation_error": 422,
    "not_found": 404,
    "already_exists": 409,
    "rule_violation": 422,
    "rates_unavailable": 422,
    "idempotency_conflict": 409,
    "version_conflict": 412,
    "store_unavailable": 503,
    "mail_not_sent": 503,
    "configuration_error": 500,
    "history_mismatch": 500,
    "rate_limited": 429,
    "ledger_error": 422,
}
# Codes of errors raised by the HTTP layer itself (see Problem), for the docs.
HTTP_CODES = {
    400: ("malformed_json", "duplicate_json_key", "idempotency_key_required", "invalid_if_match", "bad_request"),
    401: ("unauthorized",),
    404: ("not_found",),
    405: ("method_not_allowed",),
    413: ("body_too_large",),
    415: ("unsupported_media_type",),
}
WERKZEUG_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
                  415: "unsupported_media_type"}


class Problem(Exception):
    """An HTTP-level refusal (no key, malformed JSON, wrong content type ...)."""

    def __init__(self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def problem(status: int, code: str, detail: str, errors: Any = None, headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors if isinstance(errors, dict) else ({"_schema": errors} if errors else {}),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status=status, mimetype=PROBLEM_MIMETYPE, headers=headers)


def status_of(error: LedgerError) -> int:
    for cls in type(error).__mro__:
        status = STATUS_BY_CODE.get(getattr(cls, "code", ""))
        if status is not None:
            break
    else:
        status = 500
    if status == 412 and "If-Match" not in request.headers:
        return 409  # concurrent writers kept winning: a conflict, not a failed precondition
    return status


def field_errors(error: LedgerError) -> dict[str, Any]:
    if isinstance(error, ValidationError) and error.errors:
        return error.errors
    field = error.details.get("field")
    return {field: [error.message]} if isinstance(field, str) else {}


def on_ledger_error(error: LedgerError) -> Response:
    status = status_of(error)
    headers = {"Retry-After": "1"} if status == 503 else None
    if status == 429:
        headers = {"Retry-After": str(error.details.get("retry_after", 1))}
    return problem(status, error.code, error.message, field_errors(error), headers)


def on_marshmallow_error(error: marshmallow.ValidationError) -> Response:
    return problem(422, "validation_error", "the request does not match the schema", error.messages)


def on_problem(error: Problem) -> Response:
    return problem(error.status, error.code, error.detail, headers=error.headers)


def on_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code = WERKZEUG_CODES.get(status, "http_error")
    allowed = getattr(error, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if allowed else None
    return problem(status, code, error.description or HTTPStatus(status).phrase, headers=headers)


def on_unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem(500, "internal_error", "an unexpected error occurred; it has been logged")


def drain_unread_body(response: Response) -> Response:
    """Read what is left of a refused request's body (bounded), so the client sees the answer.

    Closing a socket with unread input makes the kernel send a reset, and a
    client still sending its body (a 413, a 401 before the body was read)
    would get "connection reset" instead of the problem document.
    """
    if response.status_code < 400:
        return response
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    chunked = length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if stream is not None and (chunked or 0 < (length or 0) <= DRAIN_BYTES_MAX):
        try:  # a chunked body has no length: read on until it ends, within the same bound
            drained = 0
            while drained <= DRAIN_BYTES_MAX and (chunk := stream.read(DRAIN_CHUNK)):
                drained += len(chunk)
        except (OSError, ValueError):
            pass  # the client went away: nothing left to protect
    return response


def register(app: Flask) -> None:
    app.after_request(drain_unread_body)
    app.register_error_handler(LedgerError, on_ledger_error)
    app.register_error_handler(marshmallow.ValidationError, on_marshmallow_error)
    app.register_error_handler(Problem, on_problem)
    app.register_error_handler(HTTPException, on_http_exception)
    app.register_error_handler(Exception, on_unexpected)
