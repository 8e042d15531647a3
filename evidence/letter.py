"""letter-before-action.pdf: a pre-filled demand the supplier can sign and send.

Amount and how it is calculated, the contract, the deadline (30 days for an
individual in England and Wales under the Pre-Action Protocol for Debt Claims,
14 days otherwise: ``ledger.reminders.letter_response_days``), how to pay, and
the statement of account enclosed on the following page.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer

from evidence.bundle_pdf import claim_table, provisional_note, statement
from evidence.content import BundleContent, document_stamp
from evidence.pdfkit import BODY, H1, SMALL, Furniture, markup, money_fn, para, render, table, text
from ledger import dates
from ledger.reminders import letter_response_days
from ledger.us_rules import us_rule_for

# The pre-action rules quoted are those of England and Wales (as in ledger.reminders.letter_response_days).
ENGLAND_AND_WALES = ("GB-ENG", "GB-WLS", "GB-EAW")


def deadline(content: BundleContent) -> tuple[int, str]:
    c = content.contract
    days = letter_response_days(c.client["kind"], c.jurisdiction)
    return days, dates.add_days(content.as_of, days)


def invoice_rows(content: BundleContent) -> list[list[str]]:
    money = money_fn(content.currency)
    return [[i.number, i.due_on, money(i.outstanding), money(i.interest), money(i.compensation)]
            for i in content.claim.invoices]


def unpaid_sentence(content: BundleContent) -> str:
    """Mentions reminders only if some were recorded, by the as-of date, for an invoice claimed."""
    claimed = {i.number for i in content.claim.invoices}
    sent = sorted({r.occurred_on for r in content.records if r.event_type == "ReminderSent"
                   and r.occurred_on <= content.as_of and claimed & set(r.payload["invoice_numbers"])})
    if not sent:
        return "The invoices below were due and remain unpaid."
    listed = sent[0] if len(sent) == 1 else ", ".join(sent[:-1]) + " and " + sent[-1]
    return f"The invoices below were due and remain unpaid despite our reminder{'s' if len(sent) > 1 else ''} of {listed}."


def accrual_sentence(content: BundleContent) -> str:
    if not content.claim.interest:
        return "No interest or other charges are being added to this amount."
    if content.claim.regime.kind == "eu_statutory":  # the reference rate is reset every half-year
        return "Interest continues to accrue daily at the statutory rate for each half-year until payment."
    return "Interest continues to accrue daily at the same rate until payment."


def letter_body(content: BundleContent) -> list[Flowable]:
    c, claim, money = content.contract, content.claim, money_fn(content.currency)
    days, by = deadline(content)
    contract_ref = f"{c.title}" + (f" (reference {c.reference})" if c.reference else "") + f", signed on {c.signed_on}"
    paragraphs = [
        f"We write about the contract between us for {text(contract_ref)}. {text(unpaid_sentence(content))}",
        f"<b>You owe {text(money(claim.total))}</b> as of {text(claim.as_of)}, made up as follows.",
    ]
    flow: list[Flowable] = [markup(p) for p in paragraphs]
    label = "Damages" if claim.regime.damages_multiple else "Compensation"
    flow += table(["Invoice", "Due", "Outstanding", "Interest", label], invoice_rows(content),
                  [36 * mm, 30 * mm, 36 * mm, 36 * mm, 36 * mm], right=[2, 3, 4])
    flow += [Spacer(1, 2 * mm), *claim_table(content), Spacer(1, 3 * mm),
             markup(f"<b>How it is calculated.</b> {text(claim.regime.basis)} The working, period by period, is in the "
                    f"evidence bundle.")]
    flow += provisional_note(content)
    flow.append(para(accrual_sentence(content), BODY))
    flow += [markup(f"<b>What we ask.</b> Please pay {text(money(claim.total))} within {days} days of the date of this "
                    f"letter, that is by <b>{text(by)}</b>, by bank transfer to the account shown on our invoices, "
                    f"quoting {text(c.reference or str(c.id))}. If you dispute any part of the debt, tell us in writing "
                    f"by the same date, with your reasons and any documents you rely on."),
             para("If we receive neither payment nor a reply by that date, we intend to issue a claim in court for "
                  f"the amount above{', with further interest,' if claim.interest else ', with'} court fees and costs, "
                  "without further notice.", BODY)]
    return flow


def letter_header(content: BundleContent) -> list[Flowable]:
    c = content.contract
    supplier = "<br/>".join(text(x) for x in (c.supplier["name"], c.supplier.get("address"), c.supplier["email"]) if x)
    client = "<br/>".join(text(x) for x in (c.client["name"], c.client.get("address"), c.client["email"]) if x)
    return [markup(supplier, SMALL), Spacer(1, 8 * mm), markup(client, BODY), Spacer(1, 6 * mm),
            para(f"Date: {content.as_of}", BODY), para("LETTER BEFORE ACTION", H1),
            para(f"Contract: {c.title}" + (f" ({c.reference})" if c.reference else ""), BODY)]


def protocol_note(content: BundleContent) -> list[Flowable]:
    c = content.contract
    demand = us_rule_for(c.jurisdiction).demand_before_filing if c.jurisdiction.startswith("US") else ""
    if demand:
        return [para(f"{demand} Enclosed: the statement of account (next page).", SMALL)]
    if c.jurisdiction not in ENGLAND_AND_WALES:
        return [para("Enclosed: the statement of account (next page).", SMALL)]
    if c.client["kind"] == "individual":
        return [para("This letter is sent under the Pre-Action Protocol for Debt Claims. Enclosed: the statement of "
                     "account (next page), an Information Sheet, a Reply Form and a Financial Statement form. Please "
                     "reply on the Reply Form. You may wish to seek free independent debt advice.", SMALL)]
    return [para("This letter is sent in accordance with the Practice Direction on Pre-Action Conduct. Enclosed: the "
                 "statement of account (next page).", SMALL)]


def build_letter_pdf(content: BundleContent) -> bytes:
    c = content.contract
    story: list[Flowable] = [*letter_header(content), *letter_body(content), Spacer(1, 4 * mm),
                             para("Yours faithfully,", BODY), Spacer(1, 12 * mm), para(c.supplier["name"], BODY),
                             *protocol_note(content), PageBreak(), para("Enclosure: statement of account", H1),
                             *statement(content)[1:]]
    furniture = Furniture(head_left=f"{c.supplier['name']}: letter before action",
                          head_right=f"as of {content.as_of}", foot_left=f"Contract {c.id}")
    return render(story, furniture, title="Letter before action", subject=f"Contract {c.title}",
                  author=c.supplier["name"], keywords=document_stamp(content))
