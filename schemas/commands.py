"""One schema per command: the payload of an HTTP POST and of a Kafka command message.

``COMMAND_SCHEMAS[name]().load(payload)`` returns the typed command
(``ledger.commands``): dates as ``datetime.date``, top-level money as
``Money``. ``name`` is ``sign_contract`` or a key of
``ledger.commands.CONTRACT_COMMANDS``. Identifiers that the HTTP API carries in
the URL (a milestone key, an invoice number, a payment or dispute id) are
fields here too, because a Kafka message has no URL; the HTTP layer excludes
them from the body and adds them from the path.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate

from ledger import commands
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
    MoneySchema,
    PartySchema,
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


class CommandSchema(StrictSchema):
    """Loads one command's payload into its typed command."""

    command: ClassVar[type[commands.Command]]

    def build(self, data: dict[str, Any]) -> Any:
        return self.command.from_args(data)


def milestone_key() -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(KEY_PATTERN, error="a short lowercase key"))


def invoice_numbers(*, required: bool = False) -> fields.List:
    return text_list(INVOICE_NUMBERS_MAX, 40, required=required)


class SignContractSchema(CommandSchema):
    """ContractSigned: parties, currency, total, jurisdiction, terms and the milestone schedule."""

    command = commands.SignContract
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


class AmendContractSchema(CommandSchema):
    command = commands.AmendContract
    occurred_on = day()
    milestones = milestone_list()
    total = money()
    reason = text()
    document_hash = sha256()


class DeliverMilestoneSchema(CommandSchema):
    command = commands.DeliverMilestone
    key = milestone_key()
    occurred_on = day()
    description = text()
    proof_links = text_list(LINKS_MAX, 1000)
    attachment_hashes = sha256_list()


class AcceptMilestoneSchema(CommandSchema):
    command = commands.AcceptMilestone
    key = milestone_key()
    occurred_on = day()
    note = text(required=False)


class RejectMilestoneSchema(CommandSchema):
    command = commands.RejectMilestone
    key = milestone_key()
    occurred_on = day()
    reason = text()


class IssueInvoiceSchema(CommandSchema):
    command = commands.IssueInvoice
    number = text(40, required=False, metadata={"description": "omit to take the account's next number"})
    occurred_on = day()
    milestone_keys = fields.List(milestone_key(), allow_none=True, validate=validate.Length(max=100))
    lines = fields.List(fields.Nested(InvoiceLineSchema), allow_none=True, validate=validate.Length(max=INVOICE_LINES_MAX))
    due_on = day(required=False)


class VoidInvoiceSchema(CommandSchema):
    command = commands.VoidInvoice
    number = text(40)
    occurred_on = day()
    reason = text()


class IssueCreditNoteSchema(CommandSchema):
    command = commands.IssueCreditNote
    number = text(40)
    occurred_on = day()
    amount = money()
    reason = text()
    credit_note_number = text(60, required=False)


class RecordPaymentSchema(CommandSchema):
    command = commands.RecordPayment
    payment_id = text(100)
    occurred_on = day()
    amount = money()
    method = choice(PAYMENT_METHODS, required=False)
    reference = text(200, required=False)
    allocations = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 40)),
        values=fields.Nested(MoneySchema),
        allow_none=True,
        validate=validate.Length(max=INVOICE_NUMBERS_MAX),
        metadata={"description": "invoice number -> amount; omit to allocate oldest first"},
    )


class ReversePaymentSchema(CommandSchema):
    command = commands.ReversePayment
    payment_id = text(100)
    occurred_on = day()
    reason = text()


class RecordReminderSentSchema(CommandSchema):
    command = commands.RecordReminderSent
    occurred_on = day()
    invoice_numbers = fields.List(text(40), required=True, validate=validate.Length(1, INVOICE_NUMBERS_MAX))
    stage = choice(STAGES)
    channel = choice(CHANNELS)
    tracking_reference = text(200, required=False)
    document_hash = sha256()


