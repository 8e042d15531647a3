"""bundle.pdf: the document a judge, a debt collector or the client's finance team reads.

Cover sheet with the claim and the parties, then the statement of account, the
interest working, the record sections, the chronology and an integrity appendix
saying how to check all of it offline.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer

from evidence import sections
from evidence.content import BundleContent, document_stamp, provisional_sentence
from evidence.pdfkit import (
    BODY,
    BODY_WIDTH,
    H1,
    H2,
    SMALL,
    SUBTITLE,
    TITLE,
    Furniture,
    figures_fn,
    key_values,
    markup,
    money_fn,
    para,
    render,
    table,
    text,
)
from ledger.money import CURRENCIES, format_minor

RESULT = ParagraphStyle("result", parent=BODY, spaceBefore=3, spaceAfter=8)
CONTENTS = ("Contents: 1 Statement of account; 2 Interest and compensation; 3 Milestones, delivery and acceptance; "
            "4 Invoices; 5 Payments; 6 Reminders and demands; 7 Communications and promises; 8 Disputes, work pauses, "
            "licence, escrow and claims; 9 Chronology (exhibits E-n); 10 Integrity appendix and documents (D-n). "
            "Enclosed in the same ZIP: letter-before-action.pdf, events.jsonl, statement.csv, chronology.csv, "
            "interest.csv, rates/, attachments/, manifest.json.")
NOT_ADVICE = ("Prepared by the supplier's ledger software from its own records. The interest and compensation are "
              "computed under the rules stated; this document is not legal advice.")


def party(p: dict[str, Any]) -> str:
    parts = [p["name"], p.get("address"), p.get("email"),
             f"company number {p['company_number']}" if p.get("company_number") else None, p.get("kind")]
    return ", ".join(x for x in parts if x)


def claim_table(content: BundleContent) -> list[Flowable]:
    claim, money = content.claim, money_fn(content.currency)
    rows = [["Principal outstanding (overdue invoices)", money(claim.principal)],
            ["Late-payment interest to " + claim.as_of, money(claim.interest)],
            [claim.regime.compensation_label, money(claim.compensation)],
            ["Total claimed", money(claim.total)]]
    return table(["Claim as of " + claim.as_of, "Amount"], rows, [BODY_WIDTH - 50 * mm, 50 * mm], right=[1],
                 bold_last=True)


def provisional_note(content: BundleContent) -> list[Flowable]:
    """Said wherever the claim's figures appear, when a rate was carried forward past its verified-through date."""
    note = provisional_sentence(content)
    return [para(note, BODY)] if note else []


def cover(content: BundleContent, fingerprint: str, generated_at: str) -> list[Flowable]:
    c, money = content.contract, money_fn(content.currency)
    terms = [("Contract", f"{c.title}" + (f" (reference {c.reference})" if c.reference else "")),
             ("Contract id", str(c.id)), ("Signed on", c.signed_on), ("Jurisdiction", c.jurisdiction),
             ("Value", money(c.total)), ("Payment terms", f"{c.payment_terms_days} days after invoice"),
             ("Late payment", c.late_payment["kind"] + (f" at {c.late_payment['annual_rate_percent']}% a year"
                                                        if c.late_payment.get("annual_rate_percent") else "")),
             ("Licence", c.licence_terms["kind"].replace("_", " ")
              + (f", {c.licence_terms['months']} months" if c.licence_terms.get("months") else ""))]
    flow: list[Flowable] = [para("Evidence bundle", TITLE), para(f"{c.title}: statement of claim and record", SUBTITLE)]
    flow += [*claim_table(content), *provisional_note(content), Spacer(1, 4 * mm)]
    if content.claim.not_yet_due:
        flow.append(para(f"A further {money(content.claim.not_yet_due)} is invoiced but not yet due; it is not claimed.",
                         SMALL))
    flow += [para("Basis of the interest claimed", H2), para(content.claim.regime.basis, BODY)]
    flow += [para("Parties", H2), key_values([("Claimant (supplier)", party(c.supplier)),
                                              ("Defendant (client)", party(c.client))])]
    flow += [para("The contract", H2), key_values(terms), Spacer(1, 4 * mm), para(CONTENTS, SMALL), Spacer(1, 2 * mm)]
    flow.append(markup(f"<b>Fingerprint</b> (chain head, version {c.version}): <font size=8>{text(fingerprint)}</font>"
                       f"<br/>Generated {text(generated_at)}. {text(NOT_ADVICE)}", SMALL))
    return flow


def statement(content: BundleContent) -> list[Flowable]:
    cur, money = content.currency, figures_fn(content.currency)
    rows = [[r["date"], r["reference"], r["description"], money(r["debit"]) if r["debit"] else "",
             money(r["credit"]) if r["credit"] else "", money(r["balance"])] for r in content.statement]
    closing = content.statement[-1]["balance"] if content.statement else 0
    widths = [22 * mm, 26 * mm, 54 * mm, 24 * mm, 24 * mm, 24 * mm]
    return [para("1. Statement of account", H1), para(f"Every debit and credit up to {content.as_of}, in date order.",
                                                      SMALL),
            *table(["Date", "Reference", "Description", f"Debit ({cur})", f"Credit ({cur})", f"Balance ({cur})"], rows,
                   widths, right=[3, 4, 5]),
            para(f"Balance as of {content.as_of}: {format_minor(closing, cur)}", H2)]


