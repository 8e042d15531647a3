"""One error tree for the whole service.

Every refusal is a ``LedgerError`` subclass with a stable snake_case ``code``.
Adapters map codes, never messages: ``api/errors.py`` to HTTP statuses and the
Kafka consumer to dead-letter headers. Codes are listed in precedence order of
how a command is checked: input shape, existence, then business rules, then
concurrency.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Raised when the ledger refuses a command or query; nothing was changed."""

    code = "ledger_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


# -- input ------------------------------------------------------------------
class ValidationError(LedgerError):
    """Raised when a command's input is malformed (a field missing, of the wrong type or out of range)."""

    code = "validation_error"

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.errors = errors or {}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "errors": self.errors}


class InvalidAmount(ValidationError):
    """Raised when an amount is zero or negative, not an integer of minor units, or too large."""

    code = "invalid_amount"


class CurrencyMismatch(ValidationError):
    """Raised when an amount's currency is not the contract's currency."""

    code = "currency_mismatch"


class UnknownCurrency(ValidationError):
    """Raised when a currency code is not an ISO 4217 code the ledger knows."""

    code = "unknown_currency"


class ScheduleMismatch(ValidationError):
    """Raised when the milestone amounts do not add up to the contract total."""

    code = "schedule_mismatch"



class InvalidCursor(ValidationError):
    """Raised when an event-feed cursor was not issued by this account's feed (malformed, or ahead of it)."""

    code = "invalid_cursor"


class WebhookUrlRefused(ValidationError):
    """Raised when a webhook URL is not http(s), does not resolve, or resolves to a loopback, private,
    link-local, multicast or reserved address (unless the operator allows private addresses)."""

    code = "webhook_url_refused"

# -- existence ----------------------------------------------------------------
class NotFound(LedgerError):
    """Raised when something named by a command does not exist (for this account)."""

    code = "not_found"


class ContractNotFound(NotFound):
    """Raised when no contract with this id exists in the caller's account."""

    code = "contract_not_found"


class ContractInOtherAccount(ContractNotFound):
    """Raised to an operator on the CLI when the contract exists but belongs to another account than the one
    chosen (--account / LEDGER_ACCOUNT); the HTTP API never says so (another account's contract is a plain 404)."""

    code = "contract_in_other_account"


class MilestoneNotFound(NotFound):
    """Raised when the contract has no milestone with this key."""

    code = "milestone_not_found"


class InvoiceNotFound(NotFound):
    """Raised when the contract has no invoice with this number."""

    code = "invoice_not_found"


class PaymentNotFound(NotFound):
    """Raised when the contract has no payment with this id."""

    code = "payment_not_found"


class DisputeNotFound(NotFound):
    """Raised when the contract has no dispute with this id."""

    code = "dispute_not_found"



class WebhookEndpointNotFound(NotFound):
    """Raised when the account has no webhook endpoint with this id (or it was deleted)."""

    code = "webhook_endpoint_not_found"


class WebhookDeliveryNotFound(NotFound):
    """Raised when the account has no webhook delivery with this id."""

    code = "webhook_delivery_not_found"

# -- business rules -------------------------------------------------------------
class RuleViolation(LedgerError):
    """Raised when a well-formed command breaks a business rule of the contract."""

    code = "rule_violation"


class ContractClosed(RuleViolation):
    """Raised when any command is sent to a closed contract."""

    code = "contract_closed"


class InvalidTransition(RuleViolation):
    """Raised when the thing is not in a state that allows the command (e.g. accepting twice)."""

    code = "invalid_transition"


class AlreadyExists(RuleViolation):
    """Raised when an id that must be unique (contract, payment, invoice number, dispute) is reused."""

    code = "already_exists"


class DuplicateInvoiceNumber(AlreadyExists):
    """Raised when an invoice number is already used in the account."""

    code = "duplicate_invoice_number"


class InvoiceVoided(RuleViolation):
    """Raised when a payment, credit or reminder refers to a voided invoice."""

    code = "invoice_voided"


class InvoiceNotOpen(RuleViolation):
    """Raised when an invoice has nothing outstanding for the command to act on."""

    code = "invoice_not_open"


class Overpayment(RuleViolation):
    """Raised when a payment, credit or write-off exceeds what is outstanding on its invoices."""

    code = "overpayment"


class MilestoneNotInvoiceable(RuleViolation):
    """Raised when a milestone is already invoiced or, if due on acceptance, not yet accepted."""

    code = "milestone_not_invoiceable"


class OutstandingBalance(RuleViolation):
    """Raised when a contract with money still owed is closed without writing it off."""

    code = "outstanding_balance"


class DateOutOfOrder(RuleViolation):
    """Raised when a date contradicts the record (e.g. a due date before the issue date)."""

    code = "date_out_of_order"


class ReminderNotFound(NotFound):
    """Raised when the account has no dispatch intent (draft, outbox entry or queued letter) with the id asked for."""

    code = "reminder_not_found"


class ReminderNotPending(RuleViolation):
    """Raised when a reminder is approved or discarded but is not a draft waiting for review (nothing changes)."""

    code = "reminder_not_pending"


class MailNotSent(LedgerError):
    """Raised when the SMTP server is unreachable or refuses a reminder: nothing is recorded, it is retried later."""

    code = "mail_not_sent"


class RatesUnavailable(LedgerError):
    """Raised when interest is asked for a date the reference-rate tables do not cover."""

    code = "rates_unavailable"


class RateSourceInvalid(LedgerError):
    """Raised when a central bank's rate file (downloaded or given with --from-file) is not in the expected format,
    has dates out of order, implausible values or an unexplained gap; nothing is written."""

    code = "rate_source_invalid"


class RateRevision(LedgerError):
    """Raised when a rate update disagrees with a rate row already held for a past date (a changed past row) and the
    revision was not accepted; nothing is written."""

    code = "rate_revision"


class WebhookEndpointLimit(RuleViolation):
    """Raised when an account already has the largest number of webhook endpoints allowed."""

    code = "webhook_endpoint_limit"


# -- idempotency and concurrency -------------------------------------------------------
class IdempotencyConflict(LedgerError):
    """Raised when an idempotency key is reused with a different command."""

    code = "idempotency_conflict"


class VersionConflict(LedgerError):
    """Raised when the expected version is not the contract's current version."""

    code = "version_conflict"


class StoreUnavailable(LedgerError):
    """Raised when the event store cannot be reached; the command may be retried."""

    code = "store_unavailable"


class RateLimited(LedgerError):
    """Raised when an API key sent more requests in the current window than its limit allows; retry later."""

    code = "rate_limited"


class HistoryMismatch(LedgerError):
    """Raised when a stored result (an idempotency record) disagrees with the event log: the log was altered."""

    code = "history_mismatch"


class ConfigurationError(LedgerError):
    """Raised when the service is configured in a way that would lose data (e.g. an in-memory store)."""

    code = "configuration_error"


def all_error_classes() -> list[type[LedgerError]]:
    """Every error class, in declaration (precedence) order, for docs and adapters."""
    found: list[type[LedgerError]] = []

    def walk(cls: type[LedgerError]) -> None:
        found.append(cls)
        for sub in cls.__subclasses__():
            walk(sub)

    walk(LedgerError)
    return found
