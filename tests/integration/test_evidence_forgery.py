"""A forger with the bundle and the code: what the verifier must still catch (rates, PDFs, duplicate entries),
and text with Unicode line separators that must not break an intact bundle."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from evidence.bundle import Bundle, manifest_bytes, parse_events_jsonl, sha256
from evidence.content import build_content, claim_figures, interest_csv
from evidence.export import export_bundle
from evidence.replay import contract_from_records
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger.rates import TABLE_FILES, read_table_texts, tables_from_texts
from tests.factories import as_command, signing
from tests.integration.evidence_story import AS_OF, run_dispute_story

ACCOUNT = "acct-forgery"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)
SEPARATORS = "\u2028\u2029\u0085"
UK_TABLE = "rates/uk_late_payment_reference.csv"
UK_2026_H2 = "2026-07-01,2026-12-31,3.75,11.75"
UK_CHANGES = "rates/uk_bank_rate_changes.csv"


@pytest.fixture
def sqlite_app(sqlite_store: StoreConfig) -> Iterator[LedgerApplication]:
    # What is checked here is the ZIP alone; the store it came from does not matter (both are tested elsewhere).
    app = LedgerApplication(sqlite_store, create_tables=True)
    yield app
    app.close()


def export(app: LedgerApplication, contract_id: UUID, as_of: date = AS_OF) -> Bundle:
    store = AttachmentStore(app.store)
    try:
        return export_bundle(app, ACCOUNT, contract_id, as_of=as_of, generated_at=GENERATED_AT, attachments=store)
    finally:
        store.close()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def resign(files: dict[str, bytes], *changed: str) -> bytes:
    manifest = json.loads(files["manifest.json"])
    for path in changed:
        manifest["files"][path] = {"sha256": sha256(files[path]), "bytes": len(files[path])}
    return rezip(list({**files, "manifest.json": manifest_bytes(manifest)}.items()))


def test_an_intact_bundle_whose_texts_hold_unicode_line_separators_verifies(sqlite_app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    summary = f"Call{SEPARATORS[0]}one{SEPARATORS[1]}two{SEPARATORS[2]}three"
    sqlite_app.execute(ACCOUNT, contract_id, as_command("log_communication", {"occurred_on": date(2026, 8, 15), "direction": "inbound", "channel": "phone",
                        "summary": summary, "counterpart": f"J.{SEPARATORS}Patel"}), idempotency_key="sep-1")
    bundle = export(sqlite_app, contract_id)
    result = verify_bundle(bundle.data)
    assert result.ok, result.failure
    assert result.events == 20
    events = members(bundle.data)["events.jsonl"]
    assert events.count(b"\n") == 20  # one record per "\n"-terminated line, whatever the text holds
    assert [r.payload.get("summary") for r in parse_events_jsonl(events)][-1] == summary


def test_a_rate_table_inflated_with_its_figures_regenerated_and_the_manifest_resigned_fails_naming_the_row(
    sqlite_app: LedgerApplication,
) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    files = members(export(sqlite_app, contract_id).data)
    packaged = read_table_texts()["uk_late_payment_reference.csv"].split("\n")
    line = packaged.index(UK_2026_H2) + 1
    # Consistent with itself (statutory = reference + 8, backed by a forged Bank Rate change), so only the
    # comparison with the verifier's own tables can catch it.
    files[UK_TABLE] = files[UK_TABLE].replace(UK_2026_H2.encode(), b"2026-07-01,2026-12-31,23.75,31.75")
    files[UK_CHANGES] += b"2026-06-18,23.75,forged\n"
    records = parse_events_jsonl(files["events.jsonl"])
    texts = {name: files[f"rates/{name}"].decode() for name in TABLE_FILES}
    content = build_content(contract_from_records(records), records, AS_OF.isoformat(), tables_from_texts(texts), {})
    files["interest.csv"] = interest_csv(content).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["claim"] = claim_figures(content)
    assert manifest["claim"]["interest"] > 15_000  # at 31.75 % instead of 11.75 %: worth forging
    files["manifest.json"] = manifest_bytes(manifest)
    result = verify_bundle(resign(files, UK_TABLE, UK_CHANGES, "interest.csv"))
    assert not result.ok and result.failure is not None
    assert result.failure.startswith(f"{UK_TABLE}: line {line} differs from the verifier's table"), result.failure
    assert "31.75" in result.failure and "11.75" in result.failure


def test_a_bundle_made_with_operator_rates_verifies_only_against_the_same_rates(
    sqlite_app: LedgerApplication, tmp_path: Path,
) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    rates = tmp_path / "rates"
    rates.mkdir()
    for name, text in read_table_texts().items():
        (rates / name).write_text(text.replace(UK_2026_H2, "2026-07-01,2026-12-31,4.00,12.00"))
    with (rates / "uk_bank_rate_changes.csv").open("a") as changes:  # the Bank Rate change behind the new row
        changes.write("2026-06-18,4.00,operator\n")
    store = AttachmentStore(sqlite_app.store)
    try:
        bundle = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT,
                               attachments=store, rates_dir=rates)
    finally:
        store.close()
    assert verify_bundle(bundle.data, rates_dir=rates).ok
    failure = verify_bundle(bundle.data).failure
    assert failure is not None and failure.startswith(f"{UK_TABLE}: line ")


@pytest.mark.parametrize("name", ["bundle.pdf", "letter-before-action.pdf"])
def test_a_swapped_pdf_with_a_resigned_manifest_fails_naming_the_pdf(sqlite_app: LedgerApplication, name: str) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    files = members(export(sqlite_app, contract_id).data)
    other = members(export(sqlite_app, contract_id, as_of=date(2026, 8, 19)).data)
    files[name] = other[name]  # a genuine-looking PDF of the same contract, with other figures
    result = verify_bundle(resign(files, name))
    assert not result.ok and result.failure is not None
    assert result.failure.startswith(f"{name}: does not equal the document rebuilt from events.jsonl"), result.failure


def test_a_duplicate_entry_in_the_zip_is_named_even_when_the_last_copy_is_genuine(
    sqlite_app: LedgerApplication,
) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    files = members(export(sqlite_app, contract_id).data)
    with pytest.warns(UserWarning, match="Duplicate name"):
        forged = rezip([("bundle.pdf", b"%PDF-1.4 forged"), *files.items()])
    assert verify_bundle(forged).failure == "bundle.pdf: appears more than once in the ZIP"


def test_a_verifier_rates_directory_missing_a_table_is_named_as_the_verifiers_fault(
    sqlite_app: LedgerApplication, tmp_path: Path,
) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    result = verify_bundle(export(sqlite_app, contract_id).data, rates_dir=tmp_path)
    assert result.failure == (f"the verifier's rate tables cannot be read (rate table {tmp_path / TABLE_FILES[0]} "
                              "is missing)")


def test_a_contract_whose_title_and_party_names_hold_unicode_line_separators_verifies(
    sqlite_app: LedgerApplication,
) -> None:
    def gbp(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "GBP"}

    signed = sqlite_app.sign_contract(ACCOUNT, signing({"occurred_on": date(2025, 1, 2), "title": f"Design{SEPARATORS}work", "supplier": {"name": f"Studio{SEPARATORS}Ltd", "email": "s@studio.example"}, "client": {"name": f"Pat{SEPARATORS}Client", "email": "pat@example.com", "kind": "business"}, "currency": "GBP", "total": gbp(1_000), "jurisdiction": "GB-ENG", "late_payment": {"kind": "statutory"}, "milestones": [{"key": "m", "title": f"Stage{SEPARATORS}one", "amount": gbp(1_000), "due": "on_signing"}]}), idempotency_key=str(uuid4()))
    sqlite_app.execute(ACCOUNT, signed.contract_id, as_command("issue_invoice", {"occurred_on": date(2025, 1, 2),
                       "milestone_keys": ["m"], "due_on": date(2025, 6, 10)}), idempotency_key="sep-inv")
    bundle = export_bundle(sqlite_app, ACCOUNT, signed.contract_id, as_of=date(2025, 7, 20), generated_at=GENERATED_AT)
    result = verify_bundle(bundle.data)
    assert result.ok, result.failure
    assert result.events == 2
