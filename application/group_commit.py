"""Group commit: commands on different contracts, each run alone, saved together in one transaction.

A command is *prepared* alone (load, apply: ``Prepared``), then saved with
others: the contracts' new events, their idempotency records and invoice-number
records in one ``Application.save``, so one turn at the event log, one
commit and one fsync serve the whole group. On PostgreSQL every save takes the
event log's advisory lock from its insert to its commit (to keep notification
ids visible in order: ``infrastructure.ordered_log``), so writers of one store
commit one at a time whatever we do; a group amortises that turn and the commit
over its commands.

A group either commits whole or not at all. When its save fails (a conflict
with another writer: ``IntegrityError``; or any store error), nothing of it is
stored, and each command is run again ALONE on the ordinary path, which reloads,
replays an idempotency key already recorded and retries a conflict: a
conflicting or failing command never changes another's result or idempotency.

``GroupCommitter`` is the leader/follower queue of the HTTP threads of one
process: the first thread to reach the save with nobody saving becomes the
leader, takes what is queued (never two entries that write one aggregate),
saves it in one transaction and wakes the others with their outcome. The Kafka
consumer groups the commands of one poll itself (``consumers.command_consumer``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.idempotency import CommandResult, record_of
from ledger.contract import Contract


@dataclass
class Prepared:
    """One command applied to its freshly loaded contract, not yet saved; its result is fixed already."""

    account_id: str
    key: str
    digest: str
    contract: Contract
    extra: list[Aggregate]
    request_id: str | None = None
    earlier_pending: int = 0  # events of earlier commands of the group on the same contract object
    result: CommandResult = field(init=False)

    def __post_init__(self) -> None:
        pending = [type(e).__name__ for e in self.contract.pending_events[self.earlier_pending:]]
        self.result = CommandResult(str(self.contract.id), self.contract.version, self.contract.chain_head, pending)

    def aggregates(self) -> list[Aggregate]:
        """What one save must write for this command: the contract, its idempotency record, the invoice records.

        Several commands of a group may share one contract object: the save collects its events once.
        """
        return [self.contract, record_of(self.account_id, self.key, self.digest, self.result), *self.extra]

    def written_ids(self) -> set[UUID]:
        return {self.contract.id, *(a.id for a in self.extra)}


@dataclass
class Ticket:
    prepared: Prepared
    done: bool = False
    saved: bool = False


class GroupCommitter:
    """The HTTP threads' queue to the store: a leader saves what the others queued meanwhile, in one transaction.

    ``save_group`` returns True when the group is durable, False when nothing of it was stored (the callers
    then each fall back alone). The leader never holds the queue's lock while it talks to the store.
    """

    def __init__(self, save_group: Callable[[list[Prepared]], bool]) -> None:
        self.save_group = save_group
        self.changed = threading.Condition()
        self.queue: list[Ticket] = []
        self.saving = False

    def submit(self, prepared: Prepared) -> CommandResult | None:
        """The command's result once saved with its group, or None: not saved, run it again alone."""
        ticket = Ticket(prepared)
        with self.changed:
            self.queue.append(ticket)
            while self.saving and not ticket.done:
                self.changed.wait()
            if ticket.done:
                return ticket.prepared.result if ticket.saved else None
            self.saving = True
            group = self.take(ticket)
        saved = False
        try:
            saved = self.save_group([t.prepared for t in group])
        finally:
            with self.changed:
                for taken in group:
                    taken.done, taken.saved = True, saved
                self.saving = False
                self.changed.notify_all()
        return prepared.result if saved else None

    def take(self, leader: Ticket) -> list[Ticket]:
        """The leader's own entry first, then the queued ones that write none of the same aggregates (in order)."""
        group, written = [leader], leader.prepared.written_ids()
        for ticket in self.queue:
            if ticket is leader or written & ticket.prepared.written_ids():
                continue
            group.append(ticket)
            written |= ticket.prepared.written_ids()
        taken = {id(t) for t in group}
        self.queue = [t for t in self.queue if id(t) not in taken]
        return group
