"""``POST /v1/contracts/{id}/...``: one route per command, built from one table.

Each route loads its command schema (the same one the Kafka consumer uses)
from the body plus the identifiers in the URL, makes one application call, and
answers 201 with the summary as recorded. ``If-Match`` makes it conditional.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Blueprint, Response

from api.auth import protect
from api.edge import account_id, expected_version, idempotency_key, json_body, ledger, load_command
from api.openapi import operation
from api.results import command_response, recorded_summary
from ledger.commands import ContractCommand
from schemas.commands import COMMAND_SCHEMAS
from schemas.responses import SummaryOut

# command -> (path under the contract, summary). Path segments in <> come from the URL.
ROUTES: dict[str, tuple[str, str]] = {
    "amend_contract": ("/amendments", "Amend the contract (change order)"),
    "deliver_milestone": ("/milestones/<key>/delivery", "Record a milestone's delivery"),
    "accept_milestone": ("/milestones/<key>/acceptance", "Record the client's acceptance of a milestone"),
    "reject_milestone": ("/milestones/<key>/rejection", "Record the client's rejection of a milestone"),
    "issue_invoice": ("/invoices", "Issue an invoice"),
    "void_invoice": ("/invoices/<number>/void", "Void an invoice"),
    "issue_credit_note": ("/invoices/<number>/credit-notes", "Issue a credit note on an invoice"),
    "record_payment": ("/payments", "Record a payment received"),
    "reverse_payment": ("/payments/<payment_id>/reversal", "Reverse a payment (bounce, chargeback)"),
    "record_reminder_sent": ("/reminders", "Record a reminder sent"),
    "log_communication": ("/communications", "Log a communication"),
    "record_promise": ("/promises", "Record a promise to pay"),
    "open_dispute": ("/disputes", "Open a dispute"),
    "resolve_dispute": ("/disputes/<dispute_id>/resolution", "Resolve a dispute"),
    "pause_work": ("/work-pauses", "Pause work until arrears are paid"),
    "resume_work": ("/work-resumptions", "Resume work"),
    "grant_licence": ("/licence/grant", "Grant the time-limited licence"),
    "extend_licence": ("/licence/extension", "Extend the licence"),
    "make_licence_perpetual": ("/licence/perpetual", "Make the licence perpetual"),
    "fund_escrow": ("/escrow/fundings", "Record an escrow funding"),
    "release_escrow": ("/escrow/releases", "Record an escrow release"),
    "file_claim": ("/claims", "Record a claim filed in court"),
    "record_judgment": ("/judgments", "Record a judgment"),
    "write_off_debt": ("/write-offs", "Write off debt"),
    "close_contract": ("/closure", "Close the contract"),
}
PATH_FIELD = re.compile(r"<([a-z_]+)>")
TAG = "commands"

blueprint = protect(Blueprint("commands", __name__, url_prefix="/v1/contracts/<uuid:contract_id>"))


def path_fields(command: str) -> tuple[str, ...]:
    return tuple(PATH_FIELD.findall(ROUTES[command][0]))


def command_view(command: str) -> Callable[..., Response]:
    schema = COMMAND_SCHEMAS[command]()  # built once per route: a schema instance is reusable across threads

    def view(contract_id: UUID, **path: str) -> Response:
        body, key, version = json_body(), idempotency_key(), expected_version()
        loaded: ContractCommand = load_command(schema, body, path)
        with ledger().holding(contract_id):  # the answer is the contract this write left, before the next write
            result = ledger().execute(account_id(), contract_id, loaded, idempotency_key=key, expected_version=version)
            summary = recorded_summary(result)
        return command_response(result, summary)

    view.__name__ = command
    return view


def document(command: str, view: Callable[..., Response]) -> Callable[..., Response]:
    schema_class, fields_in_path = COMMAND_SCHEMAS[command], path_fields(command)
    name = "".join(part.title() for part in command.split("_"))
    details: dict[str, Any] = {
        "body": schema_class(exclude=fields_in_path) if fields_in_path else schema_class,
        "body_name": f"{name}Body" if fields_in_path else "",
        "path": {field: schema_class().fields[field] for field in fields_in_path},
        "response": SummaryOut,
        "status": 201,
        "if_match": True,
        "description": f"Command `{command}` (the same payload as a Kafka message of type `{command}`).",
    }
    return operation(ROUTES[command][1], TAG, **details)(view)


for _command, (_path, _summary) in ROUTES.items():
    blueprint.add_url_rule(_path, endpoint=_command, view_func=document(_command, command_view(_command)),
                           methods=["POST"])
