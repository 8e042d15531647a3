"""The dunning routes over Flask's test client on both stores: policy, drafts, approval, outbox, letter, metrics."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from api import create_app
from infrastructure.store import StoreConfig
from tests.integration.dunning_story import Story, day, story
from tests.smtp import MailServer

OTHER = "acct-dunning-other"


def clients(s: Story) -> tuple[FlaskClient, dict[str, str], dict[str, str]]:
    flask_app = create_app(DATABASE_URL=s.store.url, LEDGER_APPLICATION=s.app, RUN_PROJECTIONS=False)
    s.app.create_account("Supplier Ltd", s.account)
    s.app.create_account("Someone Else", OTHER)
    return (
        flask_app.test_client(),
        {"Authorization": f"Bearer {s.app.create_api_key(s.account)}"},
        {"Authorization": f"Bearer {s.app.create_api_key(OTHER)}"},
    )


def post(client: FlaskClient, path: str, headers: dict[str, str], key: str = "k1") -> tuple[int, Any]:
    answer = client.post(path, headers={**headers, "Idempotency-Key": key})
    return answer.status_code, answer.get_json()


def test_the_policy_drafts_approval_outbox_and_letter_over_http_each_the_accounts_own(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server, account="acct-dunning-api") as s:
        client, auth, other = clients(s)
        assert client.get("/v1/settings/dunning", headers=auth).get_json() == {
            "mode": "auto",
            "holidays": [],
            "quiet_weekdays": [5, 6],
            "letter_channel": "post",
        }
        bad = client.put("/v1/settings/dunning", json={"mode": "sometimes"}, headers={**auth, "Idempotency-Key": "p0"})
        assert bad.status_code == 422 and client.get("/v1/settings/dunning", headers=auth).get_json()["mode"] == "auto"
        put = client.put(
            "/v1/settings/dunning",
            json={"mode": "review", "holidays": ["2026-12-25"]},
            headers={**auth, "Idempotency-Key": "p1"},
        )
        assert put.status_code == 200 and put.get_json()["mode"] == "review"
        assert client.get("/v1/settings/dunning", headers=other).get_json()["mode"] == "auto"
        s.contract("HTTP")
        s.pass_on(day(0))
        [draft] = client.get("/v1/dunning/drafts", headers=auth).get_json()["items"]
        assert draft["status"] == "draft" and "GBP 1,000.00 outstanding" in draft["preview"]
        assert client.get("/v1/dunning/drafts", headers=other).get_json()["items"] == []
        assert post(client, f"/v1/dunning/drafts/{draft['id']}/approve", other)[0] == 404
        assert client.post(f"/v1/dunning/drafts/{draft['id']}/approve", headers=auth).status_code == 400  # no key
        assert client.get("/v1/dunning/drafts", headers=auth).get_json()["items"] == [draft]  # unchanged
        status, approved = post(client, f"/v1/dunning/drafts/{draft['id']}/approve", auth)
        assert status == 200 and approved["status"] == "queued"
        status, refused = post(client, f"/v1/dunning/drafts/{draft['id']}/discard", auth, "k2")
        assert status == 422 and refused["code"] == "reminder_not_pending"
        s.pass_on(day(1))
        [sent] = client.get("/v1/dunning/outbox?status=recorded", headers=auth).get_json()["items"]
        assert sent["message_id"] == mail_server.received[0].message_id
        assert sent["document_hash"] == mail_server.received[0].sha256
        assert client.get("/v1/dunning/outbox", headers=other).get_json()["items"] == []
        assert client.get(f"/v1/dunning/reminders/{sent['id']}/letter.pdf", headers=auth).status_code == 404  # an email
        metrics = client.get("/metrics").get_data(as_text=True)
        assert 'ledger_dunning_outbox{status="recorded"} 1.0' in metrics


def test_a_queued_letter_is_served_as_pdf_to_its_account_only_and_send_failures_show_in_metrics(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server, account="acct-dunning-letter") as s:
        client, auth, other = clients(s)
        s.contract("POST")
        mail_server.handler.refuse = True
        for offset in (0, 10, 20, 30):
            s.pass_on(day(offset))
        items = client.get("/v1/dunning/outbox", headers=auth).get_json()["items"]
        letter = next(i for i in items if i["stage"] == "letter_before_action")
        assert letter["status"] == "ready_to_post" and letter["channel"] == "post"
        pdf = client.get(f"/v1/dunning/reminders/{letter['id']}/letter.pdf", headers=auth)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert client.get(f"/v1/dunning/reminders/{letter['id']}/letter.pdf", headers=other).status_code == 404
        emails = [i for i in items if i["channel"] == "email"]
        # each email refused once, then no longer due when retried (the next stage had come): nothing recorded
        assert [(i["stage"], i["failures"], i["status"]) for i in emails] == [
            ("friendly", 1, "stopped"),
            ("firm", 1, "stopped"),
            ("final_notice", 1, "stopped"),
        ]
        assert s.reminders_sent(s.contract_ids[0]) == []
        metrics = client.get("/metrics").get_data(as_text=True)
        assert "ledger_dunning_send_failures_total 3.0" in metrics
