"""Plain-text rendering for the terminal: tables a newcomer can read."""

from __future__ import annotations

from typing import Any

from ledger.money import format_minor


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def amount(value: dict[str, Any]) -> str:
    return format_minor(value["amount"], value["currency"])


def summary_text(summary: dict[str, Any]) -> str:
    cur = summary["currency"]
    lines = [
        f"Contract   {summary['title']}  ({summary['id']})",
        f"Parties    {summary['supplier']['name']} (supplier)  ->  {summary['client']['name']} (client, {summary['client']['kind']})",
        f"Terms      {summary['jurisdiction']}, payment due {summary['payment_terms_days']} days after invoice, "
        f"late payment: {summary['late_payment']['kind']}",
        f"As of      {summary['as_of']}   status: {summary['status'].upper().replace('_', ' ')}",
        "",
        f"  value        {amount(summary['value']):>16}",
        f"  invoiced     {amount(summary['invoiced']):>16}",
        f"  paid         {amount(summary['paid']):>16}",
        f"  credited     {amount(summary['credited']):>16}",
        f"  outstanding  {amount(summary['outstanding']):>16}",
        f"  overdue      {amount(summary['overdue']):>16}",
        "",
        "Milestones",
        table(
            ["key", "title", "amount", "status", "delivered", "accepted", "invoice"],
            [
                [m["key"], m["title"], amount(m["amount"]), milestone_status(m), m["delivered_on"] or "-", m["accepted_on"] or "-",
                 m["invoice_number"] or "-"]
                for m in summary["milestones"]
            ],
            right={2},
        ),
        "",
        "Invoices",
        table(
            ["number", "issued", "due", "amount", "outstanding", "state", "days late", "reminders sent"],
            [
                [i["number"], i["issued_on"], i["due_on"], amount(i["amount"]), amount(i["outstanding"]), i["state"],
                 str(i["days_overdue"]), ", ".join(f"{r['stage'].replace('_', ' ')} {r['on']}" for r in i["reminders"]) or "-"]
                for i in summary["invoices"]
            ],
            right={3, 4, 6},
        ),
        "",
        f"Licence    {summary['licence']['status']}"
        + (f" until {summary['licence']['expires_on']}" if summary["licence"]["expires_on"] else ""),
        f"Next       {summary['next_action']}",
        f"Fingerprint  {summary['fingerprint']}  (version {summary['version']})",
    ]
    del cur
    return "\n".join(lines)


def milestone_status(milestone: dict[str, Any]) -> str:
    if milestone["due"] == "on_signing" and milestone["status"] == "pending":
        return "due on signing"
    return str(milestone["status"])


def statement_text(statement: dict[str, Any]) -> str:
    cur = statement["currency"]
    rows = [
        [r["date"], r["reference"], r["description"], format_minor(r["debit"], cur) if r["debit"] else "",
         format_minor(r["credit"], cur) if r["credit"] else "", format_minor(r["balance"], cur)]
        for r in statement["lines"]
    ]
    body = table(["date", "reference", "description", "debit", "credit", "balance"], rows, right={3, 4, 5})
    return f"{body}\nClosing balance as of {statement['as_of']}: {format_minor(statement['closing_balance'], cur)}"
