"""What stops the dispatcher, review mode, quiet days and a mail server that is down or refusing."""

from __future__ import annotations

from datetime import date

from dunning.service import DunningService
from dunning.settings import Schedule
from infrastructure.store import StoreConfig
from ledger.errors import ReminderNotFound, ReminderNotPending
from tests.factories import money
from tests.integration.dunning_story import day, pay, story
from tests.smtp import MailServer


def stages_received(server: MailServer) -> list[tuple[str, str]]:
    """(invoice number, first word of the subject) of each email received."""
    subjects = [str(m.message["Subject"]) for m in server.received]
    return [(subject.split(": invoice ")[1].split()[0], subject.split(":")[0]) for subject in subjects]


def test_a_payment_a_void_a_credit_to_zero_a_dispute_a_promise_a_claim_and_a_closure_each_stop_the_reminders(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server) as s:
        titles = ("PAID", "DISPUTE", "PROMISE", "CLAIM", "VOID", "CREDIT", "CLOSED")
        paid, disputed, promised, claimed, voided, credited, closed = (s.contract(t) for t in titles)
        s.days(0, 14)
        pay(s, paid, day(15))
        s.run(voided, "void_invoice", number="VOID-1", occurred_on=day(15), reason="issued in error")
        s.run(
            credited,
            "issue_credit_note",
            number="CREDIT-1",
            occurred_on=day(15),
            amount=money(100_000, "GBP"),
            reason="goodwill",
        )
        pay(s, closed, day(15))  # a contract closes only with nothing outstanding
        s.run(closed, "close_contract", occurred_on=day(16), reason="settled")
        s.run(disputed, "open_dispute", dispute_id="d1", occurred_on=day(15), reason="quality")
        s.run(promised, "record_promise", occurred_on=day(15), amount=money(100_000, "GBP"), promised_by=day(45))
        s.run(
            claimed,
            "file_claim",
            occurred_on=day(15),
            court="Money Claims Online",
            claim_reference="K1",
            amount_claimed=money(100_000, "GBP"),
        )
        s.days(15, 40)
        received = stages_received(mail_server)
        for title in titles:  # the due-date and +10 emails, nothing after day 15
            assert [subject for number, subject in received if number == f"{title}-1"] == ["Reminder", "Overdue"]
        assert s.intents("ready_to_post") == [] and s.intents("queued") == []
        for cid in (paid, disputed, promised, claimed, voided, credited, closed):
            assert [r["stage"] for r in s.reminders_sent(cid)] == ["friendly", "firm"]


def test_an_intent_queued_before_a_payment_is_stopped_not_sent(store: StoreConfig, mail_server: MailServer) -> None:
    with story(store, mail_server) as s:
        cid = s.contract("RACE")
        mail_server.handler.refuse = True  # the due-date email waits in the outbox
        s.pass_on(day(0))
        pay(s, cid, day(0))
        mail_server.handler.refuse = False
        s.pass_on(day(1))
        assert mail_server.received == [] and s.reminders_sent(cid) == []
        [intent] = s.intents()
        assert intent.status == "stopped" and "no longer due" in (intent.last_error or "")


def test_review_mode_sends_nothing_until_a_draft_is_approved_and_a_discarded_draft_never(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server, account="acct-review") as s:
        service = DunningService(store)
        service.set_policy(s.account, {"mode": "review"})
        kept, dropped, paid = s.contract("KEEP"), s.contract("DROP"), s.contract("PAIDDRAFT")
        s.days(0, 1)
        pay(s, paid, day(2))
        s.days(2, 3)
        [stale] = service.listed(s.account, "stopped", 50)  # a draft paid before review is not left waiting
        assert stale["invoice_numbers"] == ["PAIDDRAFT-1"] and "no longer due" in stale["last_error"]
        drafts = service.listed(s.account, "draft", 50)
        assert mail_server.received == [] and sorted(d["invoice_numbers"][0] for d in drafts) == ["DROP-1", "KEEP-1"]
        assert all("GBP 1,000.00 outstanding" in d["preview"] for d in drafts)
        by_number = {d["invoice_numbers"][0]: d["id"] for d in drafts}
        assert service.decide(s.account, by_number["KEEP-1"], approve=True)["status"] == "queued"
        assert service.decide(s.account, by_number["DROP-1"], approve=False)["status"] == "discarded"
        assert service.decide(s.account, by_number["KEEP-1"], approve=True)["status"] == "queued"  # again: as it is
        for refused_id, approve in ((by_number["KEEP-1"], False), (by_number["DROP-1"], True)):
            try:  # the other way after a decision: refused, nothing changes
                service.decide(s.account, refused_id, approve=approve)
                raise AssertionError("deciding a draft the other way must be refused")
            except ReminderNotPending:
                pass
        assert sorted(i.status for i in s.intents()) == ["discarded", "queued", "stopped"]
        try:
            service.decide("another-account", by_number["KEEP-1"], approve=True)
            raise AssertionError("another account must not see the draft")
        except ReminderNotFound:
            pass
        s.pass_on(day(4))
        assert [m.message["Subject"] for m in mail_server.received] == ["Reminder: invoice KEEP-1 is due today"]
        assert [r["stage"] for r in s.reminders_sent(kept)] == ["friendly"] and s.reminders_sent(dropped) == []
        assert {i.status for i in s.intents()} == {"recorded", "discarded", "stopped"}


def test_a_weekend_or_a_holiday_moves_the_send_to_the_next_working_day(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server, account="acct-quiet") as s:
        DunningService(store).set_policy(s.account, {"holidays": ["2026-03-13"]})  # +10 is Friday 13 March
        cid = s.contract("QUIET")
        s.days(0, 17)
        assert [r["occurred_on"] for r in s.reminders_sent(cid)] == ["2026-03-03", "2026-03-16"]  # Monday
        assert date.fromisoformat("2026-03-14").weekday() == 5


def test_a_mail_server_down_or_refusing_records_nothing_and_is_retried_with_backoff(
    store: StoreConfig, mail_server: MailServer
) -> None:
    with story(store, mail_server, schedule=Schedule(lease_s=60, backoff_s=3600, backoff_max_s=4 * 3600)) as s:
        cid = s.contract("DOWN")
        mail_server.handler.refuse = True
        s.pass_on(day(0))
        [intent] = s.intents()
        assert (intent.status, intent.failures) == ("failed", 1) and "451" in (intent.last_error or "")
        assert intent.next_attempt_at == "2026-03-03T11:00:00+00:00"  # 10:00 + the first backoff, one hour
        assert s.reminders_sent(cid) == [] and mail_server.received == []
        s.dispatcher.smtp = type(s.dispatcher.smtp)(host="127.0.0.1", port=1, sender="x@y.example", timeout_s=5)
        s.pass_on(day(1))  # nothing listens on port 1: connection refused
        [intent] = s.intents()
        assert (intent.status, intent.failures) == ("failed", 2) and "Connection" in (intent.last_error or "")
        assert intent.next_attempt_at == "2026-03-04T12:00:00+00:00"  # doubled: two hours
        assert s.reminders_sent(cid) == []
        assert DunningService(store).counts() == ({"failed": 1}, 2)
