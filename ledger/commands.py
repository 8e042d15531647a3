"""The commands a contract takes: one frozen dataclass each, checked by mypy from the adapters down.

A command's fields are the keyword arguments of the Contract method it calls;
``apply`` calls that method directly. An optional field left ``None`` means
"not given" (the contract's default applies), which is also how the schemas
treat a ``null``: ``args()`` lists the fields given, the document an
idempotency key is bound to. ``name`` is the command's name over HTTP and
Kafka. Nested terms (parties, milestones, invoice lines, allocations) stay
plain mappings: the contract's ``terms`` checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any, ClassVar, Self
from uuid import UUID

from ledger.contract import Contract
from ledger.errors import ValidationError
from ledger.money import Money

MONEY_TYPES = frozenset({"Money", "Money | None"})


@dataclass(frozen=True, kw_only=True)
class Command:
    """One write: a name, and the arguments that go with it."""

    name: ClassVar[str]

    def args(self) -> dict[str, Any]:
        """The arguments given (``None`` means not given), as the idempotency digest sees them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Self:
        """Build from loaded keyword arguments; a money mapping becomes ``Money``."""
        money = {f.name for f in fields(cls) if f.type in MONEY_TYPES}
        return cls(**{key: as_money(value) if key in money else value for key, value in args.items()})


