"""The record sections of bundle.pdf: milestones, invoices, payments, reminders, communications,
disputes and leverage, chronology, documents. Each returns a list of flowables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from evidence.content import BundleContent, referenced_hashes
from evidence.describe import describe
from evidence.pdfkit import CELL, H1, H2, SMALL, figures_fn, money_fn, para, table
from ledger.chain import ChainRecord


def of_type(content: BundleContent, *types: str) -> Iterator[ChainRecord]:
    """Records of these types dated on or before the as-of date: the bundle states the record as it stood then."""
    return (r for r in content.records if r.event_type in types and r.occurred_on <= content.as_of)


def exhibits(content: BundleContent, record: ChainRecord) -> str:
    docs = content.exhibit_of
    return " ".join([f"E-{record.version}", *(docs[h] for h in referenced_hashes(record))])


def delivery_text(delivery: dict[str, Any]) -> str:
    links = [link for link in delivery["proof_links"] if link not in delivery["description"]]
    return f"{delivery['on']}: {delivery['description']}" + (f" (proof: {', '.join(links)})" if links else "")


def milestones(content: BundleContent) -> list[Flowable]:
    money, cur, as_of = figures_fn(content.currency), content.currency, content.as_of
    rows = []
    for m in content.contract.milestones.values():
        proof = "; ".join(delivery_text(d) for d in m.deliveries if d["on"] <= as_of) or "-"
        rejections = [r["reason"] for r in m.rejections if r["on"] <= as_of]
        accepted = m.accepted_on if m.accepted_on and m.accepted_on <= as_of else None
        accepted = accepted or ("rejected: " + "; ".join(rejections) if rejections else "-")
        rows.append([m.key, m.title, money(m.amount), m.due.replace("_", " "), proof, accepted,
                     invoice_by(content, m.invoice_number)])
    widths = [17 * mm, 28 * mm, 18 * mm, 20 * mm, 51 * mm, 20 * mm, 20 * mm]
    flow: list[Flowable] = [para("3. Milestones, delivery and acceptance", H1)]
    flow += table(["Key", "Title", f"Amount ({cur})", "Due", "Delivered (proof)", "Accepted", "Invoice"], rows, widths,
                  right=[2])
    events = list(of_type(content, "MilestoneDelivered", "MilestoneAccepted", "MilestoneRejected"))
    flow.append(para("Exhibits: " + ", ".join(f"{r.event_type} {r.payload['key']} {exhibits(content, r)}"
                                              for r in events) if events else "No deliveries recorded.", SMALL))
    return flow


def invoice_by(content: BundleContent, number: str | None) -> str:
    """The invoice number if that invoice had been issued by the as-of date, else "-"."""
    invoice = content.contract.invoices.get(number) if number else None
    return number if number and invoice and invoice.issued_on <= content.as_of else "-"


def invoices(content: BundleContent) -> list[Flowable]:
    money, as_of, cur = figures_fn(content.currency), content.as_of, content.currency
    rows = [[i.number, i.issued_on, i.due_on, money(i.amount), money(i.reduced(as_of, "payment")),
             money(i.reduced(as_of, "credit") + i.reduced(as_of, "write_off")), money(i.outstanding(as_of)),
             i.state(as_of).replace("_", " "), f"E-{i.issued_version} {i.issued_hash[:12]}…"]
            for i in sorted(content.contract.invoices.values(), key=lambda x: (x.issued_on, x.issued_version))
            if i.issued_on <= as_of]
    widths = [22 * mm, 19 * mm, 19 * mm, 19 * mm, 19 * mm, 17 * mm, 20 * mm, 15 * mm, 24 * mm]
    flow: list[Flowable] = [para("4. Invoices", H1)]
    flow += table(["Number", "Issued", "Due", f"Amount ({cur})", "Paid", "Credited, written off", "Outstanding",
                   "State", "Exhibit, fingerprint at issue"], rows, widths, right=[3, 4, 5, 6])
    flow.append(para("The fingerprint at issue is the chain head when the invoice was recorded: it pins the state of "
                     "the record the client received.", SMALL))
    return flow


def payments(content: BundleContent) -> list[Flowable]:
    money = figures_fn(content.currency)
    rows = []
    for r in of_type(content, "PaymentReceived", "PaymentReversed"):
        p = r.payload
        if r.event_type == "PaymentReceived":
            alloc = ", ".join(f"{n} {money(a)}" for n, a in p["allocations"].items())
            rows.append([r.occurred_on, p["payment_id"], p["method"].replace("_", " "), p.get("reference") or "-",
                         money(p["amount"]), alloc, f"E-{r.version}"])
        else:
            rows.append([r.occurred_on, p["payment_id"], "REVERSED", p["reason"], "", "", f"E-{r.version}"])
    widths = [20 * mm, 22 * mm, 18 * mm, 32 * mm, 22 * mm, 44 * mm, 16 * mm]
    return [para("5. Payments", H1), *table(["Value date", "Payment", "Method", "Reference",
                                             f"Amount ({content.currency})", "Allocated to", "Exhibit"], rows, widths,
                                            right=[4])]


def reminders(content: BundleContent) -> list[Flowable]:
    rows = [[r.occurred_on, ", ".join(r.payload["invoice_numbers"]), r.payload["stage"].replace("_", " "),
             r.payload["channel"].replace("_", " "), r.payload.get("tracking_reference") or "-",
             exhibits(content, r)]
            for r in of_type(content, "ReminderSent")]
    widths = [20 * mm, 30 * mm, 32 * mm, 26 * mm, 42 * mm, 24 * mm]
    return [para("6. Reminders and demands", H1),
            *table(["Date", "Invoices", "Stage", "Channel", "Tracking reference", "Exhibits"], rows, widths)]


def communications(content: BundleContent) -> list[Flowable]:
    rows = [[r.occurred_on, r.payload["direction"], r.payload["channel"].replace("_", " "),
             r.payload.get("counterpart") or "-", r.payload["summary"], exhibits(content, r)]
            for r in of_type(content, "CommunicationLogged", "PaymentPromised")
            if r.event_type == "CommunicationLogged"]
    promises = [[r.occurred_on, "promise", "-", "-", f"Promised {money_fn(content.currency)(r.payload['amount'])} "
                 f"by {r.payload['promised_by']}" + (f": {r.payload['note']}" if r.payload.get("note") else ""),
                 exhibits(content, r)] for r in of_type(content, "PaymentPromised")]
    widths = [18 * mm, 16 * mm, 16 * mm, 26 * mm, 74 * mm, 24 * mm]
    all_rows = sorted(rows + promises, key=lambda x: x[0])
    return [para("7. Communications and promises", H1),
            *table(["Date", "Direction", "Channel", "With", "Summary", "Exhibits"], all_rows, widths)]


LEVERAGE = ("DisputeOpened", "DisputeResolved", "WorkPaused", "WorkResumed", "LicenceGranted", "LicenceExtended",
            "LicenceMadePerpetual", "EscrowFunded", "EscrowReleased", "ClaimFiled", "JudgmentRecorded",
            "DebtWrittenOff", "ContractAmended", "ContractClosed")


def leverage(content: BundleContent) -> list[Flowable]:
    licence = content.contract.licence
    status = licence.status(content.as_of).replace("_", " ")
    rows = [[r.occurred_on, spaced(r.event_type), describe(r, content.currency), exhibits(content, r)]
            for r in of_type(content, *LEVERAGE)]
    widths = [20 * mm, 34 * mm, 96 * mm, 24 * mm]
    flow: list[Flowable] = [para("8. Disputes, work pauses, licence, escrow and claims", H1)]
    expiry = licence.expiry(content.as_of)  # as extended by then, not as first granted
    perpetual = licence.perpetual_on if licence.perpetual_on and licence.perpetual_on <= content.as_of else None
    flow.append(para(f"Licence status as of {content.as_of}: {status}"
                     + (f" until {expiry}" if expiry and status == "valid" else "")
                     + (f", perpetual since {perpetual}" if perpetual else ""), CELL))
    return flow + table(["Date", "Record", "Details", "Exhibits"], rows, widths)


@lru_cache(maxsize=256)  # a handful of event types, once per event in a chronology of thousands
def spaced(event_type: str) -> str:
    """``MilestoneDelivered`` -> ``Milestone Delivered`` (so it wraps in a narrow column)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", event_type)


