"""The contracts and clients read models answer "as of" a date between events, like the contract itself does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from application.service import LedgerApplication
from ledger import clock
from ledger_cli.story import money, run_story
from projections.clients import client_behaviour
from projections.contracts import list_contracts
from projections.runner import Runner
from tests.factories import as_command

ACCOUNT = "acct-as-of"


def execute(app: LedgerApplication, cid: UUID, command: str, key: str, **args: Any) -> None:
    with clock.fixed_clock(lambda: datetime.combine(args["occurred_on"], datetime.min.time(), tzinfo=UTC)):
        app.execute(ACCOUNT, cid, as_command(command, args), idempotency_key=key)


@pytest.fixture
def runner(app: LedgerApplication) -> Iterator[Runner]:
    projections = Runner(app.store, app=app)
    yield projections
    projections.close()


def test_the_contracts_list_gives_the_status_of_the_contract_summary_before_during_and_after_a_claim(
    app: LedgerApplication, runner: Runner
) -> None:
    cid = run_story(app, ACCOUNT)  # INV-000003 (delivery) issued 2026-06-19, due 2026-07-03, never paid
    execute(app, cid, "file_claim", "claim", occurred_on=date(2026, 9, 1), court="County Court", claim_reference="K1",
            amount_claimed=money(400_000))
    execute(app, cid, "record_judgment", "judgment", occurred_on=date(2026, 10, 1), claim_reference="K1",
            outcome="for_claimant", amount_awarded=money(400_000))
    runner.catch_up()
    expected = {
        "2026-03-05": "awaiting_payment",  # the advance is invoiced, not yet paid
        "2026-05-10": "active",  # two thirds invoiced and paid; the delivery milestone not yet invoiced
        "2026-06-19": "awaiting_payment",
        "2026-07-04": "overdue",
        "2026-09-01": "in_claim",
        "2026-09-15": "in_claim",
        "2026-09-30": "in_claim",
        "2026-10-01": "overdue",  # judgment given: the debt is still unpaid
    }
    for as_of, status in expected.items():
        (item,), _ = list_contracts(runner.db, ACCOUNT, as_of)
        assert (as_of, item["status"]) == (as_of, status)
        assert item["status"] == app.summary(ACCOUNT, cid, date.fromisoformat(as_of))["status"]


def behaviour(runner: Runner, as_of: str) -> tuple[int, int | None, int, int, int]:
    (client,) = client_behaviour(runner.db, ACCOUNT, as_of)
    return (client["invoices_paid"], client["worst_days_late"], client["promises_kept"], client["promises_broken"],
            client["promises_pending"])


def test_client_behaviour_counts_only_the_invoices_paid_and_the_promises_kept_by_the_date(
    app: LedgerApplication, runner: Runner
) -> None:
    # Story: INV-000001 due 2026-03-16 paid 2026-03-10; INV-000002 due 2026-05-04 paid 2026-05-01; INV-000003 due
    # 2026-07-03. Then a promise on 2026-08-03 to pay it by 2026-08-20, paid 2026-08-18, that payment reversed 2026-08-22.
    cid = run_story(app, ACCOUNT)
    execute(app, cid, "record_promise", "promise", occurred_on=date(2026, 8, 3), amount=money(400_000),
            promised_by=date(2026, 8, 20), invoice_numbers=["INV-000003"])
    execute(app, cid, "record_payment", "late", occurred_on=date(2026, 8, 18), payment_id="late",
            amount=money(400_000), method="transfer")
    execute(app, cid, "reverse_payment", "bounce", occurred_on=date(2026, 8, 22), payment_id="late", reason="bounced")
    runner.catch_up()
    # (invoices paid, worst days late, promises kept, broken, pending); days late: 2026-08-18 - 2026-07-03 = 46
    assert behaviour(runner, "2026-03-01") == (0, None, 0, 0, 0)
    assert behaviour(runner, "2026-03-10") == (1, 0, 0, 0, 0)
    assert behaviour(runner, "2026-05-01") == (2, 0, 0, 0, 0)
    assert behaviour(runner, "2026-08-05") == (2, 0, 0, 0, 1)
    assert behaviour(runner, "2026-08-17") == (2, 0, 0, 0, 1)
    assert behaviour(runner, "2026-08-18") == (3, 46, 1, 0, 0)
    assert behaviour(runner, "2026-08-21") == (3, 46, 1, 0, 0)
    assert behaviour(runner, "2026-08-22") == (2, 0, 0, 1, 0)  # the payment bounced: unpaid, and the promise broken
