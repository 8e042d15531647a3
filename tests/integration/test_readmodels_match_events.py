"""Every read model equals an independent recomputation from the raw events, after a random workload."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.contract import Contract
from ledger.errors import LedgerError
from projections.clients import client_behaviour
from projections.contracts import licences, list_contracts
from projections.queries import aging, reminders_due
from projections.runner import Runner
from tests import pg
from tests.factories import as_command, signing, terms
from tests.integration import readmodel_checker as check
from tests.workload import START, draw_command, draw_day

ACCOUNT = "acct-rm"
CLIENTS = [
    {"name": "Acme Ltd", "email": "ap@acme.example", "kind": "business", "company_number": "0123 4567"},
    {"name": "Acme Ltd (AP)", "email": "other@acme.example", "kind": "business", "company_number": "01234567"},
    {"name": "Bo Smith", "email": "Bo@Smith.example", "kind": "individual"},
    {"name": "Bo Smith", "email": "bo@smith.example ", "kind": "individual"},
    {"name": "Cee GmbH", "email": "ar@cee.example", "kind": "business"},
    {"name": "Dee SARL", "email": "compta@dee.example", "kind": "business", "company_number": "FR 99"},
    {"name": "Eve Jones", "email": "eve@jones.example", "kind": "individual"},
    {"name": "Eff Oy", "email": "ap@eff.example", "kind": "business"},
]
COMMANDS_PER_EXAMPLE = 300
CONTRACTS_PER_EXAMPLE = 16


def sign_contracts(app: LedgerApplication, data: st.DataObject) -> list[UUID]:
    ids = []
    for n in range(CONTRACTS_PER_EXAMPLE):
        client = CLIENTS[n % len(CLIENTS)]
        extra: dict[str, Any] = {"client": client, "thirds": data.draw(st.sampled_from([1_000, 50_000, 100_000]))}
        if client["kind"] == "individual":
            extra["jurisdiction"] = "GB-ENG"
        if data.draw(st.booleans(), label="custom policy"):
            extra["reminder_policy"] = {"offsets_days": [0, 7, 14]}
        if data.draw(st.booleans(), label="licence"):
            extra["licence"] = {"kind": "time_limited", "months": 3}
        thirds = extra.pop("thirds")
        result = app.sign_contract(ACCOUNT, signing(terms(thirds=thirds, **extra)), idempotency_key=f"sign-{n}")
        ids.append(UUID(result.contract_id))
    return ids


def licence_command(data: st.DataObject, day: date) -> tuple[str, dict[str, Any]]:
    kind = data.draw(st.sampled_from(["grant_licence", "extend_licence", "make_licence_perpetual"]))
    if kind == "grant_licence":
        return kind, {"occurred_on": day}
    if kind == "extend_licence":
        return kind, {"occurred_on": day, "expires_on": day + timedelta(days=200), "reason": "more time"}
    return kind, {"occurred_on": day, "reason": "paid"}


def claim_command(data: st.DataObject, contract: Contract, day: date, serial: int) -> tuple[str, dict[str, Any]]:
    """File a claim, or give judgment on one still open (sometimes on one never filed: a refusal)."""
    pending = [c["claim_reference"] for c in contract.claims if c["judgment"] is None]
    if not pending:
        return "file_claim", {"occurred_on": day, "court": "County Court", "claim_reference": f"K-{serial}",
                              "amount_claimed": {"amount": max(contract.outstanding(), 1), "currency": contract.currency}}
    reference = data.draw(st.sampled_from([*pending, "never-filed"]), label="claim")
    return "record_judgment", {"occurred_on": day, "claim_reference": reference, "outcome": "for_claimant"}


def settle_step(contract: Contract, day: date, serial: int) -> tuple[str, dict[str, Any]]:
    """The next step towards a settled contract: pay what is outstanding, else deliver, accept and invoice the next
    milestone (so there are days with nothing owed before every milestone is invoiced: "active", not "settled")."""
    on = {"occurred_on": day}
    if contract.outstanding() > 0:
        amount = {"amount": contract.outstanding(), "currency": contract.currency}
        return "record_payment", {**on, "payment_id": f"s-{serial}", "amount": amount}
    for m in contract.milestones.values():
        if m.invoice_number is not None:
            continue
        if m.due == "on_acceptance" and m.status != "accepted":
            if m.status == "delivered":
                return "accept_milestone", {**on, "key": m.key}
            return "deliver_milestone", {**on, "key": m.key, "description": "work"}
        return "issue_invoice", {**on, "number": f"S-{serial}", "milestone_keys": [m.key]}
    return "log_communication", {**on, "direction": "outbound", "channel": "email", "summary": "thanks"}


def draw_command_or_rare(data: st.DataObject, contract: Contract, day: date, serial: int) -> tuple[str, dict[str, Any]]:
    """The shared workload, plus the licence and court commands it leaves out (one in twenty each), and steps
    towards settling the contract (five in twenty: random commands rarely get every milestone invoiced and paid)."""
    rare = data.draw(st.integers(0, 19), label="rare?")
    if rare == 19:
        return licence_command(data, day)
    if rare == 18:
        return claim_command(data, contract, day, serial)
    command, args = draw_command(data, contract, day, serial)
    unfinished = any(m.invoice_number is None for m in contract.milestones.values())
    if rare >= 13 or (command == "close_contract" and unfinished):  # most contracts closed before any invoice
        return settle_step(contract, day, serial)
    return command, args


def run_workload(app: LedgerApplication, runner: Runner, data: st.DataObject) -> date:
    ids = sign_contracts(app, data)
    days = {cid: date(2026, 1, 5) for cid in ids}
    for serial in range(COMMANDS_PER_EXAMPLE):
        cid = data.draw(st.sampled_from(ids), label="contract")
        days[cid] = draw_day(data, days[cid])
        command, args = draw_command_or_rare(data, app.get_contract(ACCOUNT, cid), days[cid], serial)
        with contextlib.suppress(LedgerError):  # refusals are part of the workload; they record nothing
            app.execute(ACCOUNT, cid, as_command(command, args), idempotency_key=f"{cid}-{serial}")
        if serial == COMMANDS_PER_EXAMPLE // 2:
            runner.catch_up()  # half the log now, the rest later: incremental batches must equal one pass
    runner.catch_up()
    return max(days.values())


def all_contract_rows(runner: Runner, as_of: str) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        page, cursor = list_contracts(runner.db, ACCOUNT, as_of, cursor=cursor, limit=5)
        rows += page
        if cursor is None:
            return rows


def compare_contracts(app: LedgerApplication, runner: Runner, folded: list[check.Folded], as_of: str) -> None:
    actual = {
        r["id"]: {"id": r["id"], "account_id": r["account_id"], "client_key": r["client"]["key"],
                  **{k: r[k]["amount"] for k in ("value", "invoiced", "paid", "credited", "written_off", "outstanding",
                                                  "overdue")},
                  "next_due_on": r["next_due_on"], "version": r["version"], "fingerprint": r["fingerprint"]["hash"],
                  "last_event_at": check.datetime.fromisoformat(r["last_event_at"]), "status": r["status"]}
        for r in all_contract_rows(runner, as_of)
    }
    assert actual == {c.contract_id: check.expected_contract(app, c, as_of) for c in folded}


def compare_aging(runner: Runner, folded: list[check.Folded], as_of: str) -> None:
    report = aging(runner.db, ACCOUNT, as_of)
    actual = sorted((i["contract_id"], i["invoice_number"], i["client_key"], i["outstanding"]["amount"], i["due_on"],
                     i["days_overdue"], i["bucket"]) for i in report["invoices"])
    expected = check.expected_aging(folded, as_of)
    assert actual == expected
    assert sum(t["outstanding"] for t in report["totals"]) == sum(row[3] for row in expected)


def compare_clients(runner: Runner, folded: list[check.Folded], as_of: str) -> None:
    expected = check.expected_clients(folded, as_of)
    actual = {c["client_key"]: c for c in client_behaviour(runner.db, ACCOUNT, as_of)}
    assert set(actual) == set(expected)
    for key, want in expected.items():
        got, late = actual[key], want["late"]
        assert (got["invoices_paid"], got["worst_days_late"]) == (len(late), max((max(x, 0) for x in late), default=None)), (key, got, late)
        if late:  # the API rounds to 0.1 day and 0.001 (half up): within half a unit, and a hair for the float
            assert abs(float(got["average_days_late"]) - sum(max(x, 0) for x in late) / len(late)) <= 0.05 + 1e-9, (got, late)
            assert abs(float(got["share_paid_on_time"]) - sum(1 for x in late if x <= 0) / len(late)) <= 0.0005 + 1e-9, (got, late)
        assert {a["currency"]: a["amount"] for a in got["arrears"]} == want["arrears"]
        assert got["invoices_unpaid"] == want["unpaid_count"], (key, got, want)
        assert {a["currency"]: a["amount"] for a in got["unpaid"]} == want["unpaid"]
        to_pay = want["to_pay"]
        assert (got["average_days_to_pay"] is None) == (not to_pay)
        if to_pay:
            assert abs(float(got["average_days_to_pay"]) - sum(to_pay) / len(to_pay)) <= 0.05 + 1e-9, (got, to_pay)
        assert (got["promises_kept"], got["promises_broken"], got["promises_pending"]) == (
            want["kept"], want["broken"], want["pending"])


def check_everything(app: LedgerApplication, runner: Runner, as_of: str) -> None:
    ids = [UUID(row[0]) for row in runner.db.fetchall("SELECT contract_id FROM rm_contracts")]
    folded = [check.fold(app, cid) for cid in ids]
    assert len(folded) == runner.db.fetchone("SELECT COUNT(*) FROM rm_licences")[0]  # type: ignore[index]
    compare_contracts(app, runner, folded, as_of)
    compare_aging(runner, folded, as_of)
    reminders = sorted((r["contract_id"], r["invoice_number"], r["stage"], r["stage_due_on"], r["fingerprint"]["hash"])
                       for r in reminders_due(runner.db, ACCOUNT, as_of))
    assert reminders == check.expected_reminders(app, folded, as_of)
    compare_clients(runner, folded, as_of)
    got = sorted((x["contract_id"], x["granted_on"], x["expires_on"], x["perpetual_on"], x["status"])
                 for x in licences(runner.db, ACCOUNT, as_of))
    assert got == check.expected_licences(folded, as_of)


def as_of_dates(app: LedgerApplication, runner: Runner, data: st.DataObject, last_day: date) -> list[str]:
    """Fixed dates, random days between events, and the edges of claims (filing, the day before and of judgment)."""
    fixed = [date(2026, 1, 20), date(2026, 3, 20), last_day, last_day + timedelta(days=45)]
    span = (last_day - START).days
    between = [START + timedelta(days=data.draw(st.integers(0, span), label="as_of")) for _ in range(6)]
    edges: set[str] = set()
    for (cid,) in runner.db.fetchall("SELECT contract_id FROM rm_contracts"):
        for claim in app.get_contract(ACCOUNT, UUID(cid)).claims:
            judged = [claim["judgment"]["on"]] if claim["judgment"] else []
            edges |= {claim["on"], *judged, *(day_before(d) for d in judged)}
    chosen = data.draw(st.lists(st.sampled_from(sorted(edges)), max_size=4, unique=True), label="claim edges") if edges else []
    return sorted({d.isoformat() for d in fixed + between} | set(chosen))


def day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def fresh_store(like: StoreConfig) -> StoreConfig:
    """A new empty store of the same kind for each hypothesis example (examples must not share state)."""
    if like.kind == "sqlite":
        return StoreConfig(f"sqlite:///{like.sqlite_path}.{uuid4().hex[:8]}")
    return StoreConfig(f"{like.pg_conninfo}?schema={pg.create_schema(like.pg_conninfo)}")


@settings(max_examples=5, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_read_model_equals_a_recomputation_from_the_raw_events(store: StoreConfig, data: st.DataObject) -> None:
    store = fresh_store(store)
    app = LedgerApplication(store, create_tables=True)
    runner = Runner(store, app=app, batch_size=data.draw(st.integers(1, 60), label="batch size"))
    try:
        last_day = run_workload(app, runner, data)
        for as_of in as_of_dates(app, runner, data, last_day):
            check_everything(app, runner, as_of)
        events = sum(len(list(app.chain_records(UUID(r[0])))) for r in runner.db.fetchall("SELECT contract_id FROM rm_contracts"))
        assert {row["events_applied"] for row in runner.status()} == {events}  # each event applied exactly once
    finally:
        runner.close()
        app.close()
