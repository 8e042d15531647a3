"""What the bundle says, as plain data: statement, chronology, interest working, documents.

Everything here is computed from the contract rebuilt from the chain records,
so the exporter and the offline verifier produce the same rows. The CSV texts
are deterministic (fixed column order, ``\\n`` line ends), which lets the
verifier compare them byte for byte.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from evidence.describe import describe
from ledger.chain import ChainRecord
from ledger.claim import Claim, statement_of_claim
from ledger.contract import Contract
from ledger.filing import PARTICULARS_LIMIT, filing_for
from ledger.money import CURRENCIES
from ledger.rates import RateTables
from ledger.state import statement_rows

STATEMENT_COLUMNS = ["date", "version", "kind", "reference", "description", "debit", "credit", "balance", "currency"]
CHRONOLOGY_COLUMNS = ["exhibit", "occurred_on", "recorded_at", "version", "event", "description", "documents", "hash"]
MICRO = Decimal("0.000001")  # interest_exact is shown to a millionth of a minor unit
INTEREST_COLUMNS = ["invoice", "due_on", "period_start", "period_end", "days", "principal", "rate_percent",
                    "interest_exact", "source"]


def major(amount: int, currency: str) -> str:
    """Minor units as an exact decimal string for spreadsheets: 400000 GBP -> ``4000.00``."""
    exponent = CURRENCIES.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}" + (f".{frac:0{exponent}d}" if exponent else "")


@dataclass(frozen=True)
class Document:
    """A file an event refers to by SHA-256, numbered as an exhibit in order of first mention."""

    exhibit: str
    sha256: str
    versions: tuple[int, ...]
    content: bytes | None  # None when the attachment store does not hold it

    @property
    def path(self) -> str:
        return f"attachments/{self.sha256}"


@dataclass(frozen=True)
class BundleContent:
    contract: Contract
    records: list[ChainRecord]
    as_of: str
    claim: Claim
    statement: list[dict[str, Any]]
    chronology: list[dict[str, Any]]
    documents: list[Document]

    @property
    def currency(self) -> str:
        return self.contract.currency

    @cached_property
    def exhibit_of(self) -> dict[str, str]:
        """Document SHA-256 -> its exhibit name ``D-n``."""
        return {d.sha256: d.exhibit for d in self.documents}


def referenced_hashes(record: ChainRecord) -> list[str]:
    payload = record.payload
    found = list(payload.get("attachment_hashes") or [])
    if payload.get("document_hash"):
        found.append(payload["document_hash"])
    return found


def document_index(records: list[ChainRecord]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for record in records:
        for digest in referenced_hashes(record):
            versions = index.setdefault(digest, [])
            if record.version not in versions:
                versions.append(record.version)
    return index


def build_content(
    contract: Contract, records: list[ChainRecord], as_of: str, tables: RateTables,
    attachments: dict[str, bytes | None],
) -> BundleContent:
    index = document_index(records)
    documents = [Document(f"D-{n}", digest, tuple(versions), attachments.get(digest))
                 for n, (digest, versions) in enumerate(index.items(), start=1)]
    exhibit_of = {d.sha256: d.exhibit for d in documents}
    return BundleContent(
        contract=contract, records=records, as_of=as_of,
        claim=statement_of_claim(contract, as_of, tables),
        statement=statement_rows(contract.statement_lines, as_of),
        chronology=chronology_rows([r for r in records if r.occurred_on <= as_of], contract.currency, exhibit_of),
        documents=documents,
    )


def chronology_rows(records: list[ChainRecord], currency: str, exhibit_of: dict[str, str]) -> list[dict[str, Any]]:
    """The events given (those dated up to the as-of date) in date order (ties in record order), each an exhibit
    E-<version> = line of events.jsonl."""
    rows = []
    for record in sorted(records, key=lambda r: (r.occurred_on, r.version)):
        rows.append({
            "exhibit": f"E-{record.version}",
            "occurred_on": record.occurred_on,
            "recorded_at": record.recorded_at,
            "version": record.version,
            "event": record.event_type,
            "description": describe(record, currency),
            "documents": " ".join(exhibit_of[h] for h in referenced_hashes(record)),
            "hash": record.hash,
        })
    return rows


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def statement_csv(content: BundleContent) -> str:
    cur = content.currency
    return csv_text(STATEMENT_COLUMNS, [
        [r["date"], r["version"], r["kind"], r["reference"], r["description"], major(r["debit"], cur),
         major(r["credit"], cur), major(r["balance"], cur), cur]
        for r in content.statement
    ])


def chronology_csv(content: BundleContent) -> str:
    return csv_text(CHRONOLOGY_COLUMNS, [[r[c] for c in CHRONOLOGY_COLUMNS] for r in content.chronology])


def interest_csv(content: BundleContent) -> str:
    cur = content.currency
    return csv_text(INTEREST_COLUMNS, [
        [i.number, i.due_on, p.start, p.end, p.days, major(p.principal, cur), str(p.rate_percent),
         str(p.interest.quantize(MICRO)), p.source]
        for i in content.claim.invoices for p in i.periods
    ])


def particulars_text(content: BundleContent) -> str:
    """particulars-of-claim.txt: the particulars as they fit the online form, then the full statement."""
    filing = filing_for(content.contract, content.claim)
    return (f"Particulars of claim as of {content.as_of} ({len(filing.particulars)} of {PARTICULARS_LIMIT} "
            f"characters):\n\n{filing.particulars}\n\nFull statement of claim:\n\n{filing.statement}\n")


def document_stamp(content: BundleContent) -> str:
    """What each PDF states in its keywords, so a checker that cannot rebuild it can still tell it belongs here."""
    claim = content.claim
    head = content.records[-1].hash if content.records else ""
    return f"paid-ledger chain_head={head} as_of={content.as_of} total={claim.total} {claim.currency}"


def claim_figures(content: BundleContent) -> dict[str, Any]:
    """The claim as it goes into the manifest: integers in minor units and the stated basis (and, only when a rate
    was carried forward, why the figures are provisional)."""
    claim = content.claim
    figures = {**claim.totals(), "as_of": claim.as_of, "regime": claim.regime.kind, "basis": claim.regime.basis,
               "invoices": [{"number": i.number, "due_on": i.due_on, "outstanding": i.outstanding,
                             "interest": i.interest, "compensation": i.compensation} for i in claim.invoices]}
    if claim.provisional:
        figures["provisional"] = list(claim.provisional)
    return figures


def provisional_sentence(content: BundleContent) -> str | None:
    """The words every document uses for a claim computed with a carried-forward rate, or None when it is exact."""
    notes = content.claim.provisional
    if not notes:
        return None
    return (f"Provisional ({'; '.join(notes)}): a reference rate needed here was not yet verified, so the last "
            "verified rate was carried forward. The figures will be recomputed once the rate tables are updated.")

