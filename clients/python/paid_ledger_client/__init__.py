"""A typed Python client for the paid ledger HTTP API (standard library only).

    from paid_ledger_client import LedgerClient, verify_signature

    ledger = LedgerClient("https://ledger.example", api_key)
    summary = ledger.sign_contract(terms)                     # Idempotency-Key generated, reused on retry
    ledger.record_payment(summary["id"], payment, if_match=summary["version"])
    for page in ledger.follow_events(after=saved_cursor):     # the account's event feed, long-polled
        ...

Errors are typed exceptions chosen by the problem's ``code`` (see ``errors``).
"""

from paid_ledger_client.client import OPERATIONS, LedgerClient
from paid_ledger_client.errors import LedgerApiError
from paid_ledger_client.signature import InvalidSignature, verify_signature

__all__ = ["OPERATIONS", "InvalidSignature", "LedgerApiError", "LedgerClient", "verify_signature"]
