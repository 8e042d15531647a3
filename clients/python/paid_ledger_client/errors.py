"""Problem details (RFC 9457) raised as typed exceptions, chosen by the problem's ``code``.

``LedgerApiError`` carries ``status``, ``code``, ``detail`` and the per-field
``errors``. A code listed in ``ERRORS_BY_CODE`` raises its class; any other code
raises the class of its HTTP status family (``STATUS_ERRORS``), so a new code
on the server still lands in the right family here.
"""

from __future__ import annotations

from typing import Any


class LedgerApiError(Exception):
    """The service refused the request (or failed); nothing was changed unless the status says otherwise."""

    def __init__(
        self, status: int, code: str, detail: str, errors: dict[str, Any] | None = None, body: Any = None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.errors, self.body = status, code, detail, errors or {}, body


class BadRequest(LedgerApiError):
    """400: malformed JSON, a missing Idempotency-Key, a bad If-Match."""


class Unauthorized(LedgerApiError):
    """401: no API key, or an unknown one."""


class NotFound(LedgerApiError):
    """404: no such contract, milestone, invoice, endpoint, delivery ... in this account."""


class ContractNotFound(NotFound):
    """404 contract_not_found."""


class Conflict(LedgerApiError):
    """409: the thing already exists, or the idempotency key was used for another request."""


class IdempotencyConflict(Conflict):
    """409 idempotency_conflict: the key was used with another body."""


class VersionConflict(LedgerApiError):
    """412 version_conflict: If-Match names a version that is no longer current."""


class PayloadTooLarge(LedgerApiError):
    """413 body_too_large."""


class UnprocessableEntity(LedgerApiError):
    """422: the request breaks the schema or a business rule."""


class ValidationFailed(UnprocessableEntity):
    """422 validation_error (and the other input codes): see ``errors`` for the fields."""


class RuleViolation(UnprocessableEntity):
    """422: a well-formed command breaks a rule of the contract (overpayment, closed contract ...)."""


class InvalidCursor(ValidationFailed):
    """422 invalid_cursor: the feed or delivery-log cursor was not issued to this account."""


class WebhookUrlRefused(ValidationFailed):
    """422 webhook_url_refused: the URL is not public http(s) (SSRF guard)."""


class ServiceUnavailable(LedgerApiError):
    """503: the store is unreachable; the client retried and gave up."""


ERRORS_BY_CODE: dict[str, type[LedgerApiError]] = {
    "contract_not_found": ContractNotFound,
    "idempotency_conflict": IdempotencyConflict,
    "version_conflict": VersionConflict,
    "validation_error": ValidationFailed,
    "invalid_cursor": InvalidCursor,
    "webhook_url_refused": WebhookUrlRefused,
    "rule_violation": RuleViolation,
    "contract_closed": RuleViolation,
    "overpayment": RuleViolation,
    "invoice_voided": RuleViolation,
    "invalid_transition": RuleViolation,
    "store_unavailable": ServiceUnavailable,
}
STATUS_ERRORS: dict[int, type[LedgerApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    412: VersionConflict,
    413: PayloadTooLarge,
    422: UnprocessableEntity,
    503: ServiceUnavailable,
}


def error_for(status: int, body: Any) -> LedgerApiError:
    problem = body if isinstance(body, dict) else {}
    code = str(problem.get("code") or "http_error")
    detail = str(problem.get("detail") or f"HTTP {status}")
    cls = ERRORS_BY_CODE.get(code) or STATUS_ERRORS.get(status, LedgerApiError)
    return cls(status, code, detail, problem.get("errors") if isinstance(problem.get("errors"), dict) else {}, body)
