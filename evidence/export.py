"""The one call each adapter makes (CLI, HTTP, demo): export a bundle, compute the claim, or the filing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from uuid import UUID

from application.service import LedgerApplication
from evidence.anchors import AnchorStore, Tsa, anchor_head, bundle_files
from evidence.attachments import AttachmentStore
from evidence.bundle import Bundle, build_bundle
from ledger.chain import ChainRecord
from ledger.claim import Claim, statement_of_claim
from ledger.filing import Filing, filing_for
from ledger.rates import load_rate_tables, read_table_texts


def export_bundle(app: LedgerApplication, account_id: str, contract_id: UUID | str, *, as_of: date,
                  generated_at: datetime, rates_dir: str | Path | None = None,
                  attachments: AttachmentStore | None = None, strict: bool = False, tsa: Tsa | None = None) -> Bundle:
    """Build the ZIP for one contract of the account (ContractNotFound for anyone else's). With a TSA, the current
    head is timestamped first, and every token kept for the contract goes into the bundle."""
    records = app.event_records(account_id, contract_id)
    anchor_files = export_anchors(app, account_id, records, tsa) if tsa else {}

    def fetch(digests: list[str]) -> dict[str, bytes | None]:
        return attachments.get_many(account_id, digests) if attachments else dict.fromkeys(digests)

    return build_bundle(records, as_of=as_of.isoformat(), generated_at=generated_at,
                        rate_texts=read_table_texts(rates_dir), fetch_attachments=fetch, strict=strict,
                        anchor_files=anchor_files)


def export_anchors(app: LedgerApplication, account_id: str, records: list[ChainRecord], tsa: Tsa) -> dict[str, bytes]:
    store = AnchorStore(app.store)
    try:
        anchor_head(store, tsa, account_id, records)
        return bundle_files(store.of_contract(account_id, records[0].contract_id) if records else [], tsa)
    finally:
        store.close()


def claim_as_of(app: LedgerApplication, account_id: str, contract_id: UUID | str, *, as_of: date,
                rates_dir: str | Path | None = None, strict: bool = False) -> Claim:
    """The statement of claim (principal + interest + fixed compensation) with its working, for one contract."""
    contract = app.get_contract(account_id, contract_id)
    return statement_of_claim(contract, as_of.isoformat(), load_rate_tables(rates_dir, strict=strict))


def filing_as_of(app: LedgerApplication, account_id: str, contract_id: UUID | str, *, as_of: date,
                 rates_dir: str | Path | None = None, strict: bool = False) -> Filing:
    """What an online money claim asks for (parties, amount, interest, court fee, particulars), for one contract."""
    contract = app.get_contract(account_id, contract_id)
    tables = load_rate_tables(rates_dir, strict=strict)
    return filing_for(contract, statement_of_claim(contract, as_of.isoformat(), tables))
