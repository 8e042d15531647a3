"""The Contract aggregate: one engagement between a supplier and a client.

Declarative eventsourcing style. Each public command method checks its guards
(``check_*``) and only then triggers its event through a private method
decorated with ``@event``; the decorated method only changes state, because it
runs again on every replay. Every event carries ``occurred_on`` (the date in
the world, from the caller) and the service-set ``timestamp`` (recorded at),
plus the hash-chain link ``prev_hash``/``hash`` (see ``ledger.chain``).

This module is long on purpose: one command and one event per fact of
the product (see docs/architecture.md), and they belong together.
"""

from __future__ import annotations

import pickle  # only to copy our own in-memory contract (deepcopy), never to load outside bytes  # nosec B403
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger import clock, dates, terms
from ledger.chain import GENESIS, event_hash, format_recorded_at
from ledger.errors import AlreadyExists as AlreadyExistsError
from ledger.errors import (
    ContractClosed,
    DateOutOfOrder,
    DisputeNotFound,
    InvalidTransition,
    InvoiceNotFound,
    InvoiceNotOpen,
    InvoiceVoided,
    MilestoneNotFound,
    MilestoneNotInvoiceable,
    OutstandingBalance,
    Overpayment,
    PaymentNotFound,
    ValidationError,
)
from ledger.money import Money
from ledger.reminders import CHANNELS, STAGES
from ledger.state import (
    DisputeState,
    InvoiceState,
    LicenceState,
    MilestoneState,
    PaymentState,
    StatementLine,
)

# Keys of a stored event that are not its payload (envelope and chain fields).
# Stored fields that are not the event's payload: the library's envelope, the chain, and request_id
# (operational metadata the store adds beside an event; never hashed).
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "occurred_on", "prev_hash", "hash",
     "request_id"}
)
PAYMENT_METHOD_DEFAULT = "transfer"
PAYMENT_TERMS_DAYS_DEFAULT = 30
PAYMENT_METHODS = ("transfer", "card", "cheque", "cash", "escrow_release", "other")
DIRECTIONS = ("inbound", "outbound")
DISPUTE_OUTCOMES = ("upheld", "rejected", "settled", "withdrawn")
JUDGMENT_OUTCOMES = ("for_claimant", "for_defendant", "settled", "struck_out")


def _day(value: Any, field: str = "occurred_on") -> str:
    return terms.iso(value, field)


