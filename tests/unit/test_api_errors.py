"""The one mapping from LedgerError codes to HTTP statuses, and the service settings."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from api.config import settings
from api.errors import on_ledger_error, problem
from ledger import errors
from ledger.errors import ConfigurationError, LedgerError, all_error_classes

app = Flask(__name__)


def expected_status(cls: type[LedgerError], if_match: bool) -> int:
    """Written out from the issue: 404 missing, 409 conflicts, 412 stale If-Match, 422 input and rules."""
    if issubclass(cls, errors.NotFound):
        return 404
    if issubclass(cls, (errors.AlreadyExists, errors.IdempotencyConflict)):
        return 409
    if issubclass(cls, errors.VersionConflict):
        return 412 if if_match else 409
    if issubclass(cls, (errors.StoreUnavailable, errors.MailNotSent)):
        return 503  # retryable: the store or the mail server did not answer
    if issubclass(cls, (errors.ConfigurationError, errors.HistoryMismatch)):
        return 500  # the service's own fault: misconfigured, or its history was altered
    if issubclass(cls, errors.RateLimited):
        return 429
    return 422


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda cls: cls.code)
@pytest.mark.parametrize("if_match", [False, True])
def test_every_ledger_error_has_its_status_and_a_problem_body_with_its_code(cls: type[LedgerError], if_match: bool) -> None:
    headers = {"If-Match": '"3"'} if if_match else {}
    with app.test_request_context("/", headers=headers):
        response = on_ledger_error(make(cls))
    body = json.loads(response.get_data())
    assert response.status_code == expected_status(cls, if_match)
    assert response.mimetype == "application/problem+json"
    assert body["code"] == cls.code and body["status"] == response.status_code
    assert body["type"] == f"urn:paid-ledger:problem:{cls.code}"


def make(cls: type[LedgerError]) -> LedgerError:
    return cls("refused for the test")


def test_a_validation_error_names_its_fields_and_an_invalid_amount_its_field() -> None:
    with app.test_request_context("/"):
        fields = json.loads(on_ledger_error(errors.ValidationError("bad", {"stage": ["invalid"]})).get_data())
        amount = json.loads(on_ledger_error(errors.InvalidAmount("zero", field="amount")).get_data())
    assert fields["errors"] == {"stage": ["invalid"]}
    assert amount["errors"] == {"amount": ["zero"]}


def test_a_problem_is_the_same_bytes_every_time() -> None:
    with app.test_request_context("/"):
        first, second = problem(409, "idempotency_conflict", "x"), problem(409, "idempotency_conflict", "x")
    assert first.get_data() == second.get_data()
    assert set(json.loads(first.get_data())) == {"type", "title", "status", "detail", "code", "errors"}


def test_settings_come_from_defaults_then_the_environment_then_the_caller() -> None:
    environ = {"LEDGER_DATABASE_URL": "sqlite:////tmp/env.db", "LEDGER_MAX_BODY_BYTES": "2048", "OTHER": "x"}
    values = settings(environ, {"MAX_BODY_BYTES": 4096}, {})
    assert values["DATABASE_URL"] == "sqlite:////tmp/env.db"
    assert values["MAX_BODY_BYTES"] == 4096
    assert settings(environ, None, {})["MAX_BODY_BYTES"] == 2048
    assert settings({}, None, {})["MAX_BODY_BYTES"] == 1024 * 1024
    assert settings({"LEDGER_CREATE_TABLES": "no"}, None, {})["CREATE_TABLES"] is False


@pytest.mark.parametrize(("name", "value"), [("LEDGER_MAX_BODY_BYTES", "lots"), ("LEDGER_MAX_BODY_BYTES", "0"),
                                             ("LEDGER_CREATE_TABLES", "maybe")])
def test_a_setting_that_does_not_parse_stops_the_start(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError):
        settings({name: value}, None, {})
