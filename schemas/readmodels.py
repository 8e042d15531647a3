"""Query strings and responses of the read-model routes (contracts list, aging, reminders, clients, licences)."""

from __future__ import annotations

from marshmallow import fields, validate

from ledger.terms import EMAIL_MAX
from schemas.common import DAY_DESCRIPTION, MoneySchema, StrictSchema, day
from schemas.queries import today
from schemas.responses import FingerprintOut, Out, integer, iso_day, many, money, string

STATUSES = ("active", "awaiting_payment", "overdue", "in_dispute", "work_paused", "in_claim", "settled", "closed")
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
POSITION_TOKEN = r"^[A-Za-z0-9_-]{22}$"  # a pattern of sealed log positions (api.positions)  # nosec B105


class ReadModelQuery(StrictSchema):
    as_of = day(required=False, load_default=today,
                 description=f"a date in the world ({DAY_DESCRIPTION}); default today (UTC)")
    min_position = fields.String(
        validate=validate.Regexp(POSITION_TOKEN, error="an X-Ledger-Position token"),
        metadata={"description": "wait (at most 5 s) until the read model has applied this log position "
                                 "(the opaque X-Ledger-Position token of an earlier answer), for read-your-writes"},
    )


class ContractListQuery(ReadModelQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    client_email = fields.String(validate=validate.Length(3, EMAIL_MAX))
    overdue = fields.Boolean(metadata={"description": "true: only contracts with money overdue on as_of"})
    cursor = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,100}$", error="a cursor returned as next_cursor"))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class AgingQuery(ReadModelQuery):
    group_by = fields.String(load_default="client", validate=validate.OneOf(("client", "contract")))


class LicencesQuery(ReadModelQuery):
    expiring_before = day(required=False,
                          description=f"only time-limited licences expiring before this date ({DAY_DESCRIPTION})")


class ClientRefOut(Out):
    key = string()
    name = string()
    email = string()


class ContractRowOut(Out):
    id = string(format="uuid")
    account_id = string()
    title = string()
    client = fields.Nested(ClientRefOut, required=True)
    currency = string()
    value = money()
    invoiced = money()
    paid = money()
    credited = money()
    written_off = money()
    outstanding = money()
    overdue = money()
    status = string(enum=list(STATUSES))
    next_due_on = iso_day(nullable=True)
    signed_on = iso_day()
    last_event_at = string(format="date-time")
    version = integer()
    fingerprint = fields.Nested(FingerprintOut, required=True)


class ContractListOut(Out):
    as_of = iso_day()
    items = many(ContractRowOut)
    next_cursor = string(nullable=True)


class AgingInvoiceOut(Out):
    contract_id = string(format="uuid")
    invoice_number = string()
    client_key = string()
    client_name = string()
    amount = money()
    outstanding = money()
    issued_on = iso_day()
    due_on = iso_day()
    days_overdue = integer()
    bucket = string(enum=list(BUCKETS))
    fingerprint_at_issue = fields.Nested(FingerprintOut, required=True)


class AgingTotalOut(Out):
    currency = string()
    outstanding = integer()
    buckets = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "minor units per bucket: " + ", ".join(BUCKETS)})


class AgingGroupOut(Out):
    key = string(description="the client key or the contract id, by group_by")
    name = string()
    totals = many(AgingTotalOut)


class AgingOut(Out):
    as_of = iso_day()
    group_by = string(enum=["client", "contract"])
    invoices = many(AgingInvoiceOut)
    totals = many(AgingTotalOut)
    groups = many(AgingGroupOut)


class ReminderDueItemOut(Out):
    contract_id = string(format="uuid")
    client_key = string()
    client_name = string()
    invoice_number = string()
    stage = string(enum=["friendly", "firm", "final_notice", "letter_before_action", "ready_to_file"])
    channel = string()
    stage_due_on = iso_day()
    days_overdue = integer()
    outstanding = money()
    fingerprint = fields.Nested(FingerprintOut, required=True)


class RemindersDueOut(Out):
    as_of = iso_day()
    items = many(ReminderDueItemOut)


class ClientOut(Out):
    client_key = string()
    name = string()
    contracts = integer()
    invoices_paid = integer()
    average_days_late = string(nullable=True, description="decimal days, early payment counted as 0")
    worst_days_late = integer(nullable=True)
    share_paid_on_time = string(nullable=True, description="decimal fraction 0.000 to 1.000")
    average_days_to_pay = string(nullable=True, description="decimal days from issue to the day the balance reached "
                                                            "zero, over the invoices paid")
    invoices_unpaid = integer()
    unpaid = many(MoneySchema)
    arrears = many(MoneySchema)
    promises_kept = integer()
    promises_broken = integer()
    promises_pending = integer()


class ClientsOut(Out):
    as_of = iso_day()
    items = many(ClientOut)


class ClientDetailOut(ClientOut):
    as_of = iso_day()


class LicenceItemOut(Out):
    contract_id = string(format="uuid")
    client_key = string()
    client_name = string()
    title = string()
    terms_kind = string()
    kind = string()
    granted_on = iso_day(nullable=True)
    expires_on = iso_day(nullable=True)
    perpetual_on = iso_day(nullable=True)
    status = string(enum=["not_granted", "valid", "expired", "perpetual"])


class LicencesOut(Out):
    as_of = iso_day()
    items = many(LicenceItemOut)
