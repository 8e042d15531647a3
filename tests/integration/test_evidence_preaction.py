"""The pre-action pack: an individual debtor in England and Wales gets the three forms, pre-filled; a business
debtor does not; the verifier rebuilds them and names one that is missing or swapped."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pypdf import PdfReader

from application.service import LedgerApplication
from evidence.bundle import manifest_bytes
from evidence.export import export_bundle
from evidence.preaction import FINANCIAL_STATEMENT, INFORMATION_SHEET, REPLY_FORM
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from tests.factories import as_command, signing
from tests.integration.evidence_story import AS_OF, run_dispute_story

ACCOUNT = "acct-preaction"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)
FORMS = (INFORMATION_SHEET, REPLY_FORM, FINANCIAL_STATEMENT)


@pytest.fixture
def sqlite_app(sqlite_store: StoreConfig) -> Any:
    app = LedgerApplication(sqlite_store, create_tables=True)
    yield app
    app.close()


def individual_contract(app: LedgerApplication) -> UUID:
    def gbp(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "GBP"}

    signed = app.sign_contract(
        ACCOUNT,
        signing(
            {
                "occurred_on": date(2026, 5, 4),
                "title": "Kitchen design drawings",
                "reference": "KD-7",
                "supplier": {
                    "name": "Ada Byte Studio Ltd",
                    "email": "accounts@adabyte.example",
                    "address": "4 Loom Street, Manchester",
                },
                "client": {
                    "name": "Sam Okafor",
                    "email": "sam@example.com",
                    "kind": "individual",
                    "address": "9 Elm Road, Leeds",
                },
                "currency": "GBP",
                "total": gbp(180_000),
                "jurisdiction": "GB-ENG",
                "late_payment": {"kind": "statutory"},
                "milestones": [{"key": "m", "title": "Drawings", "amount": gbp(180_000), "due": "on_signing"}],
            }
        ),
        idempotency_key=str(uuid4()),
    )
    app.execute(
        ACCOUNT,
        signed.contract_id,
        as_command(
            "issue_invoice", {"occurred_on": date(2026, 5, 4), "milestone_keys": ["m"], "due_on": date(2026, 6, 3)}
        ),
        idempotency_key="pa-inv",
    )
    return UUID(str(signed.contract_id))


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_an_individual_debtors_bundle_holds_the_three_forms_pre_filled_and_verifies(
    sqlite_app: LedgerApplication,
) -> None:
    bundle = export_bundle(sqlite_app, ACCOUNT, individual_contract(sqlite_app), as_of=AS_OF, generated_at=GENERATED_AT)
    files = members(bundle.data)
    assert set(FORMS) <= set(bundle.manifest["files"]) and set(FORMS) <= set(files)
    # GBP 1,800.00 unpaid; an individual: no statutory interest or compensation; 30 days from 2026-08-20.
    for path in FORMS:
        text = pdf_text(files[path])
        for needle in ("Sam Okafor", "9 Elm Road, Leeds", "Ada Byte Studio Ltd", "GBP 1,800.00", "2026-09-19", "KD-7"):
            assert needle in text, (path, needle)
    assert "Reply by 2026-09-19" in pdf_text(files[INFORMATION_SHEET])
    assert "I agree that I owe GBP 1,800.00" in pdf_text(files[REPLY_FORM])
    assert "Monthly income" in pdf_text(files[FINANCIAL_STATEMENT])
    assert "Information Sheet, a Reply Form and a Financial Statement" in pdf_text(files["letter-before-action.pdf"])
    result = verify_bundle(bundle.data)
    assert result.ok, result.failure


def test_a_business_debtors_bundle_has_no_pre_action_forms(sqlite_app: LedgerApplication) -> None:
    contract_id, _ = run_dispute_story(sqlite_app, ACCOUNT)
    bundle = export_bundle(sqlite_app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT)
    assert not [p for p in members(bundle.data) if p.startswith("pre-action/")]
    assert not [p for p in bundle.manifest["files"] if p.startswith("pre-action/")]


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_form_removed_with_the_manifest_resigned_is_named(sqlite_app: LedgerApplication) -> None:
    bundle = export_bundle(sqlite_app, ACCOUNT, individual_contract(sqlite_app), as_of=AS_OF, generated_at=GENERATED_AT)
    files = members(bundle.data)
    del files[REPLY_FORM]
    manifest = json.loads(files["manifest.json"])
    del manifest["files"][REPLY_FORM]
    files["manifest.json"] = manifest_bytes(manifest)
    result = verify_bundle(rezip(files))
    assert result.failure is not None and result.failure.startswith(f"{REPLY_FORM}: required for an individual")


def test_the_forms_render_to_png_for_a_person_to_look_at(sqlite_app: LedgerApplication, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None and os.environ.get("CI") != "true":
        pytest.skip("pdftoppm not installed (make system-deps installs poppler-utils)")
    bundle = export_bundle(sqlite_app, ACCOUNT, individual_contract(sqlite_app), as_of=AS_OF, generated_at=GENERATED_AT)
    for path, data in members(bundle.data).items():
        if path.startswith("pre-action/"):
            name = path.split("/")[1].removesuffix(".pdf")
            (tmp_path / f"{name}.pdf").write_bytes(data)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                check=True,
                timeout=60,
            )
    pages = sorted(tmp_path.glob("*.png"))
    print(f"\nrendered pages: {tmp_path}")
    assert len(pages) >= 3 and all(p.stat().st_size > 10_000 for p in pages)