class LogCommunicationSchema(CommandSchema):
    command = commands.LogCommunication
    occurred_on = day()
    direction = choice(DIRECTIONS)
    channel = choice(COMMUNICATION_CHANNELS)
    summary = text()
    counterpart = text(200, required=False)
    attachment_hashes = sha256_list()


class RecordPromiseSchema(CommandSchema):
    command = commands.RecordPromise
    occurred_on = day()
    amount = money()
    promised_by = day()
    invoice_numbers = invoice_numbers()
    note = text(required=False)


class OpenDisputeSchema(CommandSchema):
    command = commands.OpenDispute
    dispute_id = text(100)
    occurred_on = day()
    reason = text()
    invoice_numbers = invoice_numbers()


class ResolveDisputeSchema(CommandSchema):
    command = commands.ResolveDispute
    dispute_id = text(100)
    occurred_on = day()
    outcome = choice(DISPUTE_OUTCOMES)
    note = text(required=False)


class PauseWorkSchema(CommandSchema):
    command = commands.PauseWork
    occurred_on = day()
    reason = text()


class ResumeWorkSchema(CommandSchema):
    command = commands.ResumeWork
    occurred_on = day()
    reason = text(required=False)


class GrantLicenceSchema(CommandSchema):
    command = commands.GrantLicence
    occurred_on = day()
    scope = text(required=False)


class ExtendLicenceSchema(CommandSchema):
    command = commands.ExtendLicence
    occurred_on = day()
    expires_on = day()
    reason = text()


class MakeLicencePerpetualSchema(CommandSchema):
    command = commands.MakeLicencePerpetual
    occurred_on = day()
    reason = text()


class FundEscrowSchema(CommandSchema):
    command = commands.FundEscrow
    occurred_on = day()
    reference = text(200)
    amount = money()
    provider = text(200)
    milestone_key = fields.String(allow_none=True, validate=validate.Regexp(KEY_PATTERN, error="a short lowercase key"))


class ReleaseEscrowSchema(CommandSchema):
    command = commands.ReleaseEscrow
    occurred_on = day()
    reference = text(200)
    amount = money()


class FileClaimSchema(CommandSchema):
    command = commands.FileClaim
    occurred_on = day()
    court = text(200)
    claim_reference = text(100)
    amount_claimed = money()


class RecordJudgmentSchema(CommandSchema):
    command = commands.RecordJudgment
    occurred_on = day()
    claim_reference = text(100)
    outcome = choice(JUDGMENT_OUTCOMES)
    amount_awarded = money(required=False)
    note = text(required=False)


class WriteOffDebtSchema(CommandSchema):
    command = commands.WriteOffDebt
    occurred_on = day()
    amount = money()
    reason = text()


class CloseContractSchema(CommandSchema):
    command = commands.CloseContract
    occurred_on = day()
    reason = text()


SIGN_CONTRACT = commands.SignContract.name

# Command name (the Kafka envelope's ``type``, the HTTP route's command) -> its schema.
COMMAND_SCHEMAS: dict[str, type[CommandSchema]] = {
    schema.command.name: schema
    for schema in (
        SignContractSchema, AmendContractSchema, DeliverMilestoneSchema, AcceptMilestoneSchema,
        RejectMilestoneSchema, IssueInvoiceSchema, VoidInvoiceSchema, IssueCreditNoteSchema, RecordPaymentSchema,
        ReversePaymentSchema, RecordReminderSentSchema, LogCommunicationSchema, RecordPromiseSchema,
        OpenDisputeSchema, ResolveDisputeSchema, PauseWorkSchema, ResumeWorkSchema, GrantLicenceSchema,
        ExtendLicenceSchema, MakeLicencePerpetualSchema, FundEscrowSchema, ReleaseEscrowSchema, FileClaimSchema,
        RecordJudgmentSchema, WriteOffDebtSchema, CloseContractSchema,
    )
}
