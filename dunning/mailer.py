"""Sending one message over SMTP (``smtplib``): plain, STARTTLS or implicit TLS, with optional login.

The bytes given are sent as they are (``sendmail`` with bytes only dot-stuffs
lines, which the server undoes), so the server receives exactly the bytes the
ledger hashed. Any failure -- connection refused, timeout, a refused sender or
recipient, a 4xx/5xx at DATA -- is ``MailNotSent``: the caller records nothing
and retries later.
"""

from __future__ import annotations

import smtplib
import ssl

from dunning.settings import SmtpSettings
from ledger.errors import MailNotSent


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=ssl.create_default_context())
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    if smtp.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def send(smtp: SmtpSettings, recipient: str, data: bytes) -> None:
    """Hand ``data`` to the server for ``recipient``; MailNotSent unless the server accepted it."""
    try:
        with connect(smtp) as client:
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.sendmail(smtp.sender, [recipient], data)
    except (OSError, smtplib.SMTPException) as error:  # OSError covers refused, unreachable, timeouts and TLS errors
        raise MailNotSent(f"SMTP {smtp.host}:{smtp.port}: {type(error).__name__}: {error}"[:500]) from error
