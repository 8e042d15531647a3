"""Terminal tables of the read models: the aging report and the reminders due."""

from __future__ import annotations

from typing import Any

from ledger.money import format_minor
from ledger_cli.render import amount, table
from projections.queries import BUCKETS


def aging_text(report: dict[str, Any]) -> str:
    rows = [[i["client_name"], i["invoice_number"], i["due_on"], str(i["days_overdue"]), i["bucket"],
             amount(i["outstanding"])] for i in report["invoices"]]
    text = table(["client", "invoice", "due", "days late", "bucket", "outstanding"], rows, right={3, 5})
    names = [name for name, _ in BUCKETS]
    total_rows = [[*(format_minor(t["buckets"][n], t["currency"]) for n in names), format_minor(t["outstanding"], t["currency"])]
                  for t in report["totals"]]
    totals = table([*names, "total"], total_rows, right=set(range(len(names) + 1)))
    return f"{text}\n\n{totals}"


def reminders_text(due: list[dict[str, Any]]) -> str:
    if not due:
        return "(no reminders due)"
    rows = [[d["client_name"], d["invoice_number"], d["stage"].replace("_", " "), d["channel"].replace("_", " "),
             d["stage_due_on"], amount(d["outstanding"]), f"{d['fingerprint']['hash'][:16]}… v{d['fingerprint']['version']}"]
            for d in due]
    return table(["client", "invoice", "stage", "channel", "since", "outstanding", "fingerprint"], rows, right={5})
