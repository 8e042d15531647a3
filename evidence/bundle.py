"""Build the evidence ZIP from a contract's chain records.

The contract is rebuilt from the very records written to ``events.jsonl`` (see
``evidence.replay``), and the rate tables used are copied into ``rates/``, so
the offline verifier can recompute every figure from the bundle alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import reportlab

from evidence.bundle_pdf import build_bundle_pdf
from evidence.content import (
    BundleContent,
    build_content,
    chronology_csv,
    claim_figures,
    document_index,
    interest_csv,
    particulars_text,
    statement_csv,
)
from evidence.letter import build_letter_pdf
from evidence.pdfkit import FONT
from evidence.preaction import preaction_pdfs
from evidence.replay import contract_from_records
from evidence.verify_page import VERIFY_PAGE, page_html
from ledger.chain import ChainRecord, canonical_json, verify_chain
from ledger.errors import ValidationError
from ledger.filing import STATEMENT_FILE
from ledger.rates import TABLE_FILES, tables_from_texts

FORMAT = "paid-ledger-evidence/1"
MANIFEST = "manifest.json"
BUNDLE_PDF = "bundle.pdf"
LETTER_PDF = "letter-before-action.pdf"
MANIFEST_KEYS = ("format", "contract_id", "contract_version", "chain_head", "as_of", "generated_at", "claim", "files")
REQUIRED_FILES = ("events.jsonl", "statement.csv", "chronology.csv", "interest.csv", STATEMENT_FILE, BUNDLE_PDF,
                  LETTER_PDF, VERIFY_PAGE,
                  *(f"rates/{name}" for name in TABLE_FILES))
# The verifier rebuilds both PDFs byte for byte: another reportlab version or font may lay them out otherwise.
PDF_LIBRARY = f"reportlab {reportlab.Version}, font {'DejaVu Sans' if FONT == 'LedgerSans' else FONT}"
Fetch = Callable[[list[str]], dict[str, bytes | None]]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def events_jsonl(records: list[ChainRecord]) -> bytes:
    """One event per line: ``ChainRecord.to_dict()`` as compact JSON with sorted keys.

    ASCII-only (``\\uXXXX`` escapes), so a reader that also breaks lines at U+2028, U+2029 or U+0085 still sees
    one event per line; the hashes are over canonical JSON of the decoded record, not over these bytes.
    """
    return "".join(json.dumps(r.to_dict(), sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n"
                   for r in records).encode("utf-8")


def parse_events_jsonl(data: bytes) -> list[ChainRecord]:
    records = []
    lines = data.decode("utf-8").split("\n")  # only "\n" ends a record (str.splitlines also splits at U+2028 ...)
    if lines[-1] == "":
        lines.pop()
    for line_number, line in enumerate(lines, start=1):
        try:
            records.append(ChainRecord.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {line_number} is not an event record ({error})") from error
    return records


def data_files(content: BundleContent, rate_texts: dict[str, str]) -> dict[str, bytes]:
    """The machine-readable files, in ZIP order; the verifier regenerates the CSVs byte for byte."""
    files = {
        "events.jsonl": events_jsonl(content.records),
        "statement.csv": statement_csv(content).encode("utf-8"),
        "chronology.csv": chronology_csv(content).encode("utf-8"),
        "interest.csv": interest_csv(content).encode("utf-8"),
        STATEMENT_FILE: particulars_text(content).encode("utf-8"),
    }
    files.update({f"rates/{name}": text.encode("utf-8") for name, text in sorted(rate_texts.items())})
    files.update({d.path: d.content for d in content.documents if d.content is not None})
    return files


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest with its own digest (over the canonical JSON of the rest), in one fixed layout."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    signed = {**body, "manifest_sha256": sha256(canonical_json(body))}
    return (json.dumps(signed, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Bundle:
    data: bytes
    manifest: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        return str(self.manifest["chain_head"])


def build_bundle(records: list[ChainRecord], *, as_of: str, generated_at: datetime, rate_texts: dict[str, str],
                 fetch_attachments: Fetch, strict: bool = False, anchor_files: dict[str, bytes] | None = None) -> Bundle:
    chain = verify_chain(records[0].contract_id if records else "", records)
    if not chain.ok or chain.fingerprint is None:
        raise ValidationError(f"the stored chain does not verify (version {chain.broken_version}: {chain.reason})")
    contract = contract_from_records(records)
    attachments = fetch_attachments(list(document_index(records)))
    content = build_content(contract, records, as_of, tables_from_texts(rate_texts, strict=strict), attachments)
    stamp = generated_at.isoformat(timespec="seconds")
    files = data_files(content, rate_texts)
    files[LETTER_PDF] = build_letter_pdf(content)
    files.update(preaction_pdfs(content))
    files.update(anchor_files or {})
    files[VERIFY_PAGE] = verification_page()
    listed = {path: (sha256(data), len(data)) for path, data in files.items()}
    files = {BUNDLE_PDF: build_bundle_pdf(content, chain.fingerprint, stamp, listed), **files}
    digests = {**listed, BUNDLE_PDF: (sha256(files[BUNDLE_PDF]), len(files[BUNDLE_PDF]))}  # each file hashed once
    manifest = {
        "format": FORMAT, "contract_id": str(contract.id), "contract_title": contract.title,
        "contract_reference": contract.reference, "contract_version": contract.version, "events": len(records),
        "chain_head": chain.fingerprint, "as_of": as_of, "generated_at": stamp, "claim": claim_figures(content),
        "pdf_library": PDF_LIBRARY,
        "files": {path: {"sha256": digests[path][0], "bytes": digests[path][1]} for path in sorted(files)},
        "attachments_missing": sorted(d.sha256 for d in content.documents if d.content is None),
        "verify_with": "ledger evidence verify <this zip>, or open verify.html in a browser",
    }
    return Bundle(zip_bytes(files, manifest_bytes(manifest), generated_at), manifest)


def verification_page() -> bytes:
    """The same page in every bundle of this release (see ``evidence.verify_page``)."""
    return page_html(REQUIRED_FILES, MANIFEST_KEYS)


def zip_bytes(files: dict[str, bytes], manifest: bytes, generated_at: datetime) -> bytes:
    buffer = io.BytesIO()
    moment = generated_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*files.items(), (MANIFEST, manifest)]:
            info = zipfile.ZipInfo(path, date_time=moment)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
