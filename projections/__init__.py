"""Read models built from the event log: contracts index, aging, reminders due, client behaviour, licences.

Layout
------
``models``     the read models: name, tables, and how one contract becomes its rows (``rows``, pure).
``projector``  applies a ``Batch`` of contract events and records the position, in ONE transaction.
``runner``     the local source: reads ``recorder.select_notifications`` and feeds the projector in
               batches (``ledger project``, the background thread of ``ledger serve``); idle, it polls on
               SQLite and is woken by the store's NOTIFY on PostgreSQL (``wake``).
``queries``, ``contracts``, ``clients``  what the API and CLI ask, for any ``as_of``.
``db``         the store's SQLite file or PostgreSQL schema, for any number of threads; all read-model SQL is here.
``pgpool``     PostgreSQL: one bounded connection pool per store per process, shared by every ``db.Database``.

Plugging in another event source (Kafka)
----------------------------------------
The projector does not care where events come from. A source builds
``projector.Batch(source, position, events)``:

- ``source``: a string naming one ordered stream, e.g. ``"log"`` for the local
  notification log, ``"kafka:ledger.events:3"`` for partition 3 of the topic;
- ``position``: the position of the LAST message read in that stream (its
  notification id; for Kafka the next offset to read, the last offset + 1),
  including messages that carry no contract event -- skipping them must still
  move the position;
- ``events``: ``ContractEvent(position, contract_id, version, event)`` in stream
  order; ``event`` is the decoded domain event (``app.mapper.to_domain_event``),
  or None to make the projector load the contract at ``version`` from the store.

``Projector(app, Database(store), names).apply(batch)`` then, in one transaction,
replaces the rows of every contract the batch touched (for each read model
whose stored position for ``source`` is behind ``batch.position``) and moves
that position, guarded by the position it read (``ConcurrentRunner`` if another
process moved it). Positions live in ``rm_tracking (projection, source,
position, events_applied)``; ``Projector.positions(source)`` tells a Kafka
consumer where to seek after a restart. Per-contract order is all the
projector needs: events of one contract arrive in version order in both the
log and a topic keyed by contract id; a gap (a contract whose earlier events
this process has not seen) is filled from the event store.
"""

from projections.projector import Batch, ContractEvent, Projector
from projections.runner import Runner, start_background

__all__ = ["Batch", "ContractEvent", "Projector", "Runner", "start_background"]
