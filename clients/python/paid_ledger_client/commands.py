"""One method per contract command (``POST /v1/contracts/{contract_id}/...``), from one table.

Each takes the contract id, the identifiers its URL carries, and the body (the
same payload as a Kafka command message); ``if_match`` makes it conditional on
the contract's version, ``idempotency_key`` lets a caller choose the key (one
is generated otherwise, and reused on every retry). Each answers the contract
summary as recorded by the command.
"""

from __future__ import annotations

from typing import Any

from paid_ledger_client.types import Json

# command -> path under /v1/contracts/{contract_id}
COMMANDS: dict[str, str] = {
    "amend_contract": "/amendments",
    "deliver_milestone": "/milestones/{key}/delivery",
    "accept_milestone": "/milestones/{key}/acceptance",
    "reject_milestone": "/milestones/{key}/rejection",
    "issue_invoice": "/invoices",
    "void_invoice": "/invoices/{number}/void",
    "issue_credit_note": "/invoices/{number}/credit-notes",
    "record_payment": "/payments",
    "reverse_payment": "/payments/{payment_id}/reversal",
    "record_reminder_sent": "/reminders",
    "log_communication": "/communications",
    "record_promise": "/promises",
    "open_dispute": "/disputes",
    "resolve_dispute": "/disputes/{dispute_id}/resolution",
    "pause_work": "/work-pauses",
    "resume_work": "/work-resumptions",
    "grant_licence": "/licence/grant",
    "extend_licence": "/licence/extension",
    "make_licence_perpetual": "/licence/perpetual",
    "fund_escrow": "/escrow/fundings",
    "release_escrow": "/escrow/releases",
    "file_claim": "/claims",
    "record_judgment": "/judgments",
    "write_off_debt": "/write-offs",
    "close_contract": "/closure",
}
COMMAND_OPERATIONS = {name: ("POST", "/v1/contracts/{contract_id}" + path) for name, path in COMMANDS.items()}


class Commands:
    def command(
        self,
        name: str,
        contract_id: str,
        body: Json,
        *,
        if_match: int | None = None,
        idempotency_key: str | None = None,
        **path: str,
    ) -> Json:
        raise NotImplementedError  # LedgerClient sends it

    def amend_contract(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("amend_contract", contract_id, body, **options)

    def deliver_milestone(self, contract_id: str, key: str, body: Json, **options: Any) -> Json:
        return self.command("deliver_milestone", contract_id, body, key=key, **options)

    def accept_milestone(self, contract_id: str, key: str, body: Json, **options: Any) -> Json:
        return self.command("accept_milestone", contract_id, body, key=key, **options)

    def reject_milestone(self, contract_id: str, key: str, body: Json, **options: Any) -> Json:
        return self.command("reject_milestone", contract_id, body, key=key, **options)

    def issue_invoice(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("issue_invoice", contract_id, body, **options)

    def void_invoice(self, contract_id: str, number: str, body: Json, **options: Any) -> Json:
        return self.command("void_invoice", contract_id, body, number=number, **options)

    def issue_credit_note(self, contract_id: str, number: str, body: Json, **options: Any) -> Json:
        return self.command("issue_credit_note", contract_id, body, number=number, **options)

    def record_payment(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("record_payment", contract_id, body, **options)

    def reverse_payment(self, contract_id: str, payment_id: str, body: Json, **options: Any) -> Json:
        return self.command("reverse_payment", contract_id, body, payment_id=payment_id, **options)

    def record_reminder_sent(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("record_reminder_sent", contract_id, body, **options)

    def log_communication(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("log_communication", contract_id, body, **options)

    def record_promise(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("record_promise", contract_id, body, **options)

    def open_dispute(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("open_dispute", contract_id, body, **options)

    def resolve_dispute(self, contract_id: str, dispute_id: str, body: Json, **options: Any) -> Json:
        return self.command("resolve_dispute", contract_id, body, dispute_id=dispute_id, **options)

    def pause_work(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("pause_work", contract_id, body, **options)

    def resume_work(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("resume_work", contract_id, body, **options)

    def grant_licence(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("grant_licence", contract_id, body, **options)

    def extend_licence(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("extend_licence", contract_id, body, **options)

    def make_licence_perpetual(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("make_licence_perpetual", contract_id, body, **options)

    def fund_escrow(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("fund_escrow", contract_id, body, **options)

    def release_escrow(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("release_escrow", contract_id, body, **options)

    def file_claim(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("file_claim", contract_id, body, **options)

    def record_judgment(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("record_judgment", contract_id, body, **options)

    def write_off_debt(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("write_off_debt", contract_id, body, **options)

    def close_contract(self, contract_id: str, body: Json, **options: Any) -> Json:
        return self.command("close_contract", contract_id, body, **options)
