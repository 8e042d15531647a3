"""Evidence bundle: export from a real store (SQLite and PostgreSQL), verify offline, tamper, read the PDF."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from evidence.bundle import Bundle, manifest_bytes, sha256
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from ledger.errors import ContractNotFound
from tests.integration.evidence_story import AS_OF, EMAIL, run_dispute_story

ACCOUNT = "acct-evidence"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)

# INV-000003: GBP 4,000.00 due 2026-07-03, UK statutory 3.75 + 8 = 11.75 % fixed at the due date;
# 07-04..08-14 = 42 days on 4,000.00, then GBP 1,000.00 paid on 08-14, 08-15..08-20 = 6 days on 3,000.00.
INTEREST = int((Decimal("400000") * Decimal("11.75") / 100 * 42 / 365
                + Decimal("300000") * Decimal("11.75") / 100 * 6 / 365).quantize(Decimal(1), rounding=ROUND_HALF_UP))
PRINCIPAL, COMPENSATION = 300_000, 7_000  # GBP 70: a debt of GBP 1,000 to 9,999.99
TOTAL = PRINCIPAL + INTEREST + COMPENSATION


def export(app: LedgerApplication) -> tuple[Bundle, str]:
    contract_id, email_hash = run_dispute_story(app, ACCOUNT)
    store = AttachmentStore(app.store)
    try:
        bundle = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, attachments=store)
    finally:
        store.close()
    return bundle, email_hash


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def resign(files: dict[str, bytes], changed: str) -> dict[str, bytes]:
    """What a forger would do: re-hash the changed file in the manifest and re-compute its self-digest."""
    manifest = json.loads(files["manifest.json"])
    manifest["files"][changed] = {"sha256": sha256(files[changed]), "bytes": len(files[changed])}
    return {**files, "manifest.json": manifest_bytes(manifest)}


def test_an_exported_bundle_verifies_offline_with_the_claim_computed_by_hand(app: LedgerApplication) -> None:
    assert INTEREST == 5988  # 5408.22 + 579.45
    bundle, email_hash = export(app)
    result = verify_bundle(bundle.data)
    assert result.ok, result.failure
    assert result.fingerprint == app.verify(ACCOUNT, bundle.manifest["contract_id"]).fingerprint
    claim = bundle.manifest["claim"]
    assert (claim["principal"], claim["interest"], claim["compensation"], claim["total"]) == (
        PRINCIPAL, INTEREST, COMPENSATION, TOTAL)
    files = members(bundle.data)
    assert files[f"attachments/{email_hash}"] == EMAIL
    assert {"bundle.pdf", "letter-before-action.pdf", "events.jsonl", "statement.csv", "chronology.csv",
            "manifest.json"} <= set(files)
    assert len(files["events.jsonl"].splitlines()) == bundle.manifest["events"] == 19


def test_changing_one_byte_in_any_file_of_the_bundle_fails_verification_and_names_the_file(
    app: LedgerApplication,
) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    for name, data in files.items():
        altered = bytearray(data)
        altered[len(altered) // 2] ^= 0x01
        result = verify_bundle(rezip({**files, name: bytes(altered)}))
        assert not result.ok, name
        assert result.failure is not None and result.failure.startswith(f"{name}:"), (name, result.failure)


def test_an_edited_event_with_a_rehashed_manifest_still_fails_on_the_chain(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    lines = files["events.jsonl"].decode().splitlines()
    index = next(i for i, line in enumerate(lines) if '"PaymentReceived"' in line)
    event = json.loads(lines[index])
    event["payload"]["amount"] = 1  # pretend the client paid one penny
    lines[index] = json.dumps(event, sort_keys=True, separators=(",", ":"))
    files["events.jsonl"] = ("\n".join(lines) + "\n").encode()
    result = verify_bundle(rezip(resign(files, "events.jsonl")))
    assert not result.ok
    assert result.failure == f"events.jsonl: event version {index + 1}: content does not match its hash (the event was altered)"


def test_a_statement_that_disagrees_with_the_events_fails_even_with_a_rehashed_manifest(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    files["statement.csv"] = files["statement.csv"].replace(b"4000.00", b"400.00", 1)
    result = verify_bundle(rezip(resign(files, "statement.csv")))
    assert not result.ok and result.failure is not None
    assert result.failure.startswith("statement.csv: does not equal the figures recomputed from events.jsonl")


def test_claim_totals_in_the_manifest_are_recomputed(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    manifest = json.loads(files["manifest.json"])
    manifest["claim"]["total"] += 10_000
    result = verify_bundle(rezip({**files, "manifest.json": manifest_bytes(manifest)}))
    assert result.failure == "manifest.json: the claim totals do not equal those recomputed from events.jsonl"


def test_an_added_file_is_named(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    result = verify_bundle(rezip({**members(bundle.data), "attachments/extra.txt": b"slipped in"}))
    assert result.failure == "attachments/extra.txt: not listed in the manifest (added to the bundle)"


def test_the_pdf_text_holds_every_invoice_payment_reminder_date_and_the_total_claimed(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["bundle.pdf"])).pages)
    for needle in ("INV-000001", "INV-000002", "INV-000003", "bank-7731", "bank-8120", "bank-9001",
                   "2026-07-03", "2026-07-13", "2026-07-23", "2026-08-02", "RM-LBA-55501234GB",
                   "GBP 3,129.88", bundle.fingerprint):
        assert needle in text, needle
    assert f"GBP {TOTAL // 100:,}.{TOTAL % 100:02d}" == "GBP 3,129.88"
    letter = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(files["letter-before-action.pdf"])).pages)
    assert "GBP 3,129.88" in letter and "2026-09-03" in letter  # a business client: 14 days from 2026-08-20


def test_the_first_pages_render_to_png_for_a_person_to_look_at(app: LedgerApplication, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None and os.environ.get("CI") != "true":
        pytest.skip("pdftoppm not installed (make system-deps installs poppler-utils)")
    bundle, _ = export(app)
    for name in ("bundle.pdf", "letter-before-action.pdf"):
        (tmp_path / name).write_bytes(members(bundle.data)[name])
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "3", str(tmp_path / name),
                        str(tmp_path / name.removesuffix(".pdf"))], check=True, timeout=60)
    pages = sorted(tmp_path.glob("*.png"))
    print(f"\nrendered pages: {tmp_path}")
    assert len(pages) == 5  # three of the bundle, both of the letter
    assert all(p.stat().st_size > 10_000 for p in pages)


def test_another_account_cannot_export_the_contract_and_nothing_is_written(app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    before = app.event_records(ACCOUNT, contract_id)
    with pytest.raises(ContractNotFound):
        export_bundle(app, "someone-else", contract_id, as_of=AS_OF, generated_at=GENERATED_AT)
    assert app.event_records(ACCOUNT, contract_id) == before


def test_a_referenced_document_missing_from_the_store_is_listed_and_the_bundle_still_verifies(
    app: LedgerApplication,
) -> None:
    contract_id, email_hash = run_dispute_story(app, ACCOUNT)
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, attachments=None)
    assert bundle.manifest["attachments_missing"] == [email_hash]
    assert verify_bundle(bundle.data).ok


def test_a_line_of_events_that_is_not_an_event_is_named_even_with_a_rehashed_manifest(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    lines = files["events.jsonl"].decode().splitlines()
    lines[2] = '{"not": "an event"}'
    files["events.jsonl"] = ("\n".join(lines) + "\n").encode()
    result = verify_bundle(rezip(resign(files, "events.jsonl")))
    assert result.failure is not None and result.failure.startswith("events.jsonl: line 3 is not an event record")


def test_a_dropped_last_event_is_caught_as_a_different_chain_head(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    files["events.jsonl"] = b"".join(files["events.jsonl"].splitlines(keepends=True)[:-1])
    result = verify_bundle(rezip(resign(files, "events.jsonl")))
    assert result.failure is not None and result.failure.startswith("events.jsonl: chain head ")


def test_a_resigned_manifest_without_its_file_list_or_a_required_file_is_named(app: LedgerApplication) -> None:
    bundle, _ = export(app)
    files = members(bundle.data)
    manifest = json.loads(files["manifest.json"])
    del manifest["files"]["statement.csv"]
    result = verify_bundle(rezip({**files, "manifest.json": manifest_bytes(manifest)}))
    assert result.failure == "statement.csv: required, but not listed in the manifest"
    del manifest["files"]
    result = verify_bundle(rezip({**files, "manifest.json": manifest_bytes(manifest)}))
    assert result.failure == "manifest.json: not a bundle manifest (missing files)"


def test_something_that_is_not_a_zip_is_refused_with_a_reason() -> None:
    result = verify_bundle(b"PK not really a zip")
    assert not result.ok and result.failure is not None and "not a readable ZIP" in result.failure


def test_the_same_record_exported_at_the_same_moment_gives_a_byte_identical_bundle(app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    first = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT)
    second = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT)
    assert first.data == second.data
