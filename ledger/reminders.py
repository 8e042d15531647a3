"""The reminder schedule: which stage an invoice needs on a date, as a pure function.

Default policy: friendly at the due date, firm at +10 days, final notice at +20,
letter before action at +30, then "ready to file" once the letter's response
period has passed. A payment clearing the invoice, a void, an open dispute over
the invoice, or a promise to pay whose date has not passed holds the reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger import dates

STAGES = ("friendly", "firm", "final_notice", "letter_before_action")
READY_TO_FILE = "ready_to_file"
CHANNELS = ("email", "post", "certified_mail", "phone", "sms")


def stage_names(offsets: list[int]) -> list[str]:
    """Names for a policy's offsets: first friendly, last letter before action, firm then final notice between."""
    count = len(offsets)
    if count == 1:
        return ["letter_before_action"]
    middle = ["firm", "final_notice"] + ["final_notice"] * max(0, count - 4)
    return ["friendly", *middle[: count - 2], "letter_before_action"]


def suggested_channel(stage: str) -> str:
    return {"letter_before_action": "certified_mail", READY_TO_FILE: "court"}.get(stage, "email")


def letter_response_days(client_kind: str, jurisdiction: str) -> int:
    """Pre-Action Protocol for Debt Claims gives an individual in England and Wales 30 days; otherwise 14."""
    if client_kind == "individual" and jurisdiction in ("GB-ENG", "GB-WLS", "GB-EAW"):
        return 30
    return 14


@dataclass(frozen=True)
class ReminderDue:
    invoice_number: str
    stage: str
    channel: str
    due_on: str  # the date this stage became due
    days_overdue: int
    outstanding: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "invoice_number": self.invoice_number,
            "stage": self.stage,
            "channel": self.channel,
            "stage_due_on": self.due_on,
            "days_overdue": self.days_overdue,
            "outstanding": self.outstanding,
        }


def next_reminder(
    *,
    invoice_number: str,
    due_on: str,
    outstanding: int,
    offsets: list[int],
    sent: list[dict[str, Any]],
    held: bool,
    response_days: int,
    as_of: str,
) -> ReminderDue | None:
    """The stage due for one invoice on ``as_of``, or None.

    ``sent`` holds the invoice's reminders ({"stage", "on"}) recorded up to ``as_of``;
    ``held`` is true while a dispute is open or an unbroken promise covers it.
    """
    if outstanding <= 0 or held:
        return None
    days = dates.days_between(due_on, as_of)
    names = stage_names(offsets)
    sent_stages = {r["stage"] for r in sent if r["on"] <= as_of}
    letters = sorted(r["on"] for r in sent if r["stage"] == "letter_before_action" and r["on"] <= as_of)
    if letters:
        deadline = dates.add_days(letters[0], response_days)
        if as_of > deadline:
            return ReminderDue(invoice_number, READY_TO_FILE, "court", dates.add_days(deadline, 1), days, outstanding)
        return None
    reached = [i for i, offset in enumerate(offsets) if offset <= days]
    if not reached:
        return None
    top = reached[-1]
    last_sent = max((i for i, name in enumerate(names) if name in sent_stages), default=-1)
    if top <= last_sent:
        return None
    stage = names[top]
    return ReminderDue(
        invoice_number, stage, suggested_channel(stage), dates.add_days(due_on, offsets[top]), days, outstanding
    )