def chronology(content: BundleContent) -> list[Flowable]:
    rows = [[r["exhibit"], r["occurred_on"], r["recorded_at"][:16].replace("T", " "), spaced(r["event"]),
             r["description"], r["documents"] or ""] for r in content.chronology]
    widths = [15 * mm, 20 * mm, 25 * mm, 30 * mm, 72 * mm, 12 * mm]
    intro = para(f"Every event dated on or before {content.as_of}, in date order. Exhibit E-n is line n of events.jsonl "
                 "(event version n); documents D-n are in attachments/. 'Recorded' is when the ledger learned of it "
                 "(UTC).", SMALL)
    later = [f"E-{r.version}" for r in content.records if r.occurred_on > content.as_of]
    after = [para(f"Dated after {content.as_of}, in events.jsonl but not taken into account here: "
                  f"{', '.join(later)}.", SMALL)] if later else []
    return [para("9. Chronology", H1), intro,
            *table(["Exhibit", "Date", "Recorded (UTC)", "Event", "Description", "Docs"], rows, widths), *after]


def documents(content: BundleContent) -> list[Flowable]:
    rows = [[d.exhibit, d.sha256, f"{len(d.content):,} bytes" if d.content is not None else "not held",
             ", ".join(f"E-{v}" for v in d.versions)] for d in content.documents]
    widths = [14 * mm, 108 * mm, 22 * mm, 30 * mm]
    return [para("Documents", H2), *table(["Exhibit", "SHA-256 (file attachments/<hash>)", "Size", "Referenced by"],
                                          rows, widths)]
