"""One schema per command: the payload of an HTTP POST and of a Kafka command message.

``COMMAND_SCHEMAS[name]().load(payload)`` returns the keyword arguments of the
command exactly as the application takes them (dates as ``datetime.date``,
money as ``{"amount": int, "currency": str}``). ``name`` is ``sign_contract``
or a key of ``application.service.COMMANDS``. Identifiers that the HTTP API carries in
the URL (a milestone key, an invoice number, a payment or dispute id) are
fields here too, because a Kafka message has no URL; the HTTP layer excludes
them from the body and adds them from the path.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ledger.contract import DIRECTIONS, DISPUTE_OUTCOMES, INVOICE_LINES_MAX, JUDGMENT_OUTCOMES, PAYMENT_METHODS
from ledger.money import CURRENCIES
from ledger.reminders import CHANNELS, STAGES
from schemas.common import (
    INVOICE_NUMBERS_MAX,
    KEY_PATTERN,
    LINKS_MAX,
    InvoiceLineSchema,
    LatePaymentSchema,
    LicenceTermsSchema,
    PartySchema,
    PositiveMoneySchema,
    ReminderPolicySchema,
    StrictSchema,
    choice,
    day,
    milestone_list,
    money,
    sha256,
    sha256_list,
    text,
    text_list,
)

COMMUNICATION_CHANNELS = (*CHANNELS, "meeting", "chat")


def milestone_key() -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(KEY_PATTERN, error="a short lowercase key"))


def invoice_numbers(*, required: bool = False) -> fields.List:
    return text_list(INVOICE_NUMBERS_MAX, 40, required=required)


class SignContractSchema(StrictSchema):
    """ContractSigned: parties, currency, total, jurisdiction, terms and the milestone schedule."""

    occurred_on = day()
    title = text(200)
    reference = text(100, required=False)
    supplier = fields.Nested(PartySchema, required=True)
    client = fields.Nested(PartySchema, required=True)
    currency = choice(sorted(CURRENCIES))
    total = money()
    jurisdiction = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", error="like GB-ENG, EU-DE or US-NY"),
    )
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    milestones = milestone_list()
    late_payment = fields.Nested(LatePaymentSchema, allow_none=True)
    reminder_policy = fields.Nested(ReminderPolicySchema, allow_none=True)
    licence = fields.Nested(LicenceTermsSchema, allow_none=True)
    document_hash = sha256()


class AmendContractSchema(StrictSchema):
    occurred_on = day()
    milestones = milestone_list()
    total = money()
    reason = text()
    document_hash = sha256()


class DeliverMilestoneSchema(StrictSchema):
    key = milestone_key()
    occurred_on = day()
    description = text()
    proof_links = text_list(LINKS_MAX, 1000)
    attachment_hashes = sha256_list()


class AcceptMilestoneSchema(StrictSchema):
    key = milestone_key()
    occurred_on = day()
    note = text(required=False)


class RejectMilestoneSchema(StrictSchema):
    key = milestone_key()
    occurred_on = day()
    reason = text()


class IssueInvoiceSchema(StrictSchema):
    number = text(40, required=False, metadata={"description": "omit to take the account's next number"})
    occurred_on = day()
    milestone_keys = fields.List(milestone_key(), allow_none=True, validate=validate.Length(max=100))
    lines = fields.List(fields.Nested(InvoiceLineSchema), allow_none=True, validate=validate.Length(max=INVOICE_LINES_MAX))
    due_on = day(required=False)


class VoidInvoiceSchema(StrictSchema):
    number = text(40)
    occurred_on = day()
    reason = text()


class IssueCreditNoteSchema(StrictSchema):
    number = text(40)
    occurred_on = day()
    amount = money()
    reason = text()
    credit_note_number = text(60, required=False)


class RecordPaymentSchema(StrictSchema):
    payment_id = text(100)
    occurred_on = day()
    amount = money()
    method = choice(PAYMENT_METHODS, required=False)
    reference = text(200, required=False)
    allocations = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 40)),
        values=fields.Nested(PositiveMoneySchema),
        allow_none=True,
        validate=validate.Length(max=INVOICE_NUMBERS_MAX),
        metadata={"description": "invoice number -> amount; omit to allocate oldest first"},
    )


class ReversePaymentSchema(StrictSchema):
    payment_id = text(100)
    occurred_on = day()
    reason = text()


class RecordReminderSentSchema(StrictSchema):
    occurred_on = day()
    invoice_numbers = fields.List(text(40), required=True, validate=validate.Length(1, INVOICE_NUMBERS_MAX))
    stage = choice(STAGES)
    channel = choice(CHANNELS)
    tracking_reference = text(200, required=False)
    document_hash = sha256()


class LogCommunicationSchema(StrictSchema):
    occurred_on = day()
    direction = choice(DIRECTIONS)
    channel = choice(COMMUNICATION_CHANNELS)
    summary = text()
    counterpart = text(200, required=False)
    attachment_hashes = sha256_list()


class RecordPromiseSchema(StrictSchema):
    occurred_on = day()
    amount = money()
    promised_by = day()
    invoice_numbers = invoice_numbers()
    note = text(required=False)


class OpenDisputeSchema(StrictSchema):
    dispute_id = text(100)
    occurred_on = day()
    reason = text()
    invoice_numbers = invoice_numbers()


class ResolveDisputeSchema(StrictSchema):
    dispute_id = text(100)
    occurred_on = day()
    outcome = choice(DISPUTE_OUTCOMES)
    note = text(required=False)


class PauseWorkSchema(StrictSchema):
    occurred_on = day()
    reason = text()


class ResumeWorkSchema(StrictSchema):
    occurred_on = day()
    reason = text(required=False)


class GrantLicenceSchema(StrictSchema):
    occurred_on = day()
    scope = text(required=False)


class ExtendLicenceSchema(StrictSchema):
    occurred_on = day()
    expires_on = day()
    reason = text()


class MakeLicencePerpetualSchema(StrictSchema):
    occurred_on = day()
    reason = text()


class FundEscrowSchema(StrictSchema):
    occurred_on = day()
    reference = text(200)
    amount = money()
    provider = text(200)
    milestone_key = fields.String(allow_none=True, validate=validate.Regexp(KEY_PATTERN, error="a short lowercase key"))


class ReleaseEscrowSchema(StrictSchema):
    occurred_on = day()
    reference = text(200)
    amount = money()


class FileClaimSchema(StrictSchema):
    occurred_on = day()
    court = text(200)
    claim_reference = text(100)
    amount_claimed = money()


class RecordJudgmentSchema(StrictSchema):
    occurred_on = day()
    claim_reference = text(100)
    outcome = choice(JUDGMENT_OUTCOMES)
    amount_awarded = money(required=False, positive=False)
    note = text(required=False)


class WriteOffDebtSchema(StrictSchema):
    occurred_on = day()
    amount = money()
    reason = text()


class CloseContractSchema(StrictSchema):
    occurred_on = day()
    reason = text()


SIGN_CONTRACT = "sign_contract"

COMMAND_SCHEMAS: dict[str, type[Schema]] = {
    SIGN_CONTRACT: SignContractSchema,
    "amend_contract": AmendContractSchema,
    "deliver_milestone": DeliverMilestoneSchema,
    "accept_milestone": AcceptMilestoneSchema,
    "reject_milestone": RejectMilestoneSchema,
    "issue_invoice": IssueInvoiceSchema,
    "void_invoice": VoidInvoiceSchema,
    "issue_credit_note": IssueCreditNoteSchema,
    "record_payment": RecordPaymentSchema,
    "reverse_payment": ReversePaymentSchema,
    "record_reminder_sent": RecordReminderSentSchema,
    "log_communication": LogCommunicationSchema,
    "record_promise": RecordPromiseSchema,
    "open_dispute": OpenDisputeSchema,
    "resolve_dispute": ResolveDisputeSchema,
    "pause_work": PauseWorkSchema,
    "resume_work": ResumeWorkSchema,
    "grant_licence": GrantLicenceSchema,
    "extend_licence": ExtendLicenceSchema,
    "make_licence_perpetual": MakeLicencePerpetualSchema,
    "fund_escrow": FundEscrowSchema,
    "release_escrow": ReleaseEscrowSchema,
    "file_claim": FileClaimSchema,
    "record_judgment": RecordJudgmentSchema,
    "write_off_debt": WriteOffDebtSchema,
    "close_contract": CloseContractSchema,
}
