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


class PartyOut(Schema):
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    kind = fields.String(required=True, metadata={"description": "business or individual"})


class FilingInterestOut(Schema):
    amount = fields.Integer(required=True, metadata={"description": "interest to the as-of date, minor units"})
    regime = fields.String(required=True)
    basis = fields.String(required=True, metadata={"description": "the statutory or contractual basis, in words"})
    annual_rates_percent = fields.List(fields.String(), required=True)
    from_ = fields.String(required=True, allow_none=True, data_key="from", attribute="from", metadata={"format": "date"})
    to = fields.String(required=True, metadata={"format": "date"})
    daily_amount = fields.Integer(required=True, metadata={"description": "further interest a day, minor units"})


class CourtFeeOut(Schema):
    amount = fields.Integer(required=True, metadata={"description": "issue fee, minor units"})
    claim_amount = fields.Integer(required=True, metadata={"description": "the amount the fee is banded on: claim "
                                                                           "plus interest"})
    band_up_to = fields.Integer(required=True, allow_none=True)
    rule = fields.String(required=True)
    source = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    online = fields.Boolean(required=True, metadata={"description": "within the online money claim service's limit"})


class FilingOut(Schema):
    contract_id = fields.String(required=True)
    as_of = fields.String(required=True, metadata={"format": "date"})
    jurisdiction = fields.String(required=True)
    currency = fields.String(required=True)
    claimant = fields.Nested(PartyOut, required=True)
    defendant = fields.Nested(PartyOut, required=True)
    principal = fields.Integer(required=True)
    compensation = fields.Integer(required=True)
    amount = fields.Integer(required=True, metadata={"description": "principal + fixed compensation"})
    interest = fields.Nested(FilingInterestOut, required=True)
    court_fee = fields.Nested(CourtFeeOut, required=True, allow_none=True,
                              metadata={"description": "null where the fee table does not apply"})
    total = fields.Integer(required=True, metadata={"description": "amount + interest + court fee"})
    particulars = fields.String(required=True, metadata={"description": "at most 1,080 characters"})
    particulars_characters = fields.Integer(required=True)
    full_statement_in_bundle = fields.Boolean(required=True)
    statement_file = fields.String(required=True)
