"""The read models: each a name, its tables and how a contract becomes its rows.

Every table's first column is ``contract_id``: a batch deletes the rows of the
contracts it touched and inserts their new rows. ``DROP``/``CREATE`` here is the
only DDL of the read models; the tracking table lives in ``projections.projector``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.contract import Contract
from projections import rows


@dataclass(frozen=True)
class Table:
    name: str
    columns: str  # column definitions, portable between SQLite and PostgreSQL
    primary_key: str
    indexes: tuple[str, ...] = ()

    @functools.cached_property
    def numbered(self) -> bool:
        """Rows get a sequence number appended (tables keyed by ``seq``: entries, reminders, holds)."""
        return self.columns.rstrip().endswith("seq BIGINT")

    @property
    def width(self) -> int:
        return len([c for c in self.columns.split(",") if c.strip()])

    def ddl(self) -> list[str]:
        statements = [f"CREATE TABLE IF NOT EXISTS {self.name} ({self.columns}, PRIMARY KEY ({self.primary_key}))"]
        for index, columns in enumerate(self.indexes):
            statements.append(f"CREATE INDEX IF NOT EXISTS {self.name}_i{index} ON {self.name} ({columns})")
        return statements


@dataclass(frozen=True)
class ReadModel:
    name: str
    description: str
    tables: tuple[Table, ...]
    rows: Callable[[Contract], dict[str, list[tuple[Any, ...]]]]


ENTRY_COLUMNS = "contract_id TEXT, number TEXT, on_date TEXT, until_date TEXT, amount BIGINT"


def entries(prefix: str) -> Table:
    # No primary key of its own: (contract_id, number, rowid) is unique enough; the pk below covers lookups.
    return Table(f"{prefix}_entries", ENTRY_COLUMNS + ", seq BIGINT", "contract_id, number, seq")


CONTRACTS = ReadModel(
    "contracts",
    "one row per contract, with dated entries and status intervals: figures and status as of any date",
    (
        Table("rm_contracts",
              "contract_id TEXT, account_id TEXT, client_key TEXT, client_name TEXT, client_email TEXT, title TEXT, "
              "currency TEXT, value BIGINT, signed_on TEXT, last_event_at TEXT, version BIGINT, "
              "fingerprint TEXT",
              "contract_id", ("account_id, contract_id", "account_id, client_email")),
        Table("rm_contract_entries",
              "contract_id TEXT, account_id TEXT, number TEXT, due_on TEXT, kind TEXT, on_date TEXT, until_date TEXT, "
              "amount BIGINT, seq BIGINT",
              "contract_id, seq", ("account_id, on_date",)),
        Table("rm_contract_intervals", "contract_id TEXT, kind TEXT, start_on TEXT, end_before TEXT, seq BIGINT",
              "contract_id, seq"),
    ),
    rows.contract_rows,
)
AGING = ReadModel(
    "aging",
    "every invoice with dated entries of its outstanding balance",
    (
        Table("rm_aging_invoices",
              "contract_id TEXT, number TEXT, account_id TEXT, client_key TEXT, client_name TEXT, currency TEXT, "
              "amount BIGINT, issued_on TEXT, due_on TEXT, voided_on TEXT, fingerprint TEXT, fingerprint_version BIGINT",
              "contract_id, number", ("account_id, due_on",)),
        entries("rm_aging"),
    ),
    rows.aging_rows,
)
REMINDERS = ReadModel(
    "reminders",
    "invoices with their reminder policy, reminders sent and holds (disputes, promises)",
    (
        Table("rm_reminder_invoices",
              "contract_id TEXT, number TEXT, account_id TEXT, client_key TEXT, client_name TEXT, currency TEXT, "
              "due_on TEXT, offsets_days TEXT, response_days INTEGER, fingerprint TEXT, fingerprint_version BIGINT",
              "contract_id, number", ("account_id, due_on",)),
        entries("rm_reminder"),
        Table("rm_reminders_sent", "contract_id TEXT, number TEXT, stage TEXT, on_date TEXT, seq BIGINT",
              "contract_id, number, seq"),
        Table("rm_reminder_holds", "contract_id TEXT, number TEXT, kind TEXT, start_on TEXT, end_before TEXT, seq BIGINT",
              "contract_id, seq"),
    ),
    rows.reminder_rows,
)
CLIENTS = ReadModel(
    "clients",
    "per client: invoices paid and how late, arrears, promises, all as of any date",
    (
        Table("rm_client_contracts", "contract_id TEXT, account_id TEXT, client_key TEXT, client_name TEXT",
              "contract_id", ("account_id, client_key",)),
        Table("rm_client_invoices",
              "contract_id TEXT, number TEXT, account_id TEXT, client_key TEXT, client_name TEXT, currency TEXT, "
              "due_on TEXT",
              "contract_id, number", ("account_id, client_key",)),
        # [start_on, end_before): the days the invoice counts as paid, and the day its balance reached zero.
        Table("rm_client_paid",
              "contract_id TEXT, number TEXT, account_id TEXT, client_key TEXT, start_on TEXT, end_before TEXT, "
              "settled_on TEXT, days_late INTEGER, seq BIGINT",
              "contract_id, seq", ("account_id, client_key",)),
        entries("rm_client"),
        Table("rm_client_promises",
              "contract_id TEXT, seq BIGINT, account_id TEXT, client_key TEXT, on_date TEXT, promised_by TEXT, "
              "amount BIGINT",
              "contract_id, seq", ("account_id, client_key",)),
        # Payments in each promise's window, dated: a promise is judged on the payments in force on ``as_of``.
        Table("rm_client_promise_payments",
              "contract_id TEXT, promise BIGINT, on_date TEXT, until_date TEXT, amount BIGINT, seq BIGINT",
              "contract_id, seq"),
    ),
    rows.client_rows,
)
LICENCES = ReadModel(
    "licences",
    "each contract's licence state and expiry",
    (
        Table("rm_licences",
              "contract_id TEXT, account_id TEXT, client_key TEXT, client_name TEXT, title TEXT, terms_kind TEXT, "
              "granted_on TEXT, expires_on TEXT, perpetual_on TEXT",
              "contract_id", ("account_id, contract_id",)),
        Table("rm_licence_extensions", "contract_id TEXT, on_date TEXT, expires_on TEXT, seq BIGINT", "contract_id, seq"),
    ),
    rows.licence_rows,
)

READ_MODELS: dict[str, ReadModel] = {m.name: m for m in (CONTRACTS, AGING, REMINDERS, CLIENTS, LICENCES)}


def numbered(table: Table, rows_of_table: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Append a sequence number to rows of tables keyed by ``seq`` (entries, reminders, holds)."""
    if not table.numbered:
        return rows_of_table
    return [(*row, index) for index, row in enumerate(rows_of_table)]