def exact(amount: Decimal, currency: str) -> str:
    """Unrounded interest in major units, to two places beyond the minor unit (``48.9315``)."""
    exponent = CURRENCIES.get(currency, 2)
    return f"{(amount / Decimal(10) ** exponent).quantize(Decimal(1).scaleb(-(exponent + 2)))}"


def interest_rows(content: BundleContent, sources: dict[str, int]) -> tuple[list[list[str]], frozenset[int]]:
    cur = content.currency
    money, figures = money_fn(cur), figures_fn(cur)
    rows: list[list[str]] = []
    totals: set[int] = set()
    for figure in content.claim.invoices:
        for p in figure.periods:
            mark = sources.setdefault(p.source, len(sources) + 1)
            rows.append([figure.number, p.start, p.end, str(p.days), figures(p.principal),
                         f"{p.rate_percent}% [{mark}]", exact(p.interest, cur)])
        totals.add(len(rows))
        rows.append([figure.number, "", "", "", "", "interest, rounded", money(figure.interest)])
        if figure.compensation or figure.compensation_basis:
            label = content.claim.regime.compensation_label.lower()
            rows.append([figure.number, "", "", "", "", f"{label}: {figure.compensation_basis}",
                         money(figure.compensation)])
    return rows, frozenset(totals)


def interest(content: BundleContent) -> list[Flowable]:
    claim, cur = content.claim, content.currency
    flow: list[Flowable] = [para("2. Interest and compensation, step by step", H1), para(claim.regime.basis, BODY),
                            *provisional_note(content),
                            para("Interest for a period = principal x annual rate x days / 365, from the day after "
                                 "the due date. A new period starts when a payment, credit or reversal changes the "
                                 "principal, or (EU) at a half-year. The periods of an invoice are added and rounded "
                                 "half-up to the minor unit once.", SMALL)]
    if not claim.invoices:
        return [*flow, para("No invoice was late as of this date.", BODY)]
    sources: dict[str, int] = {}
    rows, totals = interest_rows(content, sources)
    widths = [24 * mm, 20 * mm, 20 * mm, 12 * mm, 26 * mm, 36 * mm, 36 * mm]
    flow += table(["Invoice", "From", "To", "Days", f"Principal ({cur})", "Rate a year [source]",
                   f"Interest ({cur})"], rows, widths, right=[3, 4, 6], bold_rows=totals)
    flow += [para(f"[{n}] {source}", SMALL) for source, n in sources.items()]
    money = money_fn(cur)
    flow.append(markup(f"<b>Total interest {text(money(claim.interest))}; total fixed compensation "
                       f"{text(money(claim.compensation))}.</b>", RESULT))
    return flow


def short_path(path: str) -> str:
    """An attachment's name is its SHA-256 (shown in full beside it): abbreviate it in the file column."""
    return f"attachments/{path[12:24]}…" if path.startswith("attachments/") else path


def integrity(content: BundleContent, fingerprint: str, files: dict[str, tuple[str, int]]) -> list[Flowable]:
    rows = [[short_path(path), digest, f"{size:,}"] for path, (digest, size) in sorted(files.items())]
    steps = ["Run <b>ledger evidence verify bundle.zip</b> (offline, no database). It checks every file against "
             "manifest.json, every event's hash and link, the rate tables in rates/ against its own, recomputes the "
             "statement, the interest and the totals from events.jsonl and rebuilds both PDFs from them; it prints OK "
             "with the fingerprint, or names the first file or event that fails.",
             "By hand: each line of events.jsonl is one event. Its hash is SHA-256 over the canonical JSON (sorted keys, "
             "no spaces, UTF-8) of {contract_id, version, type, payload, occurred_on, recorded_at, prev_hash}; "
             "prev_hash is the hash of the line before (64 zeros for the first). The hash of the last line is the "
             "fingerprint below.",
             "sha256sum on each file of the ZIP must give the figures in manifest.json (and below)."]
    return [para("10. Integrity appendix", H1),
            markup(f"<b>Fingerprint</b>: {text(fingerprint)} (version {content.contract.version}, "
                   f"{len(content.records)} events)", BODY),
            *[markup(s, BODY) for s in steps],
            para("Files in this bundle (bundle.pdf and manifest.json are listed in manifest.json)", H2),
            *table(["File", "SHA-256", "Bytes"], rows, [50 * mm, 108 * mm, 16 * mm], right=[2])]


def build_bundle_pdf(content: BundleContent, fingerprint: str, generated_at: str,
                     files: dict[str, tuple[str, int]]) -> bytes:
    c = content.contract
    story: list[Flowable] = [*cover(content, fingerprint, generated_at), PageBreak(), *statement(content),
                             *interest(content), PageBreak(), *sections.milestones(content), *sections.invoices(content),
                             *sections.payments(content), *sections.reminders(content),
                             *sections.communications(content), *sections.leverage(content), PageBreak(),
                             *sections.chronology(content), PageBreak(), *integrity(content, fingerprint, files),
                             *sections.documents(content)]
    furniture = Furniture(head_left=f"Evidence bundle: {c.title}" + (f" ({c.reference})" if c.reference else ""),
                          head_right=f"{c.supplier['name']} v {c.client['name']} - as of {content.as_of}",
                          foot_left=f"Contract {c.id}  fingerprint {fingerprint[:16]}... (version {c.version})")
    return render(story, furniture, title=f"Evidence bundle: {c.title}", subject=f"Statement of claim as of {content.as_of}",
                  author=c.supplier["name"], keywords=document_stamp(content))
