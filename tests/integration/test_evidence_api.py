"""The evidence routes over Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask.testing import FlaskClient

from api import create_app
from application.service import LedgerApplication
from evidence.attachments import ATTACHMENT_BYTES_MAX, AttachmentStore
from evidence.verify import verify_bundle
from ledger_cli.story import run_story
from tests.factories import as_command, signing

ACCOUNT = "acct-api-evidence"


def client_for(app: LedgerApplication, **settings: Any) -> tuple[FlaskClient, dict[str, str]]:
    flask_app = create_app(DATABASE_URL=app.store.url, LEDGER_APPLICATION=app, **settings)
    app.create_account("Ada Byte Studio Ltd", ACCOUNT)
    return flask_app.test_client(), {"Authorization": f"Bearer {app.create_api_key(ACCOUNT)}"}


def stored(app: LedgerApplication, digest: str) -> Any:
    store = AttachmentStore(app.store)
    try:
        return store.get(ACCOUNT, digest)
    finally:
        store.close()


def test_an_uploaded_document_is_stored_under_its_sha256_and_a_second_upload_answers_the_same(
    app: LedgerApplication,
) -> None:
    client, auth = client_for(app)
    content = b"%PDF-1.4 signed contract scan"
    first = client.post("/v1/attachments", data=content, headers={**auth, "Idempotency-Key": "up-1",
                                                                   "Content-Type": "application/pdf"})
    second = client.post("/v1/attachments", data=content, headers={**auth, "Idempotency-Key": "up-2"})
    digest = hashlib.sha256(content).hexdigest()
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json() == {"sha256": digest, "bytes": len(content)}
    assert stored(app, digest) == content


def test_an_empty_upload_is_refused_and_nothing_is_stored(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    answer = client.post("/v1/attachments", data=b"", headers={**auth, "Idempotency-Key": "up-empty"})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert stored(app, hashlib.sha256(b"").hexdigest()) is None


def test_an_upload_without_a_key_is_refused(app: LedgerApplication) -> None:
    client, _ = client_for(app)
    answer = client.post("/v1/attachments", data=b"x", headers={"Idempotency-Key": "k"})
    assert answer.status_code == 401
    assert stored(app, hashlib.sha256(b"x").hexdigest()) is None


def test_the_evidence_route_answers_a_zip_that_verifies_offline(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    contract_id = run_story(app, ACCOUNT)
    answer = client.get(f"/v1/contracts/{contract_id}/evidence?as_of=2026-08-10", headers=auth)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f"evidence-{contract_id}-2026-08-10.zip" in answer.headers["Content-Disposition"]
    result = verify_bundle(answer.data)
    assert result.ok, result.failure
    assert answer.headers["ETag"] == f'"{result.fingerprint}"'


def test_another_accounts_contract_is_not_found(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    contract_id = run_story(app, "someone-else")
    answer = client.get(f"/v1/contracts/{contract_id}/evidence", headers=auth)
    assert answer.status_code == 404 and answer.get_json()["code"] == "contract_not_found"


def test_the_openapi_document_describes_both_routes(app: LedgerApplication) -> None:
    client, _ = client_for(app)
    paths = client.application.extensions["openapi"]["paths"]
    upload = paths["/v1/attachments"]["post"]
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert "application/zip" in paths["/v1/contracts/{contract_id}/evidence"]["get"]["responses"]["200"]["content"]


def test_a_document_larger_than_a_json_command_is_accepted_up_to_the_attachment_limit(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    big = bytes(range(256)) * 8192  # 2 MiB: over the 1 MiB limit of JSON bodies
    answer = client.post("/v1/attachments", data=big, headers={**auth, "Idempotency-Key": "big"})
    assert answer.status_code == 201 and stored(app, hashlib.sha256(big).hexdigest()) == big


def test_a_document_over_the_attachment_limit_is_refused_with_413_and_not_stored(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    huge = b"x" * (ATTACHMENT_BYTES_MAX + 1)
    answer = client.post("/v1/attachments", data=huge, headers={**auth, "Idempotency-Key": "huge"})
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert stored(app, hashlib.sha256(huge).hexdigest()) is None


def test_the_claim_route_answers_the_statement_of_claim_with_its_working(app: LedgerApplication) -> None:
    client, auth = client_for(app)
    contract_id = run_story(app, ACCOUNT)
    answer = client.get(f"/v1/contracts/{contract_id}/claim?as_of=2026-08-10", headers=auth)
    assert answer.status_code == 200
    body = answer.get_json()
    # INV-000003: 4,000.00 due 2026-07-03; 38 days at 11.75 %: 400000 * 0.1175 * 38 / 365 = 4893.15 -> 4893; GBP 70
    assert (body["principal"], body["interest"], body["compensation"], body["total"]) == (400_000, 4893, 7000, 411_893)
    (invoice,) = body["invoices"]
    assert invoice["periods"] == [{"start": "2026-07-04", "end": "2026-08-10", "days": 38, "principal": 400_000,
                                   "rate_percent": "11.75", "interest": invoice["periods"][0]["interest"],
                                   "source": invoice["periods"][0]["source"], "provisional": None}]
    assert body["provisional"] is False and body["provisional_notes"] == []
    assert invoice["periods"][0]["interest"].startswith("4893.150684")
    assert body["regime"] == "uk_statutory" and "s.4(2)" in body["basis"]


def test_a_date_past_the_verified_rates_is_a_422_under_strict_rates_not_a_guess(app: LedgerApplication) -> None:
    client, auth = client_for(app, RATES_STRICT=True)
    contract_id = app.sign_contract(ACCOUNT, signing({"occurred_on": date(2026, 1, 5), "title": "EU work", "supplier": {"name": "S", "email": "s@example.com"}, "client": {"name": "C", "email": "c@example.com"}, "currency": "EUR", "total": {"amount": 1000, "currency": "EUR"}, "jurisdiction": "EU-DE", "milestones": [{"key": "m", "title": "M", "amount": {"amount": 1000, "currency": "EUR"}, "due": "on_signing"}]}), idempotency_key="eu-sign").contract_id
    app.execute(ACCOUNT, contract_id, as_command("issue_invoice", {"occurred_on": date(2026, 1, 5), "milestone_keys": ["m"]}),
                idempotency_key="eu-inv")
    version = app.get_contract(ACCOUNT, contract_id).version
    for route in ("claim", "evidence"):
        answer = client.get(f"/v1/contracts/{contract_id}/{route}?as_of=2027-02-01", headers=auth)
        assert answer.status_code == 422 and answer.get_json()["code"] == "rates_unavailable", route
        assert "eu_late_payment_reference.csv" in answer.get_json()["detail"], route
    assert app.get_contract(ACCOUNT, contract_id).version == version


def test_a_document_uploaded_by_another_account_never_reaches_this_accounts_bundle(app: LedgerApplication) -> None:
    client, ada = client_for(app)
    app.create_account("Bob Agency", "bob-agency")
    bob = {"Authorization": f"Bearer {app.create_api_key('bob-agency')}"}
    secret = b"Bob's confidential settlement: 90k"
    upload = client.post("/v1/attachments", data=secret, headers={**bob, "Idempotency-Key": "bob-up"})
    digest = upload.get_json()["sha256"]
    assert upload.status_code == 201 and digest == hashlib.sha256(secret).hexdigest()
    contract_id = run_story(app, ACCOUNT)
    app.execute(ACCOUNT, contract_id, as_command("log_communication", {"occurred_on": date(2026, 8, 5), "direction": "inbound", "channel": "email", "summary": "forwarded",
                 "attachment_hashes": [digest]}), idempotency_key="ada-refers-to-bobs-hash")
    answer = client.get(f"/v1/contracts/{contract_id}/evidence?as_of=2026-08-10", headers=ada)
    assert answer.status_code == 200
    assert secret not in answer.data and not any(secret in part for part in unzipped(answer.data).values())
    assert stored(app, digest) is None  # Ada's store does not hold it
    own = client.post("/v1/attachments", data=secret, headers={**ada, "Idempotency-Key": "ada-up"})
    assert own.status_code == 201 and stored(app, digest) == secret  # once Ada uploads it herself, it is hers


def unzipped(data: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