def as_money(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return Money(value["amount"], value["currency"])
    return value  # anything else is left for Money.of to refuse with its own error


@dataclass(frozen=True, kw_only=True)
class ContractCommand(Command):
    """A command on an existing contract."""

    occurred_on: date

    def apply(self, contract: Contract) -> None:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class SignContract(Command):
    name: ClassVar[str] = "sign_contract"
    occurred_on: date
    title: str
    supplier: dict[str, Any]
    client: dict[str, Any]
    currency: str
    total: Money
    jurisdiction: str
    milestones: list[dict[str, Any]]
    payment_terms_days: int | None = None
    late_payment: dict[str, Any] | None = None
    reminder_policy: dict[str, Any] | None = None
    licence: dict[str, Any] | None = None
    reference: str | None = None
    document_hash: str | None = None

    def sign(self, contract_id: UUID, account_id: str) -> Contract:
        return Contract.sign(
            contract_id=contract_id,
            account_id=account_id,
            occurred_on=self.occurred_on,
            title=self.title,
            supplier=self.supplier,
            client=self.client,
            currency=self.currency,
            total=self.total,
            jurisdiction=self.jurisdiction,
            payment_terms_days=self.payment_terms_days,
            milestones=self.milestones,
            late_payment=self.late_payment,
            reminder_policy=self.reminder_policy,
            licence=self.licence,
            reference=self.reference,
            document_hash=self.document_hash,
        )


@dataclass(frozen=True, kw_only=True)
class AmendContract(ContractCommand):
    name: ClassVar[str] = "amend_contract"
    milestones: list[dict[str, Any]]
    total: Money
    reason: str
    document_hash: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.amend(
            occurred_on=self.occurred_on,
            milestones=self.milestones,
            total=self.total,
            reason=self.reason,
            document_hash=self.document_hash,
        )


@dataclass(frozen=True, kw_only=True)
class DeliverMilestone(ContractCommand):
    name: ClassVar[str] = "deliver_milestone"
    key: str
    description: str
    proof_links: list[str] | None = None
    attachment_hashes: list[str] | None = None

    def apply(self, contract: Contract) -> None:
        contract.deliver_milestone(
            key=self.key,
            occurred_on=self.occurred_on,
            description=self.description,
            proof_links=self.proof_links,
            attachment_hashes=self.attachment_hashes,
        )


@dataclass(frozen=True, kw_only=True)
class AcceptMilestone(ContractCommand):
    name: ClassVar[str] = "accept_milestone"
    key: str
    note: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.accept_milestone(key=self.key, occurred_on=self.occurred_on, note=self.note)


@dataclass(frozen=True, kw_only=True)
class RejectMilestone(ContractCommand):
    name: ClassVar[str] = "reject_milestone"
    key: str
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.reject_milestone(key=self.key, occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class IssueInvoice(ContractCommand):
    """``number`` omitted: the application takes the account's next number before applying."""

    name: ClassVar[str] = "issue_invoice"
    number: str | None = None
    milestone_keys: list[str] | None = None
    lines: list[dict[str, Any]] | None = None
    due_on: date | None = None

    def apply(self, contract: Contract) -> None:
        if self.number is None:
            raise ValidationError("an invoice needs a number", {"number": ["required"]})
        contract.issue_invoice(
            number=self.number,
            occurred_on=self.occurred_on,
            milestone_keys=self.milestone_keys,
            lines=self.lines,
            due_on=self.due_on,
        )


@dataclass(frozen=True, kw_only=True)
class VoidInvoice(ContractCommand):
    name: ClassVar[str] = "void_invoice"
    number: str
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.void_invoice(number=self.number, occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class IssueCreditNote(ContractCommand):
    name: ClassVar[str] = "issue_credit_note"
    number: str
    amount: Money
    reason: str
    credit_note_number: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.issue_credit_note(
            number=self.number,
            occurred_on=self.occurred_on,
            amount=self.amount,
            reason=self.reason,
            credit_note_number=self.credit_note_number,
        )


@dataclass(frozen=True, kw_only=True)
class RecordPayment(ContractCommand):
    name: ClassVar[str] = "record_payment"
    payment_id: str
    amount: Money
    method: str | None = None
    reference: str | None = None
    allocations: dict[str, Any] | None = None

    def apply(self, contract: Contract) -> None:
        contract.record_payment(
            payment_id=self.payment_id,
            occurred_on=self.occurred_on,
            amount=self.amount,
            method=self.method,
            reference=self.reference,
            allocations=self.allocations,
        )


@dataclass(frozen=True, kw_only=True)
class ReversePayment(ContractCommand):
    name: ClassVar[str] = "reverse_payment"
    payment_id: str
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.reverse_payment(payment_id=self.payment_id, occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class RecordReminderSent(ContractCommand):
    name: ClassVar[str] = "record_reminder_sent"
    invoice_numbers: list[str]
    stage: str
    channel: str
    tracking_reference: str | None = None
    document_hash: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.record_reminder_sent(
            occurred_on=self.occurred_on,
            invoice_numbers=self.invoice_numbers,
            stage=self.stage,
            channel=self.channel,
            tracking_reference=self.tracking_reference,
            document_hash=self.document_hash,
        )


@dataclass(frozen=True, kw_only=True)
class LogCommunication(ContractCommand):
    name: ClassVar[str] = "log_communication"
    direction: str
    channel: str
    summary: str
    counterpart: str | None = None
    attachment_hashes: list[str] | None = None

    def apply(self, contract: Contract) -> None:
        contract.log_communication(
            occurred_on=self.occurred_on,
            direction=self.direction,
            channel=self.channel,
            summary=self.summary,
            counterpart=self.counterpart,
            attachment_hashes=self.attachment_hashes,
        )


@dataclass(frozen=True, kw_only=True)
class RecordPromise(ContractCommand):
    name: ClassVar[str] = "record_promise"
    amount: Money
    promised_by: date
    invoice_numbers: list[str] | None = None
    note: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.record_promise(
            occurred_on=self.occurred_on,
            amount=self.amount,
            promised_by=self.promised_by,
            invoice_numbers=self.invoice_numbers,
            note=self.note,
        )


@dataclass(frozen=True, kw_only=True)
class OpenDispute(ContractCommand):
    name: ClassVar[str] = "open_dispute"
    dispute_id: str
    reason: str
    invoice_numbers: list[str] | None = None

    def apply(self, contract: Contract) -> None:
        contract.open_dispute(
            dispute_id=self.dispute_id,
            occurred_on=self.occurred_on,
            reason=self.reason,
            invoice_numbers=self.invoice_numbers,
        )


@dataclass(frozen=True, kw_only=True)
class ResolveDispute(ContractCommand):
    name: ClassVar[str] = "resolve_dispute"
    dispute_id: str
    outcome: str
    note: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.resolve_dispute(
            dispute_id=self.dispute_id, occurred_on=self.occurred_on, outcome=self.outcome, note=self.note
        )


@dataclass(frozen=True, kw_only=True)
class PauseWork(ContractCommand):
    name: ClassVar[str] = "pause_work"
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.pause_work(occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class ResumeWork(ContractCommand):
    name: ClassVar[str] = "resume_work"
    reason: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.resume_work(occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class GrantLicence(ContractCommand):
    name: ClassVar[str] = "grant_licence"
    scope: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.grant_licence(occurred_on=self.occurred_on, scope=self.scope)


@dataclass(frozen=True, kw_only=True)
class ExtendLicence(ContractCommand):
    name: ClassVar[str] = "extend_licence"
    expires_on: date
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.extend_licence(occurred_on=self.occurred_on, expires_on=self.expires_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class MakeLicencePerpetual(ContractCommand):
    name: ClassVar[str] = "make_licence_perpetual"
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.make_licence_perpetual(occurred_on=self.occurred_on, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class FundEscrow(ContractCommand):
    name: ClassVar[str] = "fund_escrow"
    reference: str
    amount: Money
    provider: str
    milestone_key: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.fund_escrow(
            occurred_on=self.occurred_on,
            reference=self.reference,
            amount=self.amount,
            provider=self.provider,
            milestone_key=self.milestone_key,
        )


@dataclass(frozen=True, kw_only=True)
class ReleaseEscrow(ContractCommand):
    name: ClassVar[str] = "release_escrow"
    reference: str
    amount: Money

    def apply(self, contract: Contract) -> None:
        contract.release_escrow(occurred_on=self.occurred_on, reference=self.reference, amount=self.amount)


@dataclass(frozen=True, kw_only=True)
class FileClaim(ContractCommand):
    name: ClassVar[str] = "file_claim"
    court: str
    claim_reference: str
    amount_claimed: Money

    def apply(self, contract: Contract) -> None:
        contract.file_claim(
            occurred_on=self.occurred_on,
            court=self.court,
            claim_reference=self.claim_reference,
            amount_claimed=self.amount_claimed,
        )


@dataclass(frozen=True, kw_only=True)
class RecordJudgment(ContractCommand):
    name: ClassVar[str] = "record_judgment"
    claim_reference: str
    outcome: str
    amount_awarded: Money | None = None
    note: str | None = None

    def apply(self, contract: Contract) -> None:
        contract.record_judgment(
            occurred_on=self.occurred_on,
            claim_reference=self.claim_reference,
            outcome=self.outcome,
            amount_awarded=self.amount_awarded,
            note=self.note,
        )


@dataclass(frozen=True, kw_only=True)
class WriteOffDebt(ContractCommand):
    name: ClassVar[str] = "write_off_debt"
    amount: Money
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.write_off_debt(occurred_on=self.occurred_on, amount=self.amount, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class CloseContract(ContractCommand):
    name: ClassVar[str] = "close_contract"
    reason: str

    def apply(self, contract: Contract) -> None:
        contract.close(occurred_on=self.occurred_on, reason=self.reason)


CONTRACT_COMMANDS: dict[str, type[ContractCommand]] = {
    command.name: command
    for command in (
        AmendContract,
        DeliverMilestone,
        AcceptMilestone,
        RejectMilestone,
        IssueInvoice,
        VoidInvoice,
        IssueCreditNote,
        RecordPayment,
        ReversePayment,
        RecordReminderSent,
        LogCommunication,
        RecordPromise,
        OpenDispute,
        ResolveDispute,
        PauseWork,
        ResumeWork,
        GrantLicence,
        ExtendLicence,
        MakeLicencePerpetual,
        FundEscrow,
        ReleaseEscrow,
        FileClaim,
        RecordJudgment,
        WriteOffDebt,
        CloseContract,
    )
}
COMMAND_NAMES = frozenset({SignContract.name, *CONTRACT_COMMANDS})


def contract_command(name: str, args: dict[str, Any]) -> ContractCommand:
    """The command called ``name`` with these keyword arguments, or ValidationError for an unknown name."""
    command_class = CONTRACT_COMMANDS.get(name)
    if command_class is None:
        raise ValidationError(f"unknown command {name!r}", {"type": ["unknown command"]})
    return command_class.from_args(args)
