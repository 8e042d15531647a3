"""The OpenAPI document: valid, complete (every route of the app), generated from the schemas; /docs works offline."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from openapi_spec_validator import validate

from api import create_app
from infrastructure.store import StoreConfig


@pytest.fixture
def flask_app(sqlite_store: StoreConfig) -> Iterator[Flask]:
    app = create_app(DATABASE_URL=sqlite_store.url, RUN_PROJECTIONS=False)
    yield app
    app.extensions["ledger"].close()


def document(app: Flask) -> dict:  # type: ignore[type-arg]
    answer = app.test_client().get("/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def test_the_openapi_document_is_a_valid_openapi_3_document(flask_app: Flask) -> None:
    spec = document(flask_app)
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_route_and_method_of_the_app_is_in_the_document(flask_app: Flask) -> None:
    paths = document(flask_app)["paths"]
    for rule in flask_app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths.get(path, {}), f"{method} {path} is not documented"


def test_every_post_requires_an_idempotency_key_and_every_v1_route_a_bearer_key(flask_app: Flask) -> None:
    spec = document(flask_app)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"
            if method == "post":
                headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
                assert "Idempotency-Key" in headers, f"{method} {path}"


def test_command_bodies_come_from_the_shared_command_schemas_without_the_url_identifiers(flask_app: Flask) -> None:
    schemas = document(flask_app)["components"]["schemas"]
    delivery = schemas["DeliverMilestoneBody"]
    assert "key" not in delivery["properties"] and delivery["additionalProperties"] is False
    assert set(delivery["required"]) == {"occurred_on", "description"}
    assert schemas["Money"]["properties"]["amount"]["type"] == "integer"


def test_the_docs_page_renders_the_document_with_no_outside_asset(flask_app: Flask) -> None:
    answer = flask_app.test_client().get("/docs")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert 'fetch("openapi.json")' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not load anything from elsewhere"


def test_a_route_without_an_operation_stops_the_app_from_starting(sqlite_store: StoreConfig) -> None:
    from flask import Blueprint

    from api.factory import BLUEPRINTS

    undocumented = Blueprint("undocumented", __name__)
    undocumented.add_url_rule("/secret", view_func=lambda: "x")
    BLUEPRINTS.append(undocumented)
    try:
        with pytest.raises(LookupError, match="/secret"):
            create_app(DATABASE_URL=sqlite_store.url, RUN_PROJECTIONS=False)
    finally:
        BLUEPRINTS.remove(undocumented)
