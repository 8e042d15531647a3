"""The one call each adapter makes (CLI, HTTP, demo): export a bundle, or compute the claim."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from uuid import UUID

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from evidence.bundle import Bundle, build_bundle
from ledger.claim import Claim, statement_of_claim
from ledger.rates import load_rate_tables, read_table_texts


def export_bundle(app: LedgerApplication, account_id: str, contract_id: UUID | str, *, as_of: date,
                  generated_at: datetime, rates_dir: str | Path | None = None,
                  attachments: AttachmentStore | None = None, strict: bool = False) -> Bundle:
    """Build the ZIP for one contract of the account (ContractNotFound for anyone else's)."""
    records = app.event_records(account_id, contract_id)

    def fetch(digests: list[str]) -> dict[str, bytes | None]:
        return attachments.get_many(account_id, digests) if attachments else dict.fromkeys(digests)

    return build_bundle(records, as_of=as_of.isoformat(), generated_at=generated_at,
                        rate_texts=read_table_texts(rates_dir), fetch_attachments=fetch, strict=strict)


def claim_as_of(app: LedgerApplication, account_id: str, contract_id: UUID | str, *, as_of: date,
                rates_dir: str | Path | None = None, strict: bool = False) -> Claim:
    """The statement of claim (principal + interest + fixed compensation) with its working, for one contract."""
    contract = app.get_contract(account_id, contract_id)
    return statement_of_claim(contract, as_of.isoformat(), load_rate_tables(rates_dir, strict=strict))
