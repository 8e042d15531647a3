"""The service routes over real HTTP: health, readiness, metrics, the document and its page; serve and admin."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import requests

from tests.e2e.bodies import TERMS
from tests.e2e.server import LEDGER_BIN, Server, free_port, stop, wait_until_healthy


def test_health_and_readiness_answer_when_the_store_is_there(server: Server) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{server.url}/readyz", timeout=10).json()
    assert set(ready) == {"status", "warnings"} and ready["status"] == "ready"  # warnings: rate tables near their end


def test_metrics_count_requests_by_route_and_status_with_latencies_and_events_appended(server: Server) -> None:
    api = server.new_client("Metrics")
    contract_id = api.sign(TERMS)
    api.get(f"/v1/contracts/{contract_id}")
    api.get("/v1/contracts/00000000-0000-4000-8000-000000000000")
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    route = re.escape("/v1/contracts/<uuid:contract_id>")
    assert re.search(rf'ledger_http_requests_total{{method="GET",route="{route}",status="200"}} [1-9]', text)
    assert re.search(rf'ledger_http_requests_total{{method="GET",route="{route}",status="404"}} [1-9]', text)
    assert re.search(rf'ledger_http_request_duration_seconds_count{{method="GET",route="{route}",status="200"}} [1-9]', text)
    assert re.search(r'ledger_events_appended_total{type="ContractSigned"} [1-9]', text)
    for table in ("uk_late_payment_reference.csv", "eu_late_payment_reference.csv"):  # days left, from today's date
        assert re.search(rf'ledger_rates_verified_days_remaining{{table="{table}"}} -?[0-9]+\.0\n', text)


def test_the_document_and_the_docs_page_are_served(server: Server) -> None:
    spec = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    assert "/v1/contracts/{contract_id}/payments" in spec["paths"]
    page = requests.get(f"{server.url}/docs", timeout=10)
    assert page.status_code == 200 and "openapi.json" in page.text


def serve_in(workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """``ledger serve`` with no configuration at all: the embedded store in the working directory."""
    port = free_port()
    log = workdir / "serve.log"
    process = subprocess.Popen([str(LEDGER_BIN), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                               cwd=workdir, env={"PATH": "/usr/bin:/bin"}, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, url, log)
    match = re.search(r"Dev key for account 'default': (\S+)", log.read_text())
    assert match, log.read_text()
    return process, url, match.group(1)


def test_serve_on_the_embedded_store_prints_a_dev_key_that_works_and_is_kept_across_restarts(tmp_path: Path) -> None:
    process, url, key = serve_in(tmp_path)
    try:
        assert requests.post(f"{url}/v1/contracts", json=TERMS, timeout=10).status_code == 401
        signed = requests.post(f"{url}/v1/contracts", json=TERMS, timeout=10,
                               headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "dev-1"})
        assert signed.status_code == 201 and signed.json()["account_id"] == "default"
    finally:
        stop(process)
    key_file = tmp_path / "ledger.db.dev-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    process, _, again = serve_in(tmp_path)
    stop(process)
    assert again == key


def test_admin_creates_an_account_and_prints_a_key_once_that_the_api_accepts(server: Server) -> None:
    env = {"PATH": "/usr/bin:/bin", "LEDGER_DATABASE_URL": server.store.url}
    created = subprocess.run([str(LEDGER_BIN), "admin", "create-account", "Carol Consulting"], env=env,
                             capture_output=True, text=True, check=True, timeout=60)
    account_id = created.stdout.strip()
    issued = subprocess.run([str(LEDGER_BIN), "admin", "create-key", account_id], env=env,
                            capture_output=True, text=True, check=True, timeout=60)
    key = issued.stdout.strip()
    assert "not" in issued.stderr and "again" in issued.stderr
    answer = requests.post(f"{server.url}/v1/contracts", json=TERMS, timeout=10,
                           headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "carol-1"})
    assert answer.status_code == 201 and answer.json()["account_id"] == account_id
    refused = subprocess.run([str(LEDGER_BIN), "admin", "create-key", "no-such-account"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "no account" in refused.stderr
