"""The letter before action as a PDF, the same one the evidence bundle carries, dated the day it is to be posted."""

from __future__ import annotations

from application.service import LedgerApplication
from evidence.content import build_content
from evidence.letter import build_letter_pdf
from ledger.rates import RateTables


def letter_pdf(app: LedgerApplication, account_id: str, contract_id: str, day: str, tables: RateTables) -> bytes:
    contract = app.get_contract(account_id, contract_id)
    records = app.event_records(account_id, contract_id)
    return build_letter_pdf(build_content(contract, records, day, tables, {}))
