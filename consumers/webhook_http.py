"""One signed webhook POST: the signature, the pinned connection, bounded timeouts and a bounded answer.

Signature (as Stripe-style receivers expect): ``Ledger-Signature: t=<unix seconds>,v1=<hex>``
where ``hex`` is HMAC-SHA256 with the endpoint's secret over ``"<t>.<body>"``.
The connection goes to the address the SSRF guard checked (never a second DNS
answer); TLS still verifies the certificate for the host name.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import ssl
from dataclasses import dataclass

from infrastructure.urlguard import Target

SNIPPET_MAX = 1024
USER_AGENT = "paid-ledger-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, SSRF guard)
    snippet: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=read_timeout)
        self.target, self.connect_timeout = target, connect_timeout

    def open_socket(self) -> socket.socket:
        sock = socket.create_connection((self.target.address, self.target.port), self.connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self) -> None:
        self.sock = self.open_socket()


class PinnedHTTPSConnection(PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.open_socket(), server_hostname=self.target.host)


def post(target: Target, body: bytes, headers: dict[str, str], connect_timeout: float, read_timeout: float) -> Answer:
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = kind(target, connect_timeout, read_timeout)
    try:
        connection.request("POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        snippet = response.read(SNIPPET_MAX).decode("utf-8", errors="replace")
        return Answer(response.status, snippet, None)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, None, f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()
