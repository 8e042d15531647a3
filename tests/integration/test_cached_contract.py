"""The cached contract that writers change in place (application.contract_cache) says what the events say.

A command changes the cached contract itself instead of a copy of it. These
tests check it against the contract rebuilt from its stored events alone
(``replay_contract``, no snapshot, no cache): after random command sequences,
some from a second application on the same store (another process, which the
cache fast-forwards over); after a command refused half-way, a failed save and a
lost race; and for a reader that arrives while a command is half-way through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.service import LedgerApplication
from infrastructure.store import StoreConfig
from ledger.commands import LogCommunication
from ledger.contract import Contract
from ledger.errors import InvalidTransition, LedgerError, StoreUnavailable
from ledger.views import contract_summary, statement
from tests.factories import as_command, signing, state_of, terms
from tests.workload import draw_command, draw_day

START = date(2026, 1, 5)


def note(day: date = START, summary: str = "called the client") -> LogCommunication:
    return LogCommunication(occurred_on=day, direction="outbound", channel="phone", summary=summary)


@dataclass(frozen=True, kw_only=True)
class LogThenRefuse(LogCommunication):
    """Refused half-way: its event is already applied to the contract when a later check refuses the command."""

    def apply(self, contract: Contract) -> None:
        super().apply(contract)
        raise InvalidTransition("refused after its first event")


@dataclass(frozen=True, kw_only=True)
class LogThenWait(LogCommunication):
    """Applies its event, then waits for the test to let it go on (and then is refused)."""

    applied: threading.Event
    go_on: threading.Event

    def args(self) -> dict[str, Any]:
        return {k: v for k, v in super().args().items() if k not in ("applied", "go_on")}

    def apply(self, contract: Contract) -> None:
        super().apply(contract)
        self.applied.set()
        self.go_on.wait(10)
        raise InvalidTransition("refused after its first event")


def cached(app: LedgerApplication, contract_id: str) -> Any:
    return app.contracts.cached(UUID(contract_id))


def same_as_events(app: LedgerApplication, account: str, contract_id: str, as_of: date) -> None:
    """What a reader gets (summary, statement, the state itself) equals the contract rebuilt from its events."""
    loaded = app.get_contract(account, contract_id)
    replayed = app.replay_contract(contract_id)
    assert state_of(loaded) == state_of(replayed)
    for day in (as_of.isoformat(), replayed.signed_on, (as_of - timedelta(days=20)).isoformat()):
        assert contract_summary(loaded, day) == contract_summary(replayed, day)
        assert statement(loaded, day) == statement(replayed, day)
    assert app.summary(account, contract_id, as_of) == contract_summary(replayed, as_of.isoformat())
    assert app.statement(account, contract_id, as_of) == statement(replayed, as_of.isoformat())


def replay_at(app: LedgerApplication, contract_id: str, version: int) -> Contract:
    """The contract at ``version`` from its events alone."""
    contract: Any = None
    for domain_event in app.events.get(UUID(contract_id), lte=version):
        contract = domain_event.mutate(contract)
    assert isinstance(contract, Contract)
    return contract


def new_contract(app: LedgerApplication) -> tuple[str, str]:
    account = f"acct-{uuid4().hex[:8]}"
    return account, app.sign_contract(account, signing(terms()), idempotency_key="sign").contract_id


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_commands_leave_the_cached_contract_equal_to_a_replay_of_its_events(
    store: StoreConfig, data: st.DataObject
) -> None:
    app, other = LedgerApplication(store, create_tables=True), LedgerApplication(store)
    try:
        account, contract_id = new_contract(app)
        today = START
        for serial in range(data.draw(st.integers(min_value=5, max_value=25), label="length")):
            today = draw_day(data, today)
            writer = other if data.draw(st.integers(0, 4), label="writer") == 0 else app  # another process, now and then
            command, args = draw_command(data, app.replay_contract(contract_id), today, serial)
            try:
                result = writer.execute(account, contract_id, as_command(command, args), idempotency_key=f"k{serial}")
            except LedgerError:
                pass
            else:  # the HTTP answer: the written contract as the write left it
                replayed_then = app.get_contract(account, contract_id, result.version)
                assert writer.render_written(account, contract_id, result.version, state_of) == state_of(replayed_then)
            same_as_events(app, account, contract_id, today + timedelta(days=30))
        same_as_events(other, account, contract_id, today + timedelta(days=30))
        assert app.verify(account, contract_id).ok
    finally:
        app.close()
        other.close()


def test_a_command_refused_half_way_leaves_no_trace(app: LedgerApplication) -> None:
    account, contract_id = new_contract(app)
    app.execute(account, contract_id, note(), idempotency_key="first")
    before = state_of(app.get_contract(account, contract_id))
    with pytest.raises(InvalidTransition):
        app.execute(account, contract_id, LogThenRefuse(occurred_on=START, direction="outbound", channel="phone",
                                                        summary="never recorded"), idempotency_key="refused")
    assert cached(app, contract_id) is None  # the changed contract is dropped, not kept
    after = app.get_contract(account, contract_id)
    assert state_of(after) == before and after.version == 2 and not after.communications[1:]
    assert state_of(app.replay_contract(contract_id)) == before
    app.execute(account, contract_id, note(summary="next"), idempotency_key="next")  # and the next command is fine
    same_as_events(app, account, contract_id, START)


def test_a_refusal_before_any_change_keeps_the_cached_contract(app: LedgerApplication) -> None:
    """Refusals check before they change anything (the domain property test's G4), so no reload is needed."""
    account, contract_id = new_contract(app)
    app.execute(account, contract_id, note(), idempotency_key="first")
    kept, before = cached(app, contract_id), state_of(app.get_contract(account, contract_id))
    with pytest.raises(LedgerError):
        app.execute(account, contract_id, as_command("accept_milestone", {"occurred_on": START, "key": "design"}),
                    idempotency_key="refused")
    assert cached(app, contract_id) is kept and state_of(kept) == before
    same_as_events(app, account, contract_id, START)


class FailingSave(LedgerApplication):
    """The store fails once: before writing (``commit=False``) or after the commit (the answer is lost)."""

    name = LedgerApplication.name
    failures = 0
    commit = False

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if type(self).failures:
            type(self).failures -= 1
            if type(self).commit:
                super().save(*objs, **kwargs)
            raise OperationalError("connection lost")
        return super().save(*objs, **kwargs)


@pytest.mark.parametrize("committed", [False, True])
def test_a_failed_save_leaves_no_trace_in_the_cache(store: StoreConfig, committed: bool) -> None:
    app = FailingSave(store, create_tables=True)
    try:
        account, contract_id = new_contract(app)
        app.execute(account, contract_id, note(), idempotency_key="first")
        before = app.get_contract(account, contract_id)
        FailingSave.failures, FailingSave.commit = 1, committed
        with pytest.raises(StoreUnavailable):
            app.execute(account, contract_id, note(summary="lost answer"), idempotency_key="second")
        assert cached(app, contract_id) is None
        after = app.get_contract(account, contract_id)
        assert after.version == before.version + (1 if committed else 0)
        if not committed:
            assert state_of(after) == state_of(before)
        same_as_events(app, account, contract_id, START)
        again = app.execute(account, contract_id, note(summary="lost answer"), idempotency_key="second")  # the retry
        assert again.version == before.version + 1 and again.replayed == committed
        same_as_events(app, account, contract_id, START)
    finally:
        FailingSave.failures = 0
        app.close()


class LosesTheRace(LedgerApplication):
    """Before its first save, another process records a command on the same contract."""

    name = LedgerApplication.name  # the same tables as the rival's
    rival: LedgerApplication | None = None
    target: tuple[str, str] | None = None

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        rival, self.rival = self.rival, None
        if rival is not None and self.target is not None:
            rival.execute(*self.target, note(summary="the rival's"), idempotency_key="rival")
        return super().save(*objs, **kwargs)


def test_a_lost_race_leaves_no_trace_and_the_retry_records_once(store: StoreConfig) -> None:
    app, rival = LosesTheRace(store, create_tables=True), LedgerApplication(store)
    try:
        account, contract_id = new_contract(app)
        app.execute(account, contract_id, note(), idempotency_key="first")
        app.target, app.rival = (account, contract_id), rival
        result = app.execute(account, contract_id, note(summary="mine"), idempotency_key="mine")
        assert result.version == 4 and not result.replayed
        summaries = [c["summary"] for c in app.replay_contract(contract_id).communications]
        assert summaries == ["called the client", "the rival's", "mine"]
        assert cached(app, contract_id).version == 4
        same_as_events(app, account, contract_id, START)
        same_as_events(rival, account, contract_id, START)
    finally:
        app.close()
        rival.close()


def test_a_reader_never_sees_a_command_half_way(sqlite_store: StoreConfig) -> None:
    app = LedgerApplication(sqlite_store, create_tables=True)
    try:
        account, contract_id = new_contract(app)
        app.execute(account, contract_id, note(), idempotency_key="first")
        before = state_of(app.get_contract(account, contract_id))
        applied, go_on, seen = threading.Event(), threading.Event(), []
        command = LogThenWait(occurred_on=START, direction="outbound", channel="phone", summary="half-way",
                              applied=applied, go_on=go_on)

        def write() -> None:
            with pytest.raises(InvalidTransition):
                app.execute(account, contract_id, command, idempotency_key="half")

        writer = threading.Thread(target=write)
        writer.start()
        assert applied.wait(10)  # the cached contract now holds the half-done command's event
        reader = threading.Thread(target=lambda: seen.append(state_of(app.get_contract(account, contract_id))))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive() and not seen  # the reader waits for the command to finish
        go_on.set()
        writer.join(10)
        reader.join(10)
        assert seen == [before]
        same_as_events(app, account, contract_id, START)
    finally:
        app.close()


def test_a_snapshot_taken_from_the_cached_contract_equals_one_rebuilt_from_events(store: StoreConfig) -> None:
    app = LedgerApplication(store, create_tables=True)
    try:
        account, contract_id = new_contract(app)
        for n in range(LedgerApplication.snapshotting_intervals[Contract] + 5):
            app.execute(account, contract_id, note(START + timedelta(days=n // 10), f"call {n}"), idempotency_key=f"n{n}")
        assert app.snapshots is not None
        found = list(app.snapshots.get(UUID(contract_id), desc=True, limit=1))
        assert [s.originator_version for s in found] == [100]
        replayed = app.replay_contract(contract_id)
        from_snapshot = app.repository.get(UUID(contract_id), version=replayed.version)  # snapshot + 6 events, no cache
        assert state_of(from_snapshot) == state_of(replayed)
        at_100 = app.repository.get(UUID(contract_id), version=100)
        assert vars(found[0].mutate(None)) == vars(at_100) == vars(replay_at(app, contract_id, 100))
        assert app.verify(account, contract_id).ok
    finally:
        app.close()


class CountingReloads(LedgerApplication):
    name = LedgerApplication.name
    reloads = 0

    def get_contract(self, account_id: str, contract_id: UUID | str, version: int | None = None) -> Contract:
        if version is not None:
            type(self).reloads += 1
        return super().get_contract(account_id, contract_id, version)


def test_answers_of_writers_racing_on_one_contract_are_their_own_versions_without_a_reload(pg_store: StoreConfig) -> None:
    """The HTTP answer: a write and the rendering of what it left, with no other write of the contract between."""
    app = CountingReloads(pg_store, create_tables=True)
    try:
        account, contract_id = new_contract(app)
        answers: list[tuple[int, str]] = []

        def writer(n: int) -> None:
            for k in range(6):
                with app.holding(contract_id):
                    result = app.execute(account, contract_id, note(summary=f"{n}-{k}"), idempotency_key=f"{n}-{k}")
                    answers.append((result.version, app.render_written(account, contract_id, result.version,
                                                                       lambda c: repr(c.communications[-1]))))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(v for v, _ in answers) == list(range(2, 38)) and CountingReloads.reloads == 0
        for version, last in answers:
            assert last == repr(replay_at(app, contract_id, version).communications[-1])
        same_as_events(app, account, contract_id, START)
    finally:
        CountingReloads.reloads = 0
        app.close()
