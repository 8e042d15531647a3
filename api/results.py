"""The answer to a write: the contract summary as recorded by that write.

The summary is rendered from the contract at the version the command produced,
as of the date it was recorded. Both are in the core's idempotency record, so a
replay of the same Idempotency-Key renders exactly the same bytes as the first
answer, even after later commands changed the contract.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Response

from api.edge import account_id, etag, ledger, respond
from api.metrics import count_events
from api.positions import token
from application.idempotency import CommandResult
from ledger.contract import Contract
from ledger.views import contract_summary
from schemas.responses import SummaryOut

SUMMARY = SummaryOut()  # built once: a schema instance is reusable and thread-safe for dump


def recorded_summary(result: CommandResult) -> dict[str, Any]:
    # no reload: the write made it (rendered under the contract's lock, as the next write changes it in place)
    summary: dict[str, Any] = ledger().render_written(account_id(), result.contract_id, result.version, summary_of)
    return summary


def summary_of(contract: Contract) -> dict[str, Any]:
    recorded_on = contract.modified_on.astimezone(UTC).date().isoformat()
    summary: dict[str, Any] = SUMMARY.dump(contract_summary(contract, recorded_on))
    return summary


def command_response(result: CommandResult, summary: dict[str, Any] | None = None) -> Response:
    if summary is None:
        summary = recorded_summary(result)
    headers = {"Location": f"/v1/contracts/{result.contract_id}", "ETag": etag(result.version),
               # at least this write's log position: pass it as min_position to read it back from the read models
               "X-Ledger-Position": token(ledger().recorder.max_notification_id() or 0)}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    else:
        count_events(result.events)
    return respond(summary, 201, headers)
