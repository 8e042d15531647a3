"""A reminder email from its templates: the stage, the invoices, what is owed to the day, how to pay, the fingerprint.

Templates are Jinja2 files in ``dunning/templates``: ``<stage>.txt.j2`` and
``<stage>.html.j2``, with more specific variants picked first where they exist:
``<stage>.<jurisdiction>.<client kind>``, then ``<stage>.<client kind>`` (an
individual's final notice, for example, offers a payment plan and mentions debt
advice). Interest and compensation come from the claim engine
(``ledger.claim.statement_of_claim``) as of the day the email goes.

The message is built once and kept: its bytes (CRLF line ends, as SMTP carries
them) are what is sent, stored and hashed. The Message-ID and the boundary are
derived from the dispatch intent, so the same intent always names the same
message.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ledger.claim import statement_of_claim
from ledger.contract import Contract
from ledger.dates import days_between
from ledger.errors import RatesUnavailable
from ledger.money import format_minor
from ledger.rates import RateTables

SUBJECTS = {
    "friendly": "Reminder: invoice {numbers} is due today",
    "firm": "Overdue: invoice {numbers}",
    "final_notice": "Final notice: invoice {numbers}",
}
SEND_HOUR_UTC = 9  # the Date header: 09:00 UTC on the day the email goes
PREVIEW_CHARS_MAX = 4000

templates = Environment(
    loader=PackageLoader("dunning", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def how_to_pay(contract: Contract, instructions: str | None) -> str:
    reference = contract.reference or str(contract.id)
    if instructions:
        return f"{instructions} Please quote {reference}."
    return f"by bank transfer to the account shown on our invoice, quoting {reference}."


def context(
    contract: Contract, numbers: list[str], day: str, tables: RateTables, instructions: str | None
) -> dict[str, Any]:
    """Everything the templates show, as of ``day``; amounts already formatted in the contract's currency."""
    try:
        claim = statement_of_claim(contract, day, tables)
        figures, basis = {i.number: i for i in claim.invoices if i.number in numbers}, claim.regime.basis
        provisional = "; ".join(claim.provisional)
    except RatesUnavailable:  # no rate can be given for this day: remind without the figure
        figures, basis, provisional = {}, "", ""
    money = lambda amount: format_minor(amount, contract.currency)  # noqa: E731
    invoices = [contract.invoices[n] for n in numbers]
    outstanding = sum(i.outstanding(day) for i in invoices)
    interest = sum(f.interest for f in figures.values())
    compensation = sum(f.compensation for f in figures.values())
    return {
        "client": contract.client,
        "supplier": contract.supplier,
        "as_of": day,
        "contract": {"title": contract.title, "reference": contract.reference, "signed_on": contract.signed_on},
        "invoices": [
            {
                "number": i.number,
                "due_on": i.due_on,
                "outstanding": money(i.outstanding(day)),
                "days_late": max(0, days_between(i.due_on, day)),
            }
            for i in invoices
        ],
        "outstanding": money(outstanding),
        "interest": money(interest),
        "compensation": money(compensation),
        "total": money(outstanding + interest + compensation),
        "interest_shown": bool(interest or compensation),
        "basis": basis,
        "provisional": provisional,
        "how_to_pay": how_to_pay(contract, instructions),
        "fingerprint": {"hash": contract.chain_head, "version": contract.version},
    }


def render(
    contract: Contract, stage: str, numbers: list[str], day: str, tables: RateTables, instructions: str | None = None
) -> Rendered:
    values = context(contract, numbers, day, tables, instructions)
    kind, region = contract.client["kind"], contract.jurisdiction
    parts = []
    for ext in ("txt", "html"):
        names = [f"{stage}.{region}.{kind}.{ext}.j2", f"{stage}.{kind}.{ext}.j2", f"{stage}.{ext}.j2"]
        parts.append(templates.select_template(names).render(values))
    subject = SUBJECTS[stage].format(numbers=", ".join(numbers))
    return Rendered(subject, parts[0], parts[1])


def message_id(intent_id: str, domain: str) -> str:
    return f"<dunning.{intent_id}@{domain}>"


def message_bytes(rendered: Rendered, *, intent_id: str, sender: str, recipient: str, day: str, domain: str) -> bytes:
    """The whole message (headers and both parts) as it goes over SMTP: CRLF line ends, fixed Date and boundary."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["Message-ID"] = message_id(intent_id, domain)
    message["Date"] = format_datetime(datetime.fromisoformat(day).replace(hour=SEND_HOUR_UTC, tzinfo=UTC))
    message["From"], message["To"], message["Subject"] = sender, recipient, rendered.subject
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    message.set_boundary(f"=_dunning_{intent_id}")
    return message.as_bytes(policy=email.policy.SMTP)
