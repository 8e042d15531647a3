"""Reading the request at the edge: If-Match, Idempotency-Key, JSON bodies, command loading."""

from __future__ import annotations

import pytest
from flask import Flask
from marshmallow import ValidationError

from api.edge import expected_version, idempotency_key, json_body, load_command
from api.errors import Problem
from schemas.commands import COMMAND_SCHEMAS

app = Flask(__name__)


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12), ("*", None), (None, None)])
def test_if_match_takes_the_etag_we_send_or_a_bare_version(header: str | None, version: int | None) -> None:
    with app.test_request_context("/", headers={"If-Match": header} if header else {}):
        assert expected_version() == version


@pytest.mark.parametrize("header", ["three", '"3', "-1", "1" * 10, '"3", "4"'])
def test_an_if_match_that_is_not_one_version_is_400(header: str) -> None:
    with app.test_request_context("/", headers={"If-Match": header}), pytest.raises(Problem) as caught:
        expected_version()
    assert (caught.value.status, caught.value.code) == (400, "invalid_if_match")


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_idempotency_key_must_be_1_to_200_characters(key: str) -> None:
    with app.test_request_context("/", headers={"Idempotency-Key": key}), pytest.raises(Problem) as caught:
        idempotency_key()
    assert caught.value.status == 400


@pytest.mark.parametrize(("data", "content_type", "status"), [
    (b'{"a": 1}', "text/plain", 415),
    (b'{"a": NaN}', "application/json", 400),
    (b'{"a": Infinity}', "application/json", 400),
    (b"", "application/json", 400),
    (b"[" * 100_000, "application/json", 400),
])
def test_a_body_that_is_not_plain_json_is_refused(data: bytes, content_type: str, status: int) -> None:
    with app.test_request_context("/", method="POST", data=data, content_type=content_type), \
            pytest.raises(Problem) as caught:
        json_body()
    assert caught.value.status == status


def test_json_with_a_charset_is_json() -> None:
    with app.test_request_context("/", method="POST", data=b'{"a": 1}', content_type="application/json; charset=utf-8"):
        assert json_body() == {"a": 1}


def test_an_identifier_in_the_url_is_added_to_the_command_and_refused_in_the_body() -> None:
    schema = COMMAND_SCHEMAS["accept_milestone"]()
    assert load_command(schema, {"occurred_on": "2026-02-03"}, {"key": "draft"}).key == "draft"
    with pytest.raises(ValidationError) as caught:
        load_command(schema, {"occurred_on": "2026-02-03", "key": "other"}, {"key": "draft"})
    assert "key" in caught.value.messages
    with pytest.raises(ValidationError):
        load_command(schema, ["not", "an", "object"], {"key": "draft"})
