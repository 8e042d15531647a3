"""Headers on every answer, and the operator-only guard of ``/metrics``.

Every answer: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``
and a Content-Security-Policy that allows nothing (JSON needs nothing); ``/docs`` gets a policy naming the
hashes of its own inline script and style, and fetching ``/openapi.json`` from this origin. Answers to a
request that carried credentials are ``Cache-Control: no-store``.

``/metrics`` counts every account's requests and events: it is for the operator. With ``METRICS_KEY``
set it needs ``Authorization: Bearer <METRICS_KEY>``; without, only loopback clients get it. Others get 404.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import cache
from importlib import resources

from flask import Flask, Response, current_app, request

from api.errors import Problem

LOCKED_DOWN = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
LOOPBACK = {"127.0.0.1", "::1"}
INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


@cache
def docs_policy() -> str:
    """The CSP of /docs: its inline script and style by hash, its data from this origin, nothing else."""
    page = resources.files("api").joinpath("static/docs.html").read_text(encoding="utf-8")
    hashes = {"script": [], "style": []}  # type: dict[str, list[str]]
    for kind, body in INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    return (
        f"default-src 'none'; script-src {' '.join(hashes['script'])}; style-src {' '.join(hashes['style'])}; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", docs_policy() if request.path == "/docs" else LOCKED_DOWN)
    if "Authorization" in request.headers:
        headers["Cache-Control"] = "no-store"
    return response


def check_metrics_access() -> None:
    """404 unless the caller is the operator: the metrics token, or a loopback client when no token is set."""
    token = current_app.config.get("METRICS_KEY")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode()):
            return
    elif request.remote_addr in LOOPBACK:
        return
    raise Problem(404, "not_found", "no such resource")


def register(app: Flask) -> None:
    app.after_request(add_headers)
