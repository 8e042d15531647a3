"""Invoice numbers, unique within an account: a given number is claimed, an omitted one is the next free.

Each number is claimed by an ``InvoiceNumberClaim`` record saved with the
invoice's event, so two contracts of one account can never both issue it; the
account's ``InvoiceSequence`` remembers the last number handed out.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from application.guard import guarded
from ledger.commands import IssueInvoice
from ledger.contract import Contract
from ledger.errors import DuplicateInvoiceNumber
from ledger.records import InvoiceNumberClaim, InvoiceSequence, invoice_number_id, invoice_sequence_id

INVOICE_PREFIX = "INV-"


def claim_invoice_number(
    app: Application[UUID], account_id: str, contract: Contract, command: IssueInvoice
) -> tuple[IssueInvoice, list[Aggregate]]:
    """The command with its number (the account's next one if it had none) and the records that claim it."""
    number = command.number
    if number is None:
        sequence = invoice_sequence(app, account_id)
        number = next_free_number(app, account_id, sequence)
        command = replace(command, number=number)
        extra: list[Aggregate] = [sequence]
    else:
        if is_invoice_number_taken(app, account_id, number):
            raise DuplicateInvoiceNumber(f"invoice number {number!r} is already used in this account", number=number)
        extra = []
    claim = InvoiceNumberClaim(account_id, number, str(contract.id))
    return command, [*extra, claim]


def next_free_number(app: Application[UUID], account_id: str, sequence: InvoiceSequence) -> str:
    """Allocate numbers from the sequence until one is not taken (a number may have been given by hand)."""
    while True:
        next_value = sequence.last + 1
        sequence.allocate(next_value)
        number = sequence.format(next_value)
        if not is_invoice_number_taken(app, account_id, number):
            return number


def invoice_sequence(app: Application[UUID], account_id: str) -> InvoiceSequence:
    try:
        sequence: InvoiceSequence = guarded(app.repository.get, invoice_sequence_id(account_id))
    except AggregateNotFoundError:
        sequence = InvoiceSequence(account_id, INVOICE_PREFIX)
    return sequence


def is_invoice_number_taken(app: Application[UUID], account_id: str, number: str) -> bool:
    return bool(guarded(app.repository.__contains__, invoice_number_id(account_id, number)))
