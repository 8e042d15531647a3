"""Webhook signatures (the worker signs, the client verifies), the SSRF guard's address rules, the backoff."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from paid_ledger_client import InvalidSignature, verify_signature

from consumers.webhook_http import signature
from consumers.webhooks import WebhookSettings, backoff_delay
from infrastructure.urlguard import check_url, is_public, split
from ledger.errors import WebhookUrlRefused

SECRET = "whsec_test"
BODY = b'{"contract_id":"c-1","version":1}'
T = 1_767_225_600  # 2026-01-01T00:00:00Z


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_worked_by_hand() -> None:
    expected = hmac.new(b"whsec_test", b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, T, BODY) == f"t=1767225600,v1={expected}"


def test_the_client_accepts_what_the_worker_signed_within_the_tolerance() -> None:
    headers = {"ledger-signature": signature(SECRET, T, BODY)}  # header names are case-insensitive
    verify_signature(SECRET, headers, BODY, now=T + 299)


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        ("whsec_other", BODY, T, "does not match"),
        (SECRET, BODY + b" ", T, "does not match"),
        (SECRET, BODY, T + 301, "tolerance"),
        (SECRET, BODY, T - 301, "tolerance"),
    ],
)
def test_the_client_refuses_another_secret_an_altered_body_and_a_stale_timestamp(
    secret: str, body: bytes, now: int, reason: str
) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify_signature(secret, {"Ledger-Signature": signature(SECRET, T, BODY)}, body, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", f"t={T}", "nonsense"])
def test_a_malformed_or_missing_signature_header_is_refused(header: str) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature(SECRET, {"Ledger-Signature": header} if header else {}, BODY, now=T)


def test_one_matching_v1_among_several_is_enough_for_secret_rotation() -> None:
    good = signature(SECRET, T, BODY).split("v1=")[1]
    verify_signature(SECRET, {"Ledger-Signature": f"t={T},v1={'0' * 64},v1={good}"}, BODY, now=T)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::", False),
    ],
)
def test_only_public_unicast_addresses_are_allowed(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "http:///nohost",
        "https://user:pw@example.com/",
        "javascript:alert(1)",
        "http://example.com:99999/",
        "https://" + "a" * 2001 + ".com/",
    ],
)
def test_urls_that_are_not_plain_http_or_https_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused):
        split(url)


def test_an_address_literal_on_loopback_is_refused_unless_private_targets_are_allowed() -> None:
    with pytest.raises(WebhookUrlRefused, match="non-public"):
        check_url("http://127.0.0.1:8080/hook", allow_private=False)
    target = check_url("http://127.0.0.1:8080/hook?x=1", allow_private=True)
    assert (target.host, target.port, target.path, target.address) == ("127.0.0.1", 8080, "/hook?x=1", "127.0.0.1")
    with pytest.raises(WebhookUrlRefused):
        check_url("http://[::ffff:169.254.169.254]/latest/meta-data", allow_private=False)


def test_the_backoff_doubles_from_the_base_with_half_of_it_random_and_stops_growing_at_the_cap() -> None:
    settings = WebhookSettings(backoff_base_s=10, backoff_max_s=100)
    for attempts, full in ((1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)):
        for _ in range(50):
            assert full / 2 <= backoff_delay(settings, attempts) <= full
