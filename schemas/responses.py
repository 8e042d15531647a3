"""What the service answers: summary, statement, events, verify, problem.

These schemas dump the application's dicts as they are (dates are already ISO
strings there) and document the responses in the OpenAPI document, where
schemathesis checks every response against them.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from schemas.common import LatePaymentSchema, LicenceTermsSchema, MoneySchema, PartySchema, ReminderPolicySchema


class Out(Schema):
    """Response schemas: every field is present, ``nullable`` where the value may be null."""


def iso_day(*, nullable: bool = False) -> fields.String:
    return fields.String(required=True, allow_none=nullable, metadata={"format": "date"})


def string(*, nullable: bool = False, **metadata: Any) -> fields.String:
    return fields.String(required=True, allow_none=nullable, metadata=metadata)


def integer(*, nullable: bool = False) -> fields.Integer:
    return fields.Integer(required=True, allow_none=nullable)


def money() -> fields.Nested:
    return fields.Nested(MoneySchema, required=True)


def many(schema: type[Schema] | fields.Field) -> fields.List:
    inner = fields.Nested(schema) if isinstance(schema, type) else schema
    return fields.List(inner, required=True)


class MilestoneOut(Out):
    key = string()
    title = string()
    amount = money()
    due = string()
    due_date = iso_day(nullable=True)
    status = string()
    invoice_number = string(nullable=True)
    delivered_on = iso_day(nullable=True)
    accepted_on = iso_day(nullable=True)


class ReminderOut(Out):
    on = iso_day()
    stage = string()
    channel = string()
    tracking_reference = string(nullable=True)
    version = integer()
    fingerprint = string()


class FingerprintOut(Out):
    hash = string()
    version = integer()


class InvoiceLineOut(Out):
    description = string()
    amount = money()


class InvoiceOut(Out):
    number = string()
    amount = money()
    issued_on = iso_day()
    due_on = iso_day()
    milestone_keys = many(fields.String())
    lines = many(InvoiceLineOut)
    state = string()
    paid = money()
    credited = money()
    written_off = money()
    outstanding = money()
    days_overdue = integer()
    fingerprint_at_issue = fields.Nested(FingerprintOut, required=True)
    reminders = many(ReminderOut)
    voided_on = iso_day(nullable=True)


class PaymentOut(Out):
    payment_id = string()
    amount = money()
    value_date = iso_day()
    method = string()
    reference = string(nullable=True)
    allocations = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    reversed_on = iso_day(nullable=True)


class LicenceOut(Out):
    terms = fields.Nested(LicenceTermsSchema, required=True)
    status = string()
    granted_on = iso_day(nullable=True)
    expires_on = iso_day(nullable=True)
    perpetual_on = iso_day(nullable=True)


class ReminderDueOut(Out):
    invoice_number = string()
    stage = string()
    channel = string()
    stage_due_on = iso_day()
    days_overdue = integer()
    outstanding = integer()


class SummaryOut(Out):
    """The contract summary as of a date."""

    id = string(format="uuid")
    account_id = string()
    title = string()
    reference = string(nullable=True)
    as_of = iso_day()
    signed_on = iso_day()
    supplier = fields.Nested(PartySchema, required=True)
    client = fields.Nested(PartySchema, required=True)
    jurisdiction = string()
    currency = string()
    payment_terms_days = integer()
    late_payment = fields.Nested(LatePaymentSchema, required=True)
    reminder_policy = fields.Nested(ReminderPolicySchema, required=True)
    value = money()
    invoiced = money()
    paid = money()
    credited = money()
    written_off = money()
    outstanding = money()
    overdue = money()
    status = string()
    milestones = many(MilestoneOut)
    invoices = many(InvoiceOut)
    payments = many(PaymentOut)
    licence = fields.Nested(LicenceOut, required=True)
    work_paused = fields.Boolean(required=True)
    reminders_due = many(ReminderDueOut)
    next_action = string()
    version = integer()
    fingerprint = string()
    closed_on = iso_day(nullable=True)


class StatementLineOut(Out):
    date = iso_day()
    version = integer()
    kind = string()
    reference = string()
    description = string()
    debit = integer()
    credit = integer()
    balance = integer()


class StatementOut(Out):
    """Every debit and credit up to ``as_of`` in date order, with a running balance (minor units)."""

    contract_id = string(format="uuid")
    as_of = iso_day()
    currency = string()
    lines = many(StatementLineOut)
    total_debits = integer()
    total_credits = integer()
    closing_balance = integer()
    outstanding = integer()
    version = integer()
    fingerprint = string()


class EventOut(Out):
    """One stored event as in ``events.jsonl``, with its hash-chain link."""

    contract_id = string(format="uuid")
    version = integer()
    type = string()
    schema_version = integer()
    payload = fields.Dict(required=True)
    occurred_on = iso_day()
    recorded_at = string(format="date-time")
    prev_hash = string()
    hash = string()


class EventPageOut(Out):
    items = many(EventOut)
    next_cursor = string(nullable=True, description="pass as ?cursor= for the next page; null at the end")


class VerifyOut(Out):
    ok = fields.Boolean(required=True)
    contract_id = string()
    events = integer()
    fingerprint = string(nullable=True)
    version = integer(nullable=True)
    broken_version = integer(nullable=True)
    reason = string(nullable=True)


class ProblemOut(Out):
    """RFC 9457 problem details; ``code`` is the LedgerError code, ``errors`` the per-field messages."""

    type = string()
    title = string()
    status = fields.Integer(required=True, validate=validate.Range(400, 599))
    detail = string()
    code = string()
    errors = fields.Dict(required=True)


class HealthOut(Out):
    status = string()


class ReadyOut(Out):
    status = string()
    warnings = many(fields.String(metadata={"description": "e.g. a rate table near or past its verified-through date"}))