class Contract(Aggregate):
    """An engagement with staged payments; the unit of consistency and of a court case."""

    class Event(Aggregate.Event):
        occurred_on: str
        prev_hash: str
        hash: str

        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

        def mutate(self, aggregate: Any) -> Any:
            contract = super().mutate(aggregate)
            if contract is None:  # the library returns the aggregate it was given or created; never None
                raise TypeError(f"{type(self).__name__} produced no contract")
            contract.stamp(self.originator_version, self.hash)
            return contract

    def __deepcopy__(self, memo: dict[int, Any]) -> Contract:
        """The copy the aggregate cache hands out: a pickle round trip, ~5x faster than ``copy.deepcopy``."""
        copied: Contract = pickle.loads(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))  # own bytes  # nosec B301
        return copied

    # -- hash chain ----------------------------------------------------------
    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        timestamp = event_class.create_timestamp()
        link = _link(event_class, str(id), 1, kwargs, timestamp, GENESIS)
        return super()._create(event_class, id=id, timestamp=timestamp, prev_hash=GENESIS, hash=link, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        if self.closed_on is not None:
            raise ContractClosed("the contract is closed; nothing more can be recorded")
        timestamp = event_class.create_timestamp()
        link = _link(event_class, str(self.id), self.version + 1, kwargs, timestamp, self.chain_head)
        super().trigger_event(event_class, timestamp=timestamp, prev_hash=self.chain_head, hash=link, **kwargs)

    def stamp(self, version: int, link: str) -> None:
        """Move the chain head, and pin it on the invoice or reminders this event created."""
        self.chain_head = link
        for record in self.unstamped:
            if isinstance(record, InvoiceState):
                record.issued_hash = link
            else:
                record["fingerprint"] = link
        self.unstamped.clear()

    # -- signing ----------------------------------------------------------------
    @classmethod
    def sign(
        cls,
        *,
        contract_id: UUID,
        account_id: str,
        occurred_on: date,
        title: str,
        supplier: dict[str, Any],
        client: dict[str, Any],
        currency: str,
        total: Any,
        jurisdiction: str,
        payment_terms_days: int | None = None,
        milestones: list[dict[str, Any]],
        late_payment: dict[str, Any] | None = None,
        reminder_policy: dict[str, Any] | None = None,
        licence: dict[str, Any] | None = None,
        reference: str | None = None,
        document_hash: str | None = None,
    ) -> Contract:
        code = terms.currency(currency)
        amount = Money.of(total, code, field="total")
        contract: Contract = cls._create(
            cls.ContractSigned,  # type: ignore[attr-defined]  # made by @event("ContractSigned")
            id=contract_id,
            occurred_on=_day(occurred_on),
            account_id=terms.text(account_id, "account_id", limit=terms.ACCOUNT_ID_MAX),
            title=terms.text(title, "title", limit=terms.TITLE_MAX),
            reference=terms.optional_text(reference, "reference", limit=terms.CONTRACT_REFERENCE_MAX),
            supplier=terms.party(supplier, "supplier"),
            client=terms.party(client, "client"),
            currency=code,
            total=amount,
            jurisdiction=terms.jurisdiction(jurisdiction),
            payment_terms_days=terms.payment_terms_days(
                PAYMENT_TERMS_DAYS_DEFAULT if payment_terms_days is None else payment_terms_days
            ),
            milestones=terms.milestones(milestones, code, amount),
            late_payment=terms.late_payment(late_payment),
            reminder_policy=terms.reminder_policy(reminder_policy),
            licence_terms=terms.licence_terms(licence),
            document_hash=terms.sha256_hex(document_hash, "document_hash"),
        )
        return contract

    @event("ContractSigned")
    def __init__(
        self,
        occurred_on: str,
        account_id: str,
        title: str,
        reference: str | None,
        supplier: dict[str, Any],
        client: dict[str, Any],
        currency: str,
        total: int,
        jurisdiction: str,
        payment_terms_days: int,
        milestones: list[dict[str, Any]],
        late_payment: dict[str, Any],
        reminder_policy: dict[str, Any],
        licence_terms: dict[str, Any],
        document_hash: str | None,
    ) -> None:
        self.chain_head = GENESIS
        self.unstamped: list[Any] = []
        self.account_id = account_id
        self.title = title
        self.reference = reference
        self.signed_on = occurred_on
        self.supplier = supplier
        self.client = client
        self.currency = currency
        self.total = total
        self.jurisdiction = jurisdiction
        self.payment_terms_days = payment_terms_days
        self.milestones: dict[str, MilestoneState] = {m["key"]: MilestoneState(**m) for m in milestones}
        self.late_payment = late_payment
        self.reminder_policy = reminder_policy
        self.licence_terms = licence_terms
        self.document_hash = document_hash
        self.amendments: list[dict[str, Any]] = []
        self.invoices: dict[str, InvoiceState] = {}
        self.payments: dict[str, PaymentState] = {}
        self.statement_lines: list[StatementLine] = []
        self.communications: list[dict[str, Any]] = []
        self.promises: list[dict[str, Any]] = []
        self.disputes: dict[str, DisputeState] = {}
        self.work_pauses: list[dict[str, Any]] = []
        self.licence = LicenceState()
        self.escrow: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []
        self.judgments: list[dict[str, Any]] = []
        self.write_offs: list[dict[str, Any]] = []
        self.closed_on: str | None = None
        self.close_reason: str | None = None

    # -- amendments -------------------------------------------------------------
    def amend(
        self, *, occurred_on: date, milestones: list[dict[str, Any]], total: Any, reason: str, document_hash: str | None = None
    ) -> None:
        amount = Money.of(total, self.currency, field="total")
        schedule = terms.milestones(milestones, self.currency, amount)
        self.check_amendment_keeps_history(schedule)
        self._amended(
            occurred_on=_day(occurred_on),
            milestones=schedule,
            total=amount,
            reason=terms.text(reason, "reason"),
            document_hash=terms.sha256_hex(document_hash, "document_hash"),
        )

    def check_amendment_keeps_history(self, schedule: list[dict[str, Any]]) -> None:
        new = {m["key"]: m for m in schedule}
        for key, old in self.milestones.items():
            if old.status == "pending" and old.invoice_number is None:
                continue
            if key not in new:
                raise InvalidTransition(f"milestone {key!r} is {old.status} or invoiced and cannot be removed", key=key)
            if old.invoice_number is not None and new[key]["amount"] != old.amount:
                raise InvalidTransition(f"milestone {key!r} is invoiced; its amount cannot change", key=key)

    @event("ContractAmended")
    def _amended(
        self, occurred_on: str, milestones: list[dict[str, Any]], total: int, reason: str, document_hash: str | None
    ) -> None:
        kept = self.milestones
        self.milestones = {}
        for m in milestones:
            state = kept.get(m["key"]) or MilestoneState(**m)
            state.title, state.amount, state.due, state.due_date = m["title"], m["amount"], m["due"], m["due_date"]
            self.milestones[m["key"]] = state
        self.total = total
        self.amendments.append({"on": occurred_on, "version": self.version + 1, "reason": reason, "total": total})

    # -- milestones -------------------------------------------------------------
    def milestone(self, key: str) -> MilestoneState:
        try:
            return self.milestones[key]
        except KeyError:
            raise MilestoneNotFound(f"no milestone {key!r} in this contract", key=key) from None

    def deliver_milestone(
        self,
        *,
        key: str,
        occurred_on: date,
        description: str,
        proof_links: list[str] | None = None,
        attachment_hashes: list[str] | None = None,
    ) -> None:
        state = self.milestone(key)
        if state.status == "accepted":
            raise InvalidTransition(f"milestone {key!r} is already accepted", key=key)
        self._delivered(
            occurred_on=_day(occurred_on),
            key=key,
            description=terms.text(description, "description"),
            proof_links=terms.text_list(proof_links, "proof_links"),
            attachment_hashes=terms.hash_list(attachment_hashes, "attachment_hashes"),
        )

    @event("MilestoneDelivered")
    def _delivered(
        self, occurred_on: str, key: str, description: str, proof_links: list[str], attachment_hashes: list[str]
    ) -> None:
        state = self.milestones[key]
        state.status = "delivered"
        state.deliveries.append(
            {
                "on": occurred_on,
                "version": self.version + 1,
                "description": description,
                "proof_links": proof_links,
                "attachment_hashes": attachment_hashes,
            }
        )

    def accept_milestone(self, *, key: str, occurred_on: date, note: str | None = None) -> None:
        state = self.milestone(key)
        if state.status != "delivered":
            raise InvalidTransition(f"milestone {key!r} is {state.status}; only a delivered milestone can be accepted", key=key)
        day = _day(occurred_on)
        self.check_not_before(day, state.deliveries[-1]["on"], "the delivery")
        self._accepted(occurred_on=day, key=key, note=terms.optional_text(note, "note"))

    @event("MilestoneAccepted")
    def _accepted(self, occurred_on: str, key: str, note: str | None) -> None:
        state = self.milestones[key]
        state.status = "accepted"
        state.accepted_on = occurred_on

    def reject_milestone(self, *, key: str, occurred_on: date, reason: str) -> None:
        state = self.milestone(key)
        if state.status != "delivered":
            raise InvalidTransition(f"milestone {key!r} is {state.status}; only a delivered milestone can be rejected", key=key)
        day = _day(occurred_on)
        self.check_not_before(day, state.deliveries[-1]["on"], "the delivery")
        self._rejected(occurred_on=day, key=key, reason=terms.text(reason, "reason"))

    @event("MilestoneRejected")
    def _rejected(self, occurred_on: str, key: str, reason: str) -> None:
        state = self.milestones[key]
        state.status = "rejected"
        state.rejections.append({"on": occurred_on, "reason": reason})

    # -- invoices ---------------------------------------------------------------
    def invoice(self, number: str) -> InvoiceState:
        try:
            return self.invoices[number]
        except KeyError:
            raise InvoiceNotFound(f"no invoice {number!r} in this contract", number=number) from None

    def issue_invoice(
        self,
        *,
        number: str,
        occurred_on: date,
        milestone_keys: list[str] | None = None,
        lines: list[dict[str, Any]] | None = None,
        due_on: date | None = None,
    ) -> None:
        number = terms.identifier(number, "number")
        terms.check_count(milestone_keys, terms.MILESTONE_KEYS_MAX, "milestone_keys")
        if number in self.invoices:
            raise AlreadyExistsError(f"invoice {number!r} already exists", number=number)
        keys = list(milestone_keys or [])
        for key in keys:
            self.check_invoiceable(self.milestone(key))
        if len(set(keys)) != len(keys):
            raise ValidationError("milestone_keys has a duplicate", {"milestone_keys": ["duplicate key"]})
        priced = self.price_lines(lines or [])
        amount = sum(self.milestones[k].amount for k in keys) + sum(line["amount"] for line in priced)
        if amount <= 0:
            raise ValidationError("an invoice needs at least one milestone or line", {"milestone_keys": ["nothing to invoice"]})
        issued_on = _day(occurred_on)
        due = _day(due_on, "due_on") if due_on else dates.add_days(issued_on, self.payment_terms_days)
        self.check_not_before(due, issued_on, "the issue date", field="due_on")
        self.check_not_before(issued_on, self.signed_on, "the signing date")
        self._invoice_issued(
            occurred_on=issued_on, number=number, amount=amount, due_on=due, milestone_keys=keys, lines=priced
        )

    def check_invoiceable(self, state: MilestoneState) -> None:
        if state.invoice_number is not None:
            raise MilestoneNotInvoiceable(
                f"milestone {state.key!r} is already on invoice {state.invoice_number}", key=state.key
            )
        if state.due == "on_acceptance" and state.status != "accepted":
            raise MilestoneNotInvoiceable(
                f"milestone {state.key!r} is due on acceptance and is {state.status}", key=state.key
            )

    def price_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(lines) > terms.INVOICE_LINES_MAX:
            raise ValidationError(f"at most {terms.INVOICE_LINES_MAX} lines", {"lines": ["too many"]})
        return [
            {
                "description": terms.text(line.get("description"), f"lines[{i}].description", limit=terms.LINE_DESCRIPTION_MAX),
                "amount": Money.of(line.get("amount"), self.currency, field=f"lines[{i}].amount"),
            }
            for i, line in enumerate(lines)
        ]

    @event("InvoiceIssued")
    def _invoice_issued(
        self, occurred_on: str, number: str, amount: int, due_on: str, milestone_keys: list[str], lines: list[dict[str, Any]]
    ) -> None:
        invoice = self.invoices[number] = InvoiceState(
            number=number,
            amount=amount,
            issued_on=occurred_on,
            due_on=due_on,
            milestone_keys=milestone_keys,
            lines=lines,
            issued_version=self.version + 1,
            issued_hash="",  # the event's own hash, set by stamp()
        )
        self.unstamped.append(invoice)
        for key in milestone_keys:
            self.milestones[key].invoice_number = number
        self.statement_lines.append(
            StatementLine(occurred_on, self.version + 1, "invoice", number, f"Invoice {number}", amount, 0)
        )

    def open_invoice(self, number: str) -> InvoiceState:
        invoice = self.invoice(number)
        if invoice.voided_on is not None:
            raise InvoiceVoided(f"invoice {number} is voided", number=number)
        return invoice

    def void_invoice(self, *, number: str, occurred_on: date, reason: str) -> None:
        invoice = self.open_invoice(number)
        if invoice.reductions:
            raise InvalidTransition(
                f"invoice {number} has payments, credits or write-offs; issue a credit note instead", number=number
            )
        day = _day(occurred_on)
        self.check_not_before(day, invoice.issued_on, "the invoice date")
        self._invoice_voided(occurred_on=day, number=number, reason=terms.text(reason, "reason"))

    @event("InvoiceVoided")
    def _invoice_voided(self, occurred_on: str, number: str, reason: str) -> None:
        invoice = self.invoices[number]
        invoice.voided_on, invoice.void_reason = occurred_on, reason
        for key in invoice.milestone_keys:
            self.milestones[key].invoice_number = None
        self.statement_lines.append(
            StatementLine(occurred_on, self.version + 1, "void", number, f"Invoice {number} voided: {reason}", 0, invoice.amount)
        )

    def issue_credit_note(
        self, *, number: str, occurred_on: date, amount: Any, reason: str, credit_note_number: str | None = None
    ) -> None:
        invoice = self.open_invoice(number)
        value = Money.of(amount, self.currency)
        day = _day(occurred_on)
        self.check_not_before(day, invoice.issued_on, "the invoice date")
        self.check_fits(invoice, value, day)
        taken = {r["ref"] for i in self.invoices.values() for r in i.reductions if r["kind"] == "credit"}
        if credit_note_number is None:
            serial = 1 + sum(1 for r in invoice.reductions if r["kind"] == "credit")
            while f"CN-{number}-{serial}" in taken:
                serial += 1
            credit_note_number = f"CN-{number}-{serial}"
        elif terms.identifier(credit_note_number, "credit_note_number") in taken:
            raise AlreadyExistsError(f"credit note {credit_note_number!r} already exists", number=credit_note_number)
        self._credit_note_issued(
            occurred_on=day,
            number=number,
            credit_note_number=credit_note_number,
            amount=value,
            reason=terms.text(reason, "reason"),
        )

    @event("CreditNoteIssued")
    def _credit_note_issued(self, occurred_on: str, number: str, credit_note_number: str, amount: int, reason: str) -> None:
        self.invoices[number].reductions.append(
            {"kind": "credit", "ref": credit_note_number, "amount": amount, "on": occurred_on, "until": None}
        )
        self.statement_lines.append(
            StatementLine(
                occurred_on, self.version + 1, "credit_note", credit_note_number, f"Credit note on {number}: {reason}", 0, amount
            )
        )

    # -- payments ---------------------------------------------------------------
    def record_payment(
        self,
        *,
        payment_id: str,
        occurred_on: date,
        amount: Any,
        method: str | None = None,
        reference: str | None = None,
        allocations: dict[str, Any] | None = None,
    ) -> None:
        method = PAYMENT_METHOD_DEFAULT if method is None else method
        payment_id = terms.identifier(payment_id, "payment_id")
        terms.check_count(allocations, terms.INVOICE_NUMBERS_MAX, "allocations")
        if payment_id in self.payments:
            raise AlreadyExistsError(f"payment {payment_id!r} is already recorded", payment_id=payment_id)
        if method not in PAYMENT_METHODS:
            raise ValidationError(f"method must be one of {PAYMENT_METHODS}", {"method": ["invalid"]})
        value = Money.of(amount, self.currency)
        day = _day(occurred_on)
        split = self.allocate_given(allocations, value, day) if allocations else self.allocate_oldest_first(value, day)
        self._payment_received(
            occurred_on=day,
            payment_id=payment_id,
            amount=value,
            method=method,
            reference=terms.optional_text(reference, "reference", limit=terms.REFERENCE_MAX),
            allocations=split,
        )
        self.make_licence_perpetual_if_paid(day)

    def allocate_given(self, allocations: dict[str, Any], amount: int, day: str) -> dict[str, int]:
        split: dict[str, int] = {}
        for number, share in allocations.items():
            invoice = self.open_invoice(number)
            split[number] = Money.of(share, self.currency, field=f"allocations.{number}")
            self.check_not_before(day, invoice.issued_on, f"invoice {number}'s date")
            self.check_fits(invoice, split[number], day)
        if sum(split.values()) != amount:
            raise ValidationError(
                "allocations must add up to the payment amount", {"allocations": ["do not add up to the amount"]}
            )
        return split

    def allocate_oldest_first(self, amount: int, day: str) -> dict[str, int]:
        split: dict[str, int] = {}
        left = amount
        for invoice in self.open_invoices_oldest_first():
            if left == 0:
                break
            if invoice.issued_on > day:
                continue
            share = min(left, invoice.outstanding())
            if share > 0 and invoice.fits(share, day):
                split[invoice.number] = share
                left -= share
        if left:
            raise Overpayment(
                f"the payment exceeds what is outstanding on invoices issued by {day} by {left} minor units",
                excess=left,
            )
        return split

    def open_invoices_oldest_first(self) -> list[InvoiceState]:
        live = [i for i in self.invoices.values() if i.voided_on is None and i.outstanding() > 0]
        return sorted(live, key=lambda i: (i.due_on, i.issued_on, i.issued_version))

    @event("PaymentReceived")
    def _payment_received(
        self,
        occurred_on: str,
        payment_id: str,
        amount: int,
        method: str,
        reference: str | None,
        allocations: dict[str, int],
    ) -> None:
        self.payments[payment_id] = PaymentState(payment_id, amount, occurred_on, method, reference, dict(allocations))
        for number, share in allocations.items():
            self.invoices[number].reductions.append(
                {"kind": "payment", "ref": payment_id, "amount": share, "on": occurred_on, "until": None}
            )
        self.statement_lines.append(
            StatementLine(occurred_on, self.version + 1, "payment", payment_id, f"Payment ({method})", 0, amount)
        )

    def reverse_payment(self, *, payment_id: str, occurred_on: date, reason: str) -> None:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise PaymentNotFound(f"no payment {payment_id!r} in this contract", payment_id=payment_id)
        if payment.reversed_on is not None:
            raise InvalidTransition(f"payment {payment_id!r} is already reversed", payment_id=payment_id)
        day = _day(occurred_on)
        self.check_not_before(day, payment.value_date, "the payment's value date")
        self._payment_reversed(occurred_on=day, payment_id=payment_id, reason=terms.text(reason, "reason"))

    @event("PaymentReversed")
    def _payment_reversed(self, occurred_on: str, payment_id: str, reason: str) -> None:
        payment = self.payments[payment_id]
        payment.reversed_on, payment.reversal_reason = occurred_on, reason
        for number in payment.allocations:
            for reduction in self.invoices[number].reductions:
                if reduction["kind"] == "payment" and reduction["ref"] == payment_id:
                    reduction["until"] = occurred_on
        self.statement_lines.append(
            StatementLine(occurred_on, self.version + 1, "reversal", payment_id, f"Payment reversed: {reason}", payment.amount, 0)
        )

    # -- reminders, communications, promises --------------------------------------
    def record_reminder_sent(
        self,
        *,
        occurred_on: date,
        invoice_numbers: list[str],
        stage: str,
        channel: str,
        tracking_reference: str | None = None,
        document_hash: str | None = None,
    ) -> None:
        if stage not in STAGES:
            raise ValidationError(f"stage must be one of {STAGES}", {"stage": ["invalid"]})
        if channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {CHANNELS}", {"channel": ["invalid"]})
        if not invoice_numbers:
            raise ValidationError("a reminder names at least one invoice", {"invoice_numbers": ["required"]})
        terms.check_count(invoice_numbers, terms.INVOICE_NUMBERS_MAX, "invoice_numbers")
        day = _day(occurred_on)
        for number in invoice_numbers:
            invoice = self.open_invoice(number)
            self.check_not_before(day, invoice.issued_on, f"invoice {number}'s date")
            if invoice.outstanding(day) <= 0:
                raise InvoiceNotOpen(f"invoice {number} had nothing outstanding on {day}", number=number)
        self._reminder_sent(
            occurred_on=day,
            invoice_numbers=list(dict.fromkeys(invoice_numbers)),
            stage=stage,
            channel=channel,
            tracking_reference=terms.optional_text(tracking_reference, "tracking_reference", limit=terms.REFERENCE_MAX),
            document_hash=terms.sha256_hex(document_hash, "document_hash"),
        )

    @event("ReminderSent")
    def _reminder_sent(
        self,
        occurred_on: str,
        invoice_numbers: list[str],
        stage: str,
        channel: str,
        tracking_reference: str | None,
        document_hash: str | None,
    ) -> None:
        for number in invoice_numbers:
            reminder = {
                "on": occurred_on,
                "stage": stage,
                "channel": channel,
                "tracking_reference": tracking_reference,
                "version": self.version + 1,
                "fingerprint": "",  # the event's own hash, set by stamp()
            }
            self.invoices[number].reminders.append(reminder)
            self.unstamped.append(reminder)

    def log_communication(
        self,
        *,
        occurred_on: date,
        direction: str,
        channel: str,
        summary: str,
        counterpart: str | None = None,
        attachment_hashes: list[str] | None = None,
    ) -> None:
        if direction not in DIRECTIONS:
            raise ValidationError(f"direction must be one of {DIRECTIONS}", {"direction": ["invalid"]})
        if channel not in (*CHANNELS, "meeting", "chat"):
            raise ValidationError("channel is not one the ledger knows", {"channel": ["invalid"]})
        self._communication_logged(
            occurred_on=_day(occurred_on),
            direction=direction,
            channel=channel,
            summary=terms.text(summary, "summary"),
            counterpart=terms.optional_text(counterpart, "counterpart", limit=terms.NAME_MAX),
            attachment_hashes=terms.hash_list(attachment_hashes, "attachment_hashes"),
        )

    class CommunicationLogged(Event):
        """Schema history: v1 had no ``counterpart``; v2 added it (who was spoken to)."""

        class_version = 2
        direction: str
        channel: str
        summary: str
        counterpart: str | None
        attachment_hashes: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["counterpart"] = None

    @event(CommunicationLogged)
    def _communication_logged(
        self, occurred_on: str, direction: str, channel: str, summary: str, counterpart: str | None, attachment_hashes: list[str]
    ) -> None:
        self.communications.append(
            {
                "on": occurred_on,
                "version": self.version + 1,
                "direction": direction,
                "channel": channel,
                "summary": summary,
                "counterpart": counterpart,
                "attachment_hashes": attachment_hashes,
            }
        )

    def record_promise(
        self,
        *,
        occurred_on: date,
        amount: Any,
        promised_by: date,
        invoice_numbers: list[str] | None = None,
        note: str | None = None,
    ) -> None:
        terms.check_count(invoice_numbers, terms.INVOICE_NUMBERS_MAX, "invoice_numbers")
        value = Money.of(amount, self.currency)
        day, by = _day(occurred_on), _day(promised_by, "promised_by")
        self.check_not_before(by, day, "the date of the promise", field="promised_by")
        numbers = list(invoice_numbers or [])
        for number in numbers:
            self.open_invoice(number)
        if value > self.outstanding():
            raise Overpayment("the promise is for more than is outstanding", excess=value - self.outstanding())
        self._payment_promised(
            occurred_on=day, amount=value, promised_by=by, invoice_numbers=numbers, note=terms.optional_text(note, "note")
        )

    @event("PaymentPromised")
    def _payment_promised(
        self, occurred_on: str, amount: int, promised_by: str, invoice_numbers: list[str], note: str | None
    ) -> None:
        self.promises.append(
            {
                "on": occurred_on,
                "version": self.version + 1,
                "amount": amount,
                "promised_by": promised_by,
                "invoice_numbers": invoice_numbers,
                "note": note,
                "paid_before": self.paid_total(),
            }
        )

    # -- disputes and leverage ------------------------------------------------------
    def open_dispute(
        self, *, dispute_id: str, occurred_on: date, reason: str, invoice_numbers: list[str] | None = None
    ) -> None:
        dispute_id = terms.identifier(dispute_id, "dispute_id")
        if dispute_id in self.disputes:
            raise AlreadyExistsError(f"dispute {dispute_id!r} already exists", dispute_id=dispute_id)
        terms.check_count(invoice_numbers, terms.INVOICE_NUMBERS_MAX, "invoice_numbers")
        numbers = list(invoice_numbers or [])
        for number in numbers:
            self.invoice(number)
        self._dispute_opened(
            occurred_on=_day(occurred_on), dispute_id=dispute_id, invoice_numbers=numbers, reason=terms.text(reason, "reason")
        )

    @event("DisputeOpened")
    def _dispute_opened(self, occurred_on: str, dispute_id: str, invoice_numbers: list[str], reason: str) -> None:
        self.disputes[dispute_id] = DisputeState(dispute_id, occurred_on, invoice_numbers, reason)

    def resolve_dispute(self, *, dispute_id: str, occurred_on: date, outcome: str, note: str | None = None) -> None:
        dispute = self.disputes.get(dispute_id)
        if dispute is None:
            raise DisputeNotFound(f"no dispute {dispute_id!r} in this contract", dispute_id=dispute_id)
        if dispute.resolved_on is not None:
            raise InvalidTransition(f"dispute {dispute_id!r} is already resolved", dispute_id=dispute_id)
        if outcome not in DISPUTE_OUTCOMES:
            raise ValidationError(f"outcome must be one of {DISPUTE_OUTCOMES}", {"outcome": ["invalid"]})
        day = _day(occurred_on)
        self.check_not_before(day, dispute.opened_on, "the dispute's opening")
        self._dispute_resolved(
            occurred_on=day, dispute_id=dispute_id, outcome=outcome, note=terms.optional_text(note, "note")
        )

    @event("DisputeResolved")
    def _dispute_resolved(self, occurred_on: str, dispute_id: str, outcome: str, note: str | None) -> None:
        dispute = self.disputes[dispute_id]
        dispute.resolved_on, dispute.outcome = occurred_on, outcome

    def pause_work(self, *, occurred_on: date, reason: str) -> None:
        if self.is_work_paused():
            raise InvalidTransition("work is already paused")
        self._work_paused(occurred_on=_day(occurred_on), reason=terms.text(reason, "reason"))

    @event("WorkPaused")
    def _work_paused(self, occurred_on: str, reason: str) -> None:
        self.work_pauses.append({"paused_on": occurred_on, "reason": reason, "resumed_on": None})

    def resume_work(self, *, occurred_on: date, reason: str | None = None) -> None:
        if not self.is_work_paused():
            raise InvalidTransition("work is not paused")
        day = _day(occurred_on)
        self.check_not_before(day, self.work_pauses[-1]["paused_on"], "the pause")
        self._work_resumed(occurred_on=day, reason=terms.optional_text(reason, "reason"))

    @event("WorkResumed")
    def _work_resumed(self, occurred_on: str, reason: str | None) -> None:
        self.work_pauses[-1]["resumed_on"] = occurred_on

    def is_work_paused(self) -> bool:
        return bool(self.work_pauses) and self.work_pauses[-1]["resumed_on"] is None

    # -- licence ----------------------------------------------------------------
    def grant_licence(self, *, occurred_on: date, scope: str | None = None) -> None:
        if self.licence_terms["kind"] != "time_limited":
            raise InvalidTransition("the contract has no time-limited licence terms")
        if self.licence.granted_on is not None:
            raise InvalidTransition("the licence is already granted; extend it instead")
        day = _day(occurred_on)
        self._licence_granted(
            occurred_on=day,
            expires_on=dates.add_months(day, self.licence_terms["months"]),
            scope=terms.optional_text(scope, "scope"),
        )

    @event("LicenceGranted")
    def _licence_granted(self, occurred_on: str, expires_on: str, scope: str | None) -> None:
        self.licence.kind, self.licence.granted_on, self.licence.expires_on = "time_limited", occurred_on, expires_on

    def extend_licence(self, *, occurred_on: date, expires_on: date, reason: str) -> None:
        self.check_licence_time_limited()
        new_expiry = _day(expires_on, "expires_on")
        if new_expiry <= self.licence.latest_expiry():
            raise DateOutOfOrder("expires_on must be after the current expiry", field="expires_on")
        self._licence_extended(occurred_on=_day(occurred_on), expires_on=new_expiry, reason=terms.text(reason, "reason"))

    @event("LicenceExtended")
    def _licence_extended(self, occurred_on: str, expires_on: str, reason: str) -> None:
        self.licence.extensions.append({"on": occurred_on, "expires_on": expires_on, "reason": reason})

    def make_licence_perpetual(self, *, occurred_on: date, reason: str) -> None:
        self.check_licence_time_limited()
        self._licence_made_perpetual(occurred_on=_day(occurred_on), reason=terms.text(reason, "reason"))

    def check_licence_time_limited(self) -> None:
        if self.licence.granted_on is None:
            raise InvalidTransition("no licence has been granted")
        if self.licence.perpetual_on is not None:
            raise InvalidTransition("the licence is already perpetual")

    def make_licence_perpetual_if_paid(self, day: str) -> None:
        """The licence terms promise a perpetual licence on final payment: honour them in the same command."""
        if (
            self.licence_terms["perpetual_on_final_payment"]
            and self.licence.granted_on is not None
            and self.licence.perpetual_on is None
            and self.is_fully_paid()
        ):
            self._licence_made_perpetual(occurred_on=self.paid_in_full_since(day), reason="final payment received")

    def paid_in_full_since(self, day: str) -> str:
        """The first date from which nothing is owed (a back-dated final payment does not back-date the licence)."""
        dates_seen = [day, self.licence.granted_on or day]
        for invoice in self.invoices.values():
            dates_seen += [invoice.issued_on, *(r["on"] for r in invoice.reductions), *(r["until"] for r in invoice.reductions if r["until"])]
        return max(dates_seen)

    @event("LicenceMadePerpetual")
    def _licence_made_perpetual(self, occurred_on: str, reason: str) -> None:
        self.licence.kind, self.licence.perpetual_on = "perpetual", occurred_on

    # -- escrow -----------------------------------------------------------------
    def fund_escrow(
        self, *, occurred_on: date, reference: str, amount: Any, provider: str, milestone_key: str | None = None
    ) -> None:
        if milestone_key is not None:
            self.milestone(milestone_key)
        reference = terms.text(reference, "reference", limit=terms.REFERENCE_MAX)
        if any(e["reference"] == reference for e in self.escrow):
            raise AlreadyExistsError(f"escrow {reference!r} already funded", reference=reference)
        self._escrow_funded(
            occurred_on=_day(occurred_on),
            reference=reference,
            amount=Money.of(amount, self.currency),
            provider=terms.text(provider, "provider", limit=terms.NAME_MAX),
            milestone_key=milestone_key,
        )

    @event("EscrowFunded")
    def _escrow_funded(self, occurred_on: str, reference: str, amount: int, provider: str, milestone_key: str | None) -> None:
        self.escrow.append(
            {"reference": reference, "funded_on": occurred_on, "amount": amount, "provider": provider,
             "milestone_key": milestone_key, "released": 0, "releases": []}
        )

    def release_escrow(self, *, occurred_on: date, reference: str, amount: Any) -> None:
        found = [e for e in self.escrow if e["reference"] == reference]
        if not found:
            raise InvalidTransition(f"no escrow {reference!r} has been funded", reference=reference)
        value = Money.of(amount, self.currency)
        if value > found[0]["amount"] - found[0]["released"]:
            raise Overpayment("the release is more than the escrow holds", reference=reference)
        day = _day(occurred_on)
        self.check_not_before(day, found[0]["funded_on"], "the funding")
        self._escrow_released(occurred_on=day, reference=reference, amount=value)

    @event("EscrowReleased")
    def _escrow_released(self, occurred_on: str, reference: str, amount: int) -> None:
        for entry in self.escrow:
            if entry["reference"] == reference:
                entry["released"] += amount
                entry["releases"].append({"on": occurred_on, "amount": amount})

    # -- the end of the road --------------------------------------------------------
    def file_claim(self, *, occurred_on: date, court: str, claim_reference: str, amount_claimed: Any) -> None:
        if self.outstanding() <= 0:
            raise InvalidTransition("nothing is outstanding to claim")
        self._claim_filed(
            occurred_on=_day(occurred_on),
            court=terms.text(court, "court", limit=terms.NAME_MAX),
            claim_reference=terms.text(claim_reference, "claim_reference", limit=terms.CONTRACT_REFERENCE_MAX),
            amount_claimed=Money.of(amount_claimed, self.currency, field="amount_claimed"),
        )

    @event("ClaimFiled")
    def _claim_filed(self, occurred_on: str, court: str, claim_reference: str, amount_claimed: int) -> None:
        self.claims.append(
            {"on": occurred_on, "court": court, "claim_reference": claim_reference, "amount_claimed": amount_claimed,
             "judgment": None}
        )

    def record_judgment(
        self, *, occurred_on: date, claim_reference: str, outcome: str, amount_awarded: Any = None, note: str | None = None
    ) -> None:
        claim = next((c for c in self.claims if c["claim_reference"] == claim_reference), None)
        if claim is None:
            raise InvalidTransition(f"no claim {claim_reference!r} has been filed", claim_reference=claim_reference)
        if claim["judgment"] is not None:
            raise InvalidTransition(f"claim {claim_reference!r} already has a judgment", claim_reference=claim_reference)
        if outcome not in JUDGMENT_OUTCOMES:
            raise ValidationError(f"outcome must be one of {JUDGMENT_OUTCOMES}", {"outcome": ["invalid"]})
        awarded = Money.of(amount_awarded, self.currency, field="amount_awarded", allow_zero=True) if amount_awarded else 0
        day = _day(occurred_on)
        self.check_not_before(day, claim["on"], "the claim")
        self._judgment_recorded(
            occurred_on=day, claim_reference=claim_reference, outcome=outcome, amount_awarded=awarded,
            note=terms.optional_text(note, "note"),
        )

    @event("JudgmentRecorded")
    def _judgment_recorded(self, occurred_on: str, claim_reference: str, outcome: str, amount_awarded: int, note: str | None) -> None:
        for claim in self.claims:
            if claim["claim_reference"] == claim_reference:
                claim["judgment"] = {"on": occurred_on, "outcome": outcome, "amount_awarded": amount_awarded, "note": note}

    def write_off_debt(self, *, occurred_on: date, amount: Any, reason: str) -> None:
        value = Money.of(amount, self.currency)
        day = _day(occurred_on)
        split: dict[str, int] = {}
        left = value
        for invoice in self.open_invoices_oldest_first():
            share = min(left, invoice.outstanding())
            if share and invoice.issued_on <= day and invoice.fits(share, day):
                split[invoice.number], left = share, left - share
        if left:
            raise Overpayment("the write-off is more than is outstanding", excess=left)
        self._debt_written_off(occurred_on=day, amount=value, reason=terms.text(reason, "reason"), allocations=split)

    @event("DebtWrittenOff")
    def _debt_written_off(self, occurred_on: str, amount: int, reason: str, allocations: dict[str, int]) -> None:
        for number, share in allocations.items():
            self.invoices[number].reductions.append(
                {"kind": "write_off", "ref": f"v{self.version + 1}", "amount": share, "on": occurred_on, "until": None}
            )
        self.write_offs.append({"on": occurred_on, "amount": amount, "reason": reason, "allocations": allocations})
        self.statement_lines.append(
            StatementLine(occurred_on, self.version + 1, "write_off", f"v{self.version + 1}", f"Written off: {reason}", 0, amount)
        )

    def close(self, *, occurred_on: date, reason: str) -> None:
        day = _day(occurred_on)
        self.check_not_before(day, self.signed_on, "the signing date")
        if self.statement_lines:
            self.check_not_before(day, max(line.on for line in self.statement_lines), "the last entry on the statement")
        if self.outstanding() > 0 or self.outstanding(day) > 0:
            raise OutstandingBalance(
                f"{self.outstanding()} minor units are still outstanding; record payment or write it off first"
            )
        self._closed(occurred_on=day, reason=terms.text(reason, "reason"))

    @event("ContractClosed")
    def _closed(self, occurred_on: str, reason: str) -> None:
        self.closed_on, self.close_reason = occurred_on, reason

    # -- guards shared by commands --------------------------------------------------------
    def check_not_before(self, day: str, earliest: str, what: str, field: str = "occurred_on") -> None:
        if day < earliest:
            raise DateOutOfOrder(f"{field} {day} is before {what} ({earliest})", field=field)

    def check_fits(self, invoice: InvoiceState, amount: int, day: str) -> None:
        if invoice.outstanding() <= 0:
            raise InvoiceNotOpen(f"invoice {invoice.number} has nothing outstanding", number=invoice.number)
        if not invoice.fits(amount, day):
            raise Overpayment(
                f"{amount} minor units exceed what is outstanding on invoice {invoice.number}", number=invoice.number
            )

    # -- derived figures (as of a date; None means everything recorded) ----------------------
    def invoiced(self, as_of: str | None = None) -> int:
        return sum(i.amount for i in self.invoices.values() if i.is_issued(as_of) and not i.is_voided(as_of))

    def reduced(self, kind: str, as_of: str | None = None) -> int:
        return sum(i.reduced(as_of, kind) for i in self.invoices.values() if not i.is_voided(as_of))

    def paid_total(self, as_of: str | None = None) -> int:
        return self.reduced("payment", as_of)

    def outstanding(self, as_of: str | None = None) -> int:
        return sum(i.outstanding(as_of) for i in self.invoices.values())

    def overdue(self, as_of: str) -> int:
        return sum(i.outstanding(as_of) for i in self.invoices.values() if i.due_on < as_of)

    def is_fully_paid(self) -> bool:
        """Every milestone invoiced and every invoice cleared by payments or credit notes (a write-off is not payment)."""
        all_invoiced = all(m.invoice_number is not None for m in self.milestones.values())
        return all_invoiced and self.outstanding() == 0 and self.invoiced() > 0 and self.reduced("write_off") == 0

    def milestone_invoiced(self, key: str, as_of: str) -> bool:
        return any(
            key in i.milestone_keys and i.is_issued(as_of) and not i.is_voided(as_of) for i in self.invoices.values()
        )

    def open_disputes(self, as_of: str) -> list[DisputeState]:
        return [d for d in self.disputes.values() if d.opened_on <= as_of and (d.resolved_on is None or d.resolved_on > as_of)]

    def status(self, as_of: str) -> str:
        if self.closed_on is not None and self.closed_on <= as_of:
            return "closed"
        if any(c["on"] <= as_of and (c["judgment"] is None or c["judgment"]["on"] > as_of) for c in self.claims):
            return "in_claim"
        if self.open_disputes(as_of):
            return "in_dispute"
        if any(p["paused_on"] <= as_of and (p["resumed_on"] is None or p["resumed_on"] > as_of) for p in self.work_pauses):
            return "work_paused"
        if self.overdue(as_of) > 0:
            return "overdue"
        if self.outstanding(as_of) > 0:
            return "awaiting_payment"
        if all(self.milestone_invoiced(key, as_of) for key in self.milestones) and self.invoiced(as_of) > 0:
            return "settled"
        return "active"

    def payment_allocations(self, as_of: str | None = None) -> list[dict[str, Any]]:
        return [
            {"payment_id": p.payment_id, "invoice_number": number, "amount": share, "value_date": p.value_date}
            for p in self.payments.values()
            if (as_of is None or p.value_date <= as_of) and not (p.reversed_on and (as_of is None or p.reversed_on <= as_of))
            for number, share in p.allocations.items()
        ]

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"hash": self.chain_head, "version": self.version}


def payload_of(fields: dict[str, Any], class_version: int) -> dict[str, Any]:
    """The hashed payload: the event's own fields, and its schema version when above 1 (as the store keeps it)."""
    payload = {k: v for k, v in fields.items() if k not in ENVELOPE}
    if class_version > 1:
        payload["class_version"] = class_version
    return payload


def _link(event_class: Any, contract_id: str, version: int, kwargs: dict[str, Any], timestamp: Any, prev: str) -> str:
    payload = payload_of(kwargs, getattr(event_class, "class_version", 1))
    return event_hash(
        contract_id=contract_id,
        version=version,
        event_type=event_class.__name__,
        payload=payload,
        occurred_on=kwargs["occurred_on"],
        recorded_at=format_recorded_at(timestamp),
        prev_hash=prev,
    )
