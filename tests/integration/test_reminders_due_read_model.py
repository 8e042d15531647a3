"""The reminders-due read model on both stores: stage boundaries and what holds or removes a reminder."""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any
from uuid import UUID

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from projections.queries import reminders_due
from projections.runner import Runner
from tests.factories import as_command, money, signing, terms

ACCOUNT = "acct-reminders"
keys = count()


def contract_with_invoice(app: LedgerApplication, title: str, **overrides: Any) -> UUID:
    """The advance (100,000) invoiced on 15 Feb 2026, due 1 Mar 2026."""
    cid = UUID(app.sign_contract(ACCOUNT, signing(terms(title=title, **overrides)), idempotency_key=f"k{next(keys)}").contract_id)
    run(app, cid, "issue_invoice", number=f"{title}-1", occurred_on=date(2026, 2, 15), milestone_keys=["advance"],
        due_on=date(2026, 3, 1))
    return cid


def run(app: LedgerApplication, cid: UUID, command: str, **args: Any) -> None:
    app.execute(ACCOUNT, cid, as_command(command, args), idempotency_key=f"k{next(keys)}")


def remind(app: LedgerApplication, cid: UUID, number: str, stage: str, day: date) -> None:
    run(app, cid, "record_reminder_sent", occurred_on=day, invoice_numbers=[number], stage=stage,
        channel="certified_mail" if stage == "letter_before_action" else "email")


def due_on(runner: Runner, day: str) -> dict[str, tuple[str, str]]:
    return {r["invoice_number"]: (r["stage"], r["stage_due_on"]) for r in reminders_due(runner.db, ACCOUNT, day)}


def test_the_reminders_due_read_model_pins_the_schedule_and_its_holds(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    sent_so_far = (("friendly", 1), ("firm", 11), ("final_notice", 21))
    for count_sent in (1, 2, 3):  # STEPS1 has the friendly reminder sent, STEPS2 also the firm one, STEPS3 all three
        steps = contract_with_invoice(app, f"STEPS{count_sent}")
        for stage, day in sent_so_far[:count_sent]:
            remind(app, steps, f"STEPS{count_sent}-1", stage, date(2026, 3, day))
    person = {"name": "P", "email": "p@p.example", "kind": "individual"}
    letter = contract_with_invoice(app, "LETTER", client=person, jurisdiction="GB-ENG")
    remind(app, letter, "LETTER-1", "letter_before_action", date(2026, 3, 31))
    paid = contract_with_invoice(app, "PAID")
    run(app, paid, "record_payment", payment_id="p1", occurred_on=date(2026, 3, 12), amount=money(100_000))
    void = contract_with_invoice(app, "VOID")
    run(app, void, "void_invoice", number="VOID-1", occurred_on=date(2026, 3, 15), reason="wrong")
    disputed = contract_with_invoice(app, "DISPUTE")
    run(app, disputed, "open_dispute", dispute_id="d1", occurred_on=date(2026, 3, 5), reason="quality")
    run(app, disputed, "resolve_dispute", dispute_id="d1", occurred_on=date(2026, 3, 26), outcome="upheld")
    promised = contract_with_invoice(app, "PROMISE")
    run(app, promised, "record_promise", occurred_on=date(2026, 3, 8), amount=money(100_000),
        promised_by=date(2026, 3, 20))
    runner = Runner(store, ["reminders"], app=app, batch_size=3)
    try:
        runner.catch_up()
        assert due_on(runner, "2026-02-28") == {}
        assert due_on(runner, "2026-03-01") == {n: ("friendly", "2026-03-01") for n in
                                                ("LETTER-1", "PAID-1", "VOID-1", "DISPUTE-1", "PROMISE-1")}
        assert "STEPS1-1" not in due_on(runner, "2026-03-10")  # day 9
        assert due_on(runner, "2026-03-11")["STEPS1-1"] == ("firm", "2026-03-11")  # day 10
        assert "STEPS2-1" not in due_on(runner, "2026-03-20")  # day 19
        assert due_on(runner, "2026-03-21")["STEPS2-1"] == ("final_notice", "2026-03-21")  # day 20
        assert "STEPS3-1" not in due_on(runner, "2026-03-30")  # day 29
        assert due_on(runner, "2026-03-31")["STEPS3-1"] == ("letter_before_action", "2026-03-31")  # day 30
        assert "LETTER-1" not in due_on(runner, "2026-04-30")  # the individual's 30 days to reply
        assert due_on(runner, "2026-05-01")["LETTER-1"] == ("ready_to_file", "2026-05-01")
        assert "PAID-1" in due_on(runner, "2026-03-11") and "PAID-1" not in due_on(runner, "2026-03-12")
        assert "VOID-1" in due_on(runner, "2026-03-14") and "VOID-1" not in due_on(runner, "2026-03-15")
        assert "DISPUTE-1" in due_on(runner, "2026-03-04") and "DISPUTE-1" not in due_on(runner, "2026-03-25")
        assert due_on(runner, "2026-03-26")["DISPUTE-1"] == ("final_notice", "2026-03-21")
        assert "PROMISE-1" not in due_on(runner, "2026-03-20")  # promise not yet broken
        assert due_on(runner, "2026-03-21")["PROMISE-1"] == ("final_notice", "2026-03-21")
        fingerprint = reminders_due(runner.db, ACCOUNT, "2026-03-31")[0]["fingerprint"]
        assert fingerprint["version"] >= 2 and len(fingerprint["hash"]) == 64
    finally:
        runner.close()
        app.close()


def test_once_a_claim_is_filed_the_read_model_lists_no_pre_action_step_for_the_contract(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    claimed = contract_with_invoice(app, "CLAIMED")
    remind(app, claimed, "CLAIMED-1", "letter_before_action", date(2026, 3, 31))
    run(app, claimed, "file_claim", occurred_on=date(2026, 4, 20), court="County Court", claim_reference="K9",
        amount_claimed=money(100_000))
    runner = Runner(store, ["reminders"], app=app)
    try:
        runner.catch_up()
        assert due_on(runner, "2026-04-19") == {"CLAIMED-1": ("ready_to_file", "2026-04-15")}  # business: 14 days
        assert due_on(runner, "2026-04-20") == {}
        assert due_on(runner, "2026-09-01") == {}
        summary = app.summary(ACCOUNT, claimed, date(2026, 4, 21))
        assert summary["reminders_due"] == []
        assert summary["next_action"].startswith("claim K9 is before County Court (filed 2026-04-20)")
    finally:
        runner.close()
        app.close()
