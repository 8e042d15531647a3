"""Deterministic contracts whose evidence bundles are pinned by SHA-256 (tests/data/evidence_golden.json).

The evidence PDFs are rebuilt byte for byte by the offline verifier, so a faster
PDF writer must produce exactly the bytes the earlier one did: a bundle exported
by one release has to verify with the next. These stories fix everything a bundle
depends on (contract id, every ``recorded_at``, the as-of date, the generation
time, attachments) and cover what the table writer has to get right: long
chronologies across many pages, wrapped and right-aligned cells, text outside
Latin-1 (more than one font subset), words wider than their column, line breaks
and runs of spaces, characters a PDF string escapes, attachments held and not
held, bold total rows, and the pre-action forms of an individual debtor in
England and Wales.

The digests in the data file were produced by the code before the table writer
was optimised; regenerate them only when a change is meant to alter the
documents (another reportlab, font or rate table):
``.venv/bin/python -m tests.integration.evidence_golden > tests/data/evidence_golden.json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from evidence.bundle import PDF_LIBRARY
from evidence.export import export_bundle
from infrastructure.store import StoreConfig
from ledger import clock
from tests.factories import signing, terms

ACCOUNT = "golden"
START = date(2023, 1, 2)
GENERATED_AT = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
DOCUMENT = b"From: ap@client.example\nSubject: remittance\n\nPaid in part, the rest next month.\n"
NOT_HELD = "ab" * 32  # a document an event names that the attachment store does not hold
# Summaries chosen for the layout paths: other scripts (a second font subset), a word wider than its column,
# a line break, runs of spaces with leading and trailing blanks, characters a PDF string escapes; ``extra`` brings
# characters new to the document on later pages (Latin Extended, Armenian), past the 256 codes of one subset.
SUMMARIES = (
    "Message {k} about invoice {number}: timing of the next payment ({extra})",
    "Ζητήσαμε πληρωμή για το τιμολόγιο {number}; ο πελάτης απάντησε (ξανά) ότι θα πληρώσει σύντομα",
    "Клиент обещал оплатить счёт {number} до конца месяца — «после закрытия квартала»",
    "Reference e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855e3b0c44298fc1c149afbf4 {k}",
    "Two lines:\nfirst {number}\nsecond (with a \\ backslash)",
    "  spaced   out   text   for {number}  ",
)
CASES: dict[str, dict[str, Any]] = {
    # 1,000 events: a business client under the UK statutory rule (rate-table footnotes, compensation rows)
    "business-1000": {"contract_id": UUID("00000000-0000-4000-8000-000000001000"), "events": 1_000,
                      "client": {"name": "Client Ltd", "email": "ap@client.example", "kind": "business",
                                 "address": "1 Main St, London"},
                      "late_payment": {"kind": "statutory"}},
    # an individual in England and Wales: the pre-action forms, contractual interest
    "individual-60": {"contract_id": UUID("00000000-0000-4000-8000-000000000060"), "events": 60,
                      "client": {"name": "Zoë Ångström-Ωmega", "email": "zoe@example.org", "kind": "individual",
                                 "address": "2 High St, Leeds"},
                      "late_payment": {"kind": "contractual", "annual_rate_percent": "8.00"}},
}


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


def moment(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), tzinfo=UTC)


def cycle(contract: Any, n: int, document: str) -> None:
    """Ten events on day ``n``: an invoice, a part payment, two reminders, six communications."""
    day = START + timedelta(days=n)
    number = f"G-{n:05d}"
    contract.issue_invoice(number=number, occurred_on=day, due_on=day + timedelta(days=14),
                           lines=[{"description": f"Support, week {n} ({'long ' * (n % 7)}description)",
                                   "amount": gbp(100_000 + 37 * n)}])
    contract.record_payment(payment_id=f"pay-{n}", occurred_on=day, amount=gbp(40_000 + n), reference=f"REF {n}",
                            allocations={number: gbp(40_000 + n)})
    contract.record_reminder_sent(occurred_on=day, invoice_numbers=[number], stage="friendly", channel="email")
    contract.record_reminder_sent(occurred_on=day, invoice_numbers=[number], stage="firm", channel="post",
                                  tracking_reference=f"RM-{n:08d}GB")
    extra = ("".join(chr(0x100 + (n * 7 + i) % 0x180) for i in range(6)) + " "
             + "".join(chr(0x531 + (n * 3 + i) % 38) for i in range(4)))
    for k, summary in enumerate(SUMMARIES):
        attachments = [document] if (n + k) % 17 == 0 else [NOT_HELD] if (n + k) % 29 == 0 else None
        contract.log_communication(occurred_on=day, direction="inbound" if k % 2 else "outbound", channel="email",
                                   summary=summary.format(k=k, number=number, extra=extra), counterpart=f"Clerk {k}",
                                   attachment_hashes=attachments)


def build(app: LedgerApplication, case: dict[str, Any]) -> UUID:
    contract_id: UUID = case["contract_id"]
    store = AttachmentStore(app.store)
    try:
        document = store.put(ACCOUNT, DOCUMENT)
    finally:
        store.close()
    command = signing(terms(currency="GBP", jurisdiction="GB-ENG", occurred_on=START, client=case["client"],
                            late_payment=case["late_payment"], reference="GOLD/1"))
    with clock.fixed_clock(lambda: moment(START)):
        app.sign_contract(ACCOUNT, command, idempotency_key=f"golden-{contract_id}", contract_id=contract_id)
    contract = app.get_contract(ACCOUNT, contract_id)
    cycles = (case["events"] - 1) // 10
    for n in range(cycles):
        with clock.fixed_clock(partial(moment, START + timedelta(days=n))):
            cycle(contract, n, document)
        if len(contract.pending_events) >= 200:
            app.save(contract)
    with clock.fixed_clock(lambda: moment(START + timedelta(days=cycles))):
        for k in range(case["events"] - 1 - 10 * cycles):
            contract.log_communication(occurred_on=START + timedelta(days=cycles), direction="outbound",
                                       channel="phone", summary=f"Call {k}: chased the arrears")
    app.save(contract)
    return contract_id


def export_case(url: str, case: dict[str, Any]) -> bytes:
    """The case's bundle (the ZIP), exported from a fresh store at ``url``."""
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    try:
        contract_id = build(app, case)
        as_of = START + timedelta(days=case["events"] // 10 + 45)
        attachments = AttachmentStore(app.store)
        try:
            bundle = export_bundle(app, ACCOUNT, contract_id, as_of=as_of, generated_at=GENERATED_AT,
                                   attachments=attachments)
        finally:
            attachments.close()
    finally:
        app.close()
    return bundle.data


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def digests(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def golden() -> dict[str, Any]:
    cases = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, case in CASES.items():
            cases[name] = digests(members(export_case(f"sqlite:///{Path(folder) / name}.db", case)))
    return {"pdf_library": PDF_LIBRARY, "cases": cases}


if __name__ == "__main__":
    json.dump(golden(), sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
