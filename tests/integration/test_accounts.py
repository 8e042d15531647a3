"""Accounts and API keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from application.service import LedgerApplication
from ledger.errors import AlreadyExists, NotFound, ValidationError


def stored_states(app: LedgerApplication) -> list[bytes]:
    return [n.state for n in app.recorder.select_notifications(start=1, limit=1000)]


def test_a_key_authenticates_as_the_account_it_was_created_for(app: LedgerApplication) -> None:
    first, second = app.create_account("Ada Byte Studio"), app.create_account("Northwind")
    key_first, key_second = app.create_api_key(first), app.create_api_key(second)
    assert app.authenticate(key_first) == first
    assert app.authenticate(key_second) == second
    assert key_first != key_second


@pytest.mark.parametrize("key", ["", "lk_wrong", "x" * 500])
def test_an_unknown_or_malformed_key_authenticates_as_nobody(app: LedgerApplication, key: str) -> None:
    app.create_api_key(app.create_account("Ada"))
    assert app.authenticate(key) is None


def test_the_store_holds_the_keys_hash_and_never_the_key(app: LedgerApplication) -> None:
    key = app.create_api_key(app.create_account("Ada"))
    everything = b"".join(stored_states(app))
    assert key.encode() not in everything
    assert hashlib.sha256(key.encode()).hexdigest().encode() in everything


def test_a_key_for_an_account_that_does_not_exist_is_refused_and_nothing_is_recorded(app: LedgerApplication) -> None:
    before = stored_states(app)
    with pytest.raises(NotFound):
        app.create_api_key("no-such-account")
    assert stored_states(app) == before


def test_an_account_id_can_be_given_once_only(app: LedgerApplication) -> None:
    assert app.create_account("Dev", account_id="dev") == "dev"
    before = stored_states(app)
    with pytest.raises(AlreadyExists):
        app.create_account("Another", account_id="dev")
    with pytest.raises(ValidationError):
        app.create_account("Bad", account_id="Not Valid!")
    assert stored_states(app) == before
