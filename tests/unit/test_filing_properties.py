"""Particulars of claim on any contract hypothesis generates: within 1,080 characters, and always stating the
amount, the basis of the claim and the interest (or that none is claimed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.filing import PARTICULARS_LIMIT, SEE_BUNDLE, filing_for
from ledger.money import format_minor
from ledger.rates import load_rate_tables

TABLES = load_rate_tables()
RATES_END = date(2026, 12, 31)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\u2028 "),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip())
LATE = st.sampled_from([{"kind": "statutory"}, {"kind": "none"}, {"kind": "contractual", "annual_rate_percent": "9.5"}])


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


@st.composite
def contracts(draw: st.DrawFn) -> tuple[Contract, str]:
    jurisdiction, currency = draw(
        st.sampled_from([("GB-ENG", "GBP"), ("EU-DE", "EUR"), ("US-CA", "USD"), ("US-NY", "USD"), ("GB-WLS", "GBP")])
    )
    amounts = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=20))
    signed_on = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 500)))
    contract = Contract.sign(
        contract_id=uuid4(),
        account_id="acct",
        occurred_on=signed_on,
        title=draw(names),
        reference=draw(st.none() | names.map(lambda s: s[:100])),
        currency=currency,
        supplier={"name": draw(names), "email": "s@example.com"},
        client={
            "name": draw(names),
            "email": "c@example.com",
            "kind": draw(st.sampled_from(["business", "individual"])),
        },
        total=money(sum(amounts), currency),
        jurisdiction=jurisdiction,
        late_payment=draw(LATE),
        milestones=[
            {"key": f"m{n}", "title": f"Stage {n}", "amount": money(a, currency), "due": "on_signing"}
            for n, a in enumerate(amounts)
        ],
    )
    day = signed_on
    for n, amount in enumerate(amounts):
        day += timedelta(days=draw(st.integers(0, 20)))
        contract.issue_invoice(
            number=f"INV-{n:04d}",
            occurred_on=day,
            milestone_keys=[f"m{n}"],
            due_on=day + timedelta(days=draw(st.integers(0, 30))),
        )
        if draw(st.booleans()):
            contract.record_payment(
                payment_id=f"p{n}",
                occurred_on=day + timedelta(days=draw(st.integers(1, 90))),
                amount=money(draw(st.integers(1, amount)), currency),
            )
    as_of = min(day + timedelta(days=draw(st.integers(0, 400))), RATES_END)  # the packaged tables end there
    return contract, as_of.isoformat()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contracts())
def test_particulars_never_exceed_1080_characters_and_state_amount_basis_and_interest(
    drawn: tuple[Contract, str],
) -> None:
    contract, as_of = drawn
    claim = statement_of_claim(contract, as_of, TABLES)
    filing = filing_for(contract, claim)
    text = filing.particulars
    assert len(text) <= PARTICULARS_LIMIT == 1080
    assert format_minor(claim.total, contract.currency) in text  # the amount
    assert "written contract" in text and contract.signed_on in text  # the basis of the claim
    assert "Interest: " in text  # the interest: its law, rate, amount and daily amount, or that none is claimed
    if claim.regime.kind in ("uk_statutory", "eu_statutory", "us_statutory", "contractual"):
        assert "a year" in text and format_minor(claim.interest, contract.currency) + f" to {as_of}" in text
        assert format_minor(filing.daily_interest, contract.currency) + " a day" in text
    else:
        assert "Interest: none is claimed" in text and claim.interest == 0
    assert (text == filing.statement) != text.endswith(SEE_BUNDLE)  # shortened exactly when the whole does not fit
