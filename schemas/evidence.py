"""Responses of the evidence routes (the bundle itself is a ZIP, not JSON)."""

from __future__ import annotations

from marshmallow import Schema, fields


class AttachmentOut(Schema):
    sha256 = fields.String(required=True, metadata={"description": "content address: SHA-256 of the bytes, hex"})
    bytes = fields.Integer(required=True)


class InterestPeriodOut(Schema):
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})
    days = fields.Integer(required=True)
    principal = fields.Integer(required=True, metadata={"description": "minor units"})
    rate_percent = fields.String(required=True, metadata={"description": "annual rate, e.g. \"11.75\""})
    interest = fields.String(required=True, metadata={"description": "unrounded, in minor units (decimal string)"})
    source = fields.String(required=True, metadata={"description": "the rate-table row behind the rate"})
    provisional = fields.String(required=True, allow_none=True, metadata={
        "description": "\"provisional: rate verified through YYYY-MM-DD\" when the rate was carried forward past its "
                       "table's verified-through date; null when exact"})


class InvoiceInterestOut(Schema):
    number = fields.String(required=True)
    due_on = fields.String(required=True, metadata={"format": "date"})
    amount = fields.Integer(required=True)
    late_debt = fields.Integer(required=True)
    outstanding = fields.Integer(required=True)
    periods = fields.List(fields.Nested(InterestPeriodOut), required=True)
    interest = fields.Integer(required=True, metadata={"description": "minor units, rounded half-up once"})
    compensation = fields.Integer(required=True)
    compensation_basis = fields.String(required=True)


class ClaimOut(Schema):
    contract_id = fields.String(required=True)
    as_of = fields.String(required=True, metadata={"format": "date"})
    currency = fields.String(required=True)
    principal = fields.Integer(required=True, metadata={"description": "outstanding on invoices past due, minor units"})
    interest = fields.Integer(required=True)
    compensation = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "principal + interest + compensation"})
    not_yet_due = fields.Integer(required=True)
    regime = fields.String(required=True)
    basis = fields.String(required=True)
    invoices = fields.List(fields.Nested(InvoiceInterestOut), required=True)
    provisional = fields.Boolean(required=True, metadata={
        "description": "true when some rate was carried forward past its verified-through date (LEDGER_RATES_STRICT "
                       "refuses instead)"})
    provisional_notes = fields.List(fields.String(), required=True)
    compensation_label = fields.String(required=True, metadata={
        "description": "what the compensation is: \"Fixed compensation\" (UK/EU statute) or \"Double damages\" "
                       "(a freelance-payment statute)"})
