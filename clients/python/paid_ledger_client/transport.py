"""HTTP for the client: the standard library only, bounded timeouts and retries, problem+json as exceptions.

A POST carries one Idempotency-Key for all its attempts: a retry after a lost
answer replays the first result instead of recording the command twice.
Connection failures and 502/503/504 are retried (``retries`` times, doubling
pauses); every other error is raised at once as its typed exception.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from paid_ledger_client.errors import LedgerApiError, error_for

RETRY_STATUSES = frozenset({502, 503, 504})
USER_AGENT = "paid-ledger-client/0.1"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Transport:
    base_url: str
    api_key: str | None = None
    timeout: float = 40.0  # above the feed's longest wait (30 s)
    retries: int = 3
    pause: float = 0.5
    sleep: Any = field(default=time.sleep, repr=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        idempotency_key: str | None = None,
        if_match: int | None = None,
    ) -> Answer:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = raw
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode("utf-8"), "application/json"
        elif raw is not None:
            headers["Content-Type"] = "application/octet-stream"
        if method in ("POST", "PUT"):
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex  # the same for every attempt
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        url = self.base_url.rstrip("/") + path + (f"?{encode(query)}" if query else "")
        return self.send(urllib.request.Request(url, data=data, headers=headers, method=method))

    def send(self, request: urllib.request.Request) -> Answer:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return Answer(response.status, dict(response.headers.items()), response.read())
            except urllib.error.HTTPError as error:
                answer = Answer(error.code, dict(error.headers.items()), error.read())
                if error.code not in RETRY_STATUSES or last:
                    raise problem(answer) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                if last:
                    raise
            self.sleep(self.pause * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def encode(query: dict[str, Any]) -> str:
    pairs = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
    return urllib.parse.urlencode(pairs)


def problem(answer: Answer) -> LedgerApiError:
    try:
        body = answer.json()
    except ValueError:
        body = None
    return error_for(answer.status, body)
