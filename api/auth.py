"""Bearer API keys: every route of a protected blueprint needs one; the account is ``g.account_id``.

A missing or unknown key is 401. A valid key of another account never sees
this account's contracts: the application answers "not found" (404), so a
contract's existence is never revealed across accounts.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from api.edge import ledger
from api.errors import Problem
from api.summaries import ENDPOINT as SUMMARY_ENDPOINT

SECURITY_SCHEME = "bearerAuth"
# Routes that need the contract's current version: the key's statement reads it too (one round trip).
READS_HEAD = frozenset({SUMMARY_ENDPOINT})


def bearer_token() -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def authenticate_request() -> None:
    """A valid, unrevoked key (checked in the store on every request: no cache outlives a revocation), within its
    limit. A key this worker has seen costs one statement (see application.accounts.admit)."""
    key, config = bearer_token(), current_app.config
    about = (request.view_args or {}).get("contract_id") if request.endpoint in READS_HEAD else None
    admission = ledger().admit(key, config["RATE_LIMIT"], config["RATE_WINDOW_SECONDS"], about) if key else None
    record = admission.record if admission is not None else None
    if admission is None or record is None:
        raise Problem(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>",
                      headers={"WWW-Authenticate": 'Bearer realm="ledger"'})
    g.account_id = record.account_id
    g.heads = admission.heads


def protect(blueprint: Blueprint) -> Blueprint:
    """Require a valid key on every route of ``blueprint`` (and mark them secured in the OpenAPI document)."""
    blueprint.before_request(authenticate_request)
    blueprint.protected = True  # type: ignore[attr-defined]  # read by api.openapi
    return blueprint
