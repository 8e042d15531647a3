"""The OpenAPI 3 document, generated from the Flask url_map and the marshmallow schemas.

Every view carries its operation (``@operation(...)``); ``build_spec`` walks
every rule of the app and refuses to build if a route is undocumented, so the
document and the routes cannot drift apart. Request bodies, query strings and
responses come from the same schemas the views load and dump with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from api.auth import SECURITY_SCHEME
from api.errors import PROBLEM_MIMETYPE
from schemas import responses

View = TypeVar("View", bound=Callable[..., Any])
SchemaRef = type[Schema] | Schema | dict[str, Any] | str | None
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
ERROR_DESCRIPTIONS = {
    400: "malformed JSON, missing Idempotency-Key or bad If-Match",
    401: "no API key, an unknown one or a revoked one",
    404: "no such contract in this account (or no such milestone, invoice, payment, dispute)",
    409: "the Idempotency-Key was used for another request, or the thing already exists",
    412: "If-Match names a version that is no longer current",
    413: "the body is larger than the configured limit",
    415: "the body is not application/json",
    422: "the request does not pass validation or breaks a business rule",
    429: "this API key is over its request limit; retry after Retry-After seconds",
    503: "the store is unreachable; retry",
}
PROTECTED_ERRORS = (401, 429)  # every route behind an API key can answer these
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
COMPONENTS: dict[str, type[Schema]] = {
    "Problem": responses.ProblemOut,
    "ContractSummary": responses.SummaryOut,
    "Statement": responses.StatementOut,
    "EventPage": responses.EventPageOut,
    "Verification": responses.VerifyOut,
    "Health": responses.HealthOut,
}
POST_ERRORS = (400, 401, 404, 409, 412, 413, 415, 422, 503)
GET_ERRORS = (401, 404, 422, 503)


@dataclass
class Operation:
    summary: str
    tag: str
    response: SchemaRef = None  # schema of the success body (JSON), None for non-JSON answers
    status: int = 200
    body: SchemaRef = None  # request body schema; implies Idempotency-Key and the POST errors
    body_name: str = ""  # component name for a body schema instance (e.g. a command schema minus path fields)
    query: type[Schema] | None = None
    path: dict[str, fields.Field] = field(default_factory=dict)  # path parameters other than contract_id
    errors: tuple[int, ...] = ()
    content_type: str = "application/json"
    description: str = ""
    if_match: bool = False
    raw_body: str = ""  # media type of a raw (non-JSON) request body, e.g. an upload; implies Idempotency-Key
    idempotent: bool = False  # a POST without a body that still takes an Idempotency-Key


def operation(summary: str, tag: str, **details: Any) -> Callable[[View], View]:
    """Document a view; ``details`` are the fields of ``Operation``."""

    def attach(view: View) -> View:
        view.openapi = Operation(summary, tag, **details)  # type: ignore[attr-defined]
        return view

    return attach


def header(name: str, description: str, *, required: bool, schema: dict[str, Any]) -> dict[str, Any]:
    return {"in": "header", "name": name, "required": required, "description": description, "schema": schema}


IDEMPOTENCY_HEADER = header(
    "Idempotency-Key", "unique per write: a replay with the same body returns the first response",
    required=True, schema={"type": "string", "minLength": 1, "maxLength": 200},
)
IF_MATCH_HEADER = header(
    "If-Match", "the contract version (its ETag) the command expects", required=False,
    schema={"type": "string", "pattern": r'^(W/)?("[0-9]{1,9}"|[0-9]{1,9})$'},
)


class Builder:
    def __init__(self, app: Flask, title: str, version: str) -> None:
        self.app = app
        self.plugin = MarshmallowPlugin()
        self.spec = APISpec(title, version, "3.0.3", plugins=[self.plugin])
        for name, schema in COMPONENTS.items():
            self.spec.components.schema(name, schema=schema)
        self.spec.components.security_scheme(SECURITY_SCHEME, {"type": "http", "scheme": "bearer"})

    def parameters(self, rule_arguments: set[str], op: Operation) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        for name in sorted(rule_arguments):
            if name == "contract_id":
                schema: dict[str, Any] = {"type": "string", "format": "uuid"}
            elif name in op.path:
                schema = self.plugin.converter.field2property(op.path[name])  # type: ignore[union-attr]
            else:
                raise LookupError(f"path parameter {name!r} of {op.summary!r} is not documented")
            params.append({"in": "path", "name": name, "required": True, "schema": schema})
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        if op.body is not None or op.raw_body or op.idempotent:
            params.append(IDEMPOTENCY_HEADER)
        if op.if_match:
            params.append(IF_MATCH_HEADER)
        return params

    def responses(self, op: Operation, protected: bool) -> dict[str, Any]:
        content = {op.content_type: {"schema": op.response}} if op.response is not None else {op.content_type: {}}
        answers: dict[str, Any] = {str(op.status): {"description": "success", "content": content}}
        problem = {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        errors = set(op.errors or (POST_ERRORS if op.body is not None else ())) | set(PROTECTED_ERRORS if protected else ())
        for status in sorted(errors):
            answers[str(status)] = {"description": ERROR_DESCRIPTIONS.get(status, "error"), "content": problem}
            if status in (429, 503):
                answers[str(status)]["headers"] = RETRY_AFTER
        answers["default"] = {"description": "any other error, as problem details", "content": problem}
        return answers

    def operation(self, rule_arguments: set[str], op: Operation, protected: bool) -> dict[str, Any]:
        document: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": self.parameters(rule_arguments, op),
            "responses": self.responses(op, protected),
        }
        if op.description:
            document["description"] = op.description
        if op.body_name and op.body_name not in self.spec.components.schemas:
            self.spec.components.schema(op.body_name, schema=op.body)
        if op.body is not None:
            document["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        if op.raw_body:
            binary = {"type": "string", "format": "binary"}
            document["requestBody"] = {"required": True, "content": {op.raw_body: {"schema": binary}}}
        document["security"] = [{SECURITY_SCHEME: []}] if protected else []
        return document

    def build(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for rule in self.app.url_map.iter_rules():
            view = self.app.view_functions[rule.endpoint]
            op = getattr(view, "openapi", None)
            if op is None:
                raise LookupError(f"route {rule.rule} ({rule.endpoint}) has no @operation: document it")
            blueprint = self.app.blueprints.get(rule.endpoint.rpartition(".")[0])
            protected = bool(getattr(blueprint, "protected", False))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                path = CONVERTER.sub(r"{\1}", rule.rule)
                paths.setdefault(path, {})[method.lower()] = self.operation(set(rule.arguments), op, protected)
        for path, operations in sorted(paths.items()):
            self.spec.path(path, operations=operations)
        return self.spec.to_dict()


def build_spec(app: Flask, title: str = "Paid ledger", version: str = "1") -> dict[str, Any]:
    return Builder(app, title, version).build()

