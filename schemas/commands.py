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
from ledger.contract import DIRECTIONS, DISPUTE_OUTCOMES, JUDGMENT_OUTCOMES, PAYMENT_METHODS
from ledger.money import CURRENCIES
from ledger.reminders import CHANNELS, STAGES
from ledger.terms import (
    CONTRACT_REFERENCE_MAX,
    IDENTIFIER_PATTERN,
    INVOICE_LINES_MAX,
    INVOICE_NUMBERS_MAX,
    JURISDICTION_PATTERN,
    LINK_MAX,
    LINKS_MAX,
    MILESTONE_KEYS_MAX,
    NAME_MAX,
    PAYMENT_TERMS_DAYS_MAX,
    REFERENCE_MAX,
    TITLE_MAX,
)
from schemas.common import (
    IDENTIFIER_ERROR,
    InvoiceLineSchema,
    LatePaymentSchema,
    LicenceTermsSchema,
    PartySchema,
    PositiveMoneySchema,
    ReminderPolicySchema,
    StrictSchema,
    choice,
    day,
    identifier,
    milestone_key,
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


def invoice_numbers(*, required: bool = False) -> fields.List:
    length = validate.Length(1 if required else 0, INVOICE_NUMBERS_MAX)
    return fields.List(identifier(), required=required, allow_none=not required, validate=length)


class SignContractSchema(CommandSchema):
    """ContractSigned: parties, currency, total, jurisdiction, terms and the milestone schedule."""

    command = commands.SignContract
    occurred_on = day()
    title = text(TITLE_MAX)
    reference = text(CONTRACT_REFERENCE_MAX, required=False)
    supplier = fields.Nested(PartySchema, required=True)
    client = fields.Nested(PartySchema, required=True)
    currency = choice(sorted(CURRENCIES))
    total = money()
    jurisdiction = fields.String(
        required=True,
        validate=validate.Regexp(JURISDICTION_PATTERN, error="like GB-ENG, EU-DE or US-NY"),
    )
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, PAYMENT_TERMS_DAYS_MAX))
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
    proof_links = text_list(LINKS_MAX, LINK_MAX)
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
    number = identifier(required=False, metadata={"description": "omit to take the account's next number"})
    occurred_on = day()
    milestone_keys = fields.List(milestone_key(), allow_none=True, validate=validate.Length(max=MILESTONE_KEYS_MAX))
    lines = fields.List(fields.Nested(InvoiceLineSchema), allow_none=True, validate=validate.Length(max=INVOICE_LINES_MAX))
    due_on = day(required=False)


class VoidInvoiceSchema(CommandSchema):
    command = commands.VoidInvoice
    number = identifier()
    occurred_on = day()
    reason = text()


class IssueCreditNoteSchema(CommandSchema):
    command = commands.IssueCreditNote
    number = identifier()
    occurred_on = day()
    amount = money()
    reason = text()
    credit_note_number = identifier(required=False)


class RecordPaymentSchema(CommandSchema):
    command = commands.RecordPayment
    payment_id = identifier()
    occurred_on = day()
    amount = money()
    method = choice(PAYMENT_METHODS, required=False)
    reference = text(REFERENCE_MAX, required=False)
    allocations = fields.Dict(
        keys=fields.String(validate=validate.Regexp(IDENTIFIER_PATTERN, error=IDENTIFIER_ERROR)),
        values=fields.Nested(PositiveMoneySchema),
        allow_none=True,
        validate=validate.Length(max=INVOICE_NUMBERS_MAX),
        metadata={"description": "invoice number -> amount; omit to allocate oldest first"},
    )


class ReversePaymentSchema(CommandSchema):
    command = commands.ReversePayment
    payment_id = identifier()
    occurred_on = day()
    reason = text()


class RecordReminderSentSchema(CommandSchema):
    command = commands.RecordReminderSent
    occurred_on = day()
    invoice_numbers = invoice_numbers(required=True)
    stage = choice(STAGES)
    channel = choice(CHANNELS)
    tracking_reference = text(REFERENCE_MAX, required=False)
    document_hash = sha256()


class LogCommunicationSchema(CommandSchema):
    command = commands.LogCommunication
    occurred_on = day()
    direction = choice(DIRECTIONS)
    channel = choice(COMMUNICATION_CHANNELS)
    summary = text()
    counterpart = text(NAME_MAX, required=False)
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
    dispute_id = identifier()
    occurred_on = day()
    reason = text()
    invoice_numbers = invoice_numbers()


class ResolveDisputeSchema(CommandSchema):
    command = commands.ResolveDispute
    dispute_id = identifier()
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
    reference = text(REFERENCE_MAX)
    amount = money()
    provider = text(NAME_MAX)
    milestone_key = milestone_key(required=False)


class ReleaseEscrowSchema(CommandSchema):
    command = commands.ReleaseEscrow
    occurred_on = day()
    reference = text(REFERENCE_MAX)
    amount = money()


class FileClaimSchema(CommandSchema):
    command = commands.FileClaim
    occurred_on = day()
    court = text(NAME_MAX)
    claim_reference = text(CONTRACT_REFERENCE_MAX)
    amount_claimed = money()


class RecordJudgmentSchema(CommandSchema):
    command = commands.RecordJudgment
    occurred_on = day()
    claim_reference = text(CONTRACT_REFERENCE_MAX)
    outcome = choice(JUDGMENT_OUTCOMES)
    amount_awarded = money(required=False, positive=False)
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
