"""Anchored chain heads against a local RFC 3161 TSA (OpenSSL ts behind HTTP, a throwaway CA): tokens kept with
the contract and in the bundle; removing events from the tail after an anchor is named by ``ledger anchor check``
and by both verifiers; a token for another head, or from an untrusted TSA, fails."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from application.service import LedgerApplication
from evidence.anchors import AnchorStore, Tsa, anchor_head, request_token, token_head
from evidence.audit import audit
from evidence.bundle import manifest_bytes, sha256
from evidence.export import export_bundle
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger_cli.main import cli
from tests.browser import browser_verdict
from tests.integration.evidence_story import AS_OF, run_dispute_story
from tests.integration.store_sql import delete_newest_events
from tests.seeding import new_contract
from tests.tsa import make_ca

ACCOUNT = "acct-anchors"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def story(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path}/ledger.db"
    app = LedgerApplication(StoreConfig(url), create_tables=True)
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    yield app, contract_id, url
    app.close()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes], *changed: str) -> bytes:
    manifest = json.loads(files["manifest.json"])
    for path in changed:
        manifest["files"][path] = {"sha256": sha256(files[path]), "bytes": len(files[path])}
    files = {**files, "manifest.json": manifest_bytes(manifest)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def drop_tail(url: str, contract_id: UUID, after: int) -> None:
    """Remove the newest events as someone who can lift the append-only guard (tests/integration/store_sql.py)."""
    delete_newest_events(StoreConfig(url), contract_id, after + 1)


def test_an_export_timestamps_the_head_keeps_the_token_and_the_bundle_verifies(story: Any, local_tsa: Tsa) -> None:
    app, contract_id, _ = story
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa)
    files = members(bundle.data)
    assert token_head(files["anchors/19.tsr"]) == bundle.fingerprint
    assert files["anchors/tsa-ca.pem"] == local_tsa.ca_pem and "anchors/19.tsr" in bundle.manifest["files"]
    store = AnchorStore(app.store)
    try:
        assert [(a.version, a.head) for a in store.of_contract(ACCOUNT, str(contract_id))] == [(19, bundle.fingerprint)]
    finally:
        store.close()
    result = verify_bundle(bundle.data)
    assert result.ok, result.failure


def test_events_removed_after_an_anchor_are_named_by_anchor_check_and_both_verifiers(
    story: Any,
    local_tsa: Tsa,
    chromium: Any,
    tmp_path: Path,
) -> None:
    app, contract_id, url = story
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_TSA_URL": local_tsa.url, "LEDGER_TSA_CA_FILE": str(tmp_path / "ca.pem")}
    (tmp_path / "ca.pem").write_bytes(local_tsa.ca_pem)
    anchored = CliRunner().invoke(cli, ["anchor"], env=env)
    assert anchored.exit_code == 0 and "anchored 1 chain head(s)" in anchored.output, anchored.output
    again = CliRunner().invoke(cli, ["anchor"], env=env)  # the head did not change: nothing new
    assert "anchored 0 chain head(s)" in again.output
    assert CliRunner().invoke(cli, ["anchor", "check"], env=env).exit_code == 0
    head_19 = app.verify(ACCOUNT, contract_id).fingerprint
    drop_tail(url, contract_id, after=17)
    check = CliRunner().invoke(cli, ["anchor", "check"], env=env)
    assert check.exit_code == 1
    assert (
        f"FAILED: contract {contract_id}: the head anchored at version 19 ({head_19}) is no longer in the chain, "
        "which ends at version 17"
    ) in check.output
    bundle = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa)
    python = verify_bundle(bundle.data)
    assert python.failure is not None and python.failure.startswith(
        f"anchors/19.tsr: the head anchored at version 19 ({head_19}) is no longer in the chain"
    ), python.failure
    (tmp_path / "b.zip").write_bytes(bundle.data)
    (tmp_path / "verify.html").write_bytes(members(bundle.data)["verify.html"])
    browser = browser_verdict(chromium, tmp_path / "verify.html", tmp_path / "b.zip")
    assert browser["failure"] == python.failure


def test_a_token_for_another_head_fails_in_both_verifiers(
    story: Any,
    local_tsa: Tsa,
    chromium: Any,
    tmp_path: Path,
) -> None:
    app, contract_id, _ = story
    files = members(
        export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa).data
    )
    other = hashlib.sha256(b"another head").hexdigest()
    files["anchors/19.tsr"] = request_token(local_tsa, other)
    forged = rezip(files, "anchors/19.tsr")
    python = verify_bundle(forged)
    assert python.failure == (
        f"anchors/19.tsr: the head anchored at version 19 ({other}) is not the chain's event at that version"
    )
    (tmp_path / "b.zip").write_bytes(forged)
    (tmp_path / "verify.html").write_bytes(files["verify.html"])
    assert browser_verdict(chromium, tmp_path / "verify.html", tmp_path / "b.zip")["failure"] == python.failure


def test_a_token_from_a_tsa_the_bundles_ca_did_not_certify_fails_its_signature_check(
    story: Any,
    local_tsa: Tsa,
    tmp_path: Path,
) -> None:
    app, contract_id, _ = story
    files = members(
        export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa).data
    )
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    make_ca(stranger, "Stranger")
    files["anchors/tsa-ca.pem"] = (stranger / "ca.crt").read_bytes()
    failure = verify_bundle(rezip(files, "anchors/tsa-ca.pem")).failure
    assert failure is not None and failure.startswith("anchors/19.tsr: the timestamp token does not verify ("), failure


def test_tokens_are_kept_once_per_version_with_their_contract_on_sqlite_and_postgresql(
    app: LedgerApplication, local_tsa: Tsa
) -> None:
    contract_id, _ = run_dispute_story(app, ACCOUNT)
    first = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa)
    second = export_bundle(app, ACCOUNT, contract_id, as_of=AS_OF, generated_at=GENERATED_AT, tsa=local_tsa)
    assert members(first.data)["anchors/19.tsr"] == members(second.data)["anchors/19.tsr"]  # not asked for again
    store = AnchorStore(app.store)
    try:
        kept = store.all()
        assert [(account, a.contract_id, a.version, a.head) for account, a in kept] == [
            (ACCOUNT, str(contract_id), 19, first.fingerprint)
        ]
        assert store.of_contract("someone-else", str(contract_id)) == []
    finally:
        store.close()
    assert verify_bundle(second.data).ok


def test_ledger_audit_names_events_removed_after_an_anchor_when_no_other_witness_saw_them(
    tmp_path: Path, local_tsa: Tsa
) -> None:
    """Saved without idempotency records and never projected: the timestamp token is the only witness of its head."""
    store = StoreConfig(f"sqlite:///{tmp_path}/ledger.db")
    app = LedgerApplication(store, create_tables=True)
    anchors = AnchorStore(store)
    try:
        contract = new_contract(ACCOUNT, 1)  # signed and worked through a short story, in memory
        app.save(contract)
        records = list(app.chain_records(contract.id))
        assert anchor_head(anchors, local_tsa, ACCOUNT, records) is not None
        assert audit(app).ok
        head = records[-1]
        delete_newest_events(store, contract.id, head.version)  # the anchored head is gone
        [finding] = audit(app).findings or []
        assert (finding.contract_id, finding.kind) == (str(contract.id), "removed_events")
        assert f"RFC 3161 anchor of version {head.version}" in finding.detail, finding.detail
        assert f"the log ends at version {head.version - 1}" in finding.detail
        code = CliRunner().invoke(cli, ["audit"], env={"LEDGER_DATABASE_URL": store.url})
        assert code.exit_code == 1 and "removed_events" in code.output, code.output
    finally:
        anchors.close()
        app.close()
