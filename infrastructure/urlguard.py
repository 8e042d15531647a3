"""The SSRF guard for outbound webhooks: a URL is allowed only if every address its host resolves to is public.

Loopback, private (RFC 1918, unique-local), link-local (including cloud metadata
at 169.254.169.254), shared (100.64/10), multicast, unspecified and reserved
addresses are refused, unless the operator allows private targets
(``LEDGER_WEBHOOKS_ALLOW_PRIVATE``: tests and closed networks). The delivery
worker checks again at delivery time and connects to the address it checked, so
a DNS answer that changes in between cannot redirect a delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.errors import WebhookUrlRefused

URL_MAX = 2000
SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked IP address to connect to


def split(url: str) -> tuple[str, str, int, str]:
    if len(url) > URL_MAX:
        raise WebhookUrlRefused(f"the URL is longer than {URL_MAX} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookUrlRefused(f"the URL does not parse: {error}", field="url") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise WebhookUrlRefused("the URL must be http:// or https:// with a host name", field="url")
    if parts.username or parts.password:
        raise WebhookUrlRefused("the URL must not carry a user name or password", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or SCHEMES[parts.scheme], path


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_unspecified or ip.is_reserved)


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # ValueError: a NUL in the name
        raise WebhookUrlRefused(f"the host {host!r} does not resolve: {error}", field="url") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, *, allow_private: bool) -> Target:
    """The URL's target, connecting to its first address; WebhookUrlRefused if any address is not public."""
    scheme, host, port, path = split(url)
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookUrlRefused(f"the host {host!r} has no address", field="url")
    refused = [a for a in addresses if not is_public(a)]
    if refused and not allow_private:
        raise WebhookUrlRefused(
            f"the host {host!r} resolves to a non-public address ({refused[0]}): refused", field="url"
        )
    return Target(scheme, host, port, path, addresses[0])
