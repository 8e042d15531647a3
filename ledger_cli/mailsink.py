"""``ledger dev mailsink``: a local SMTP server (aiosmtpd, a development dependency) that keeps what it receives.

Each message is written, byte for byte as received, to ``DIR/<n>-<sha256 prefix>.eml``, so what the dispatcher
sent can be read and its SHA-256 compared with the ``document_hash`` of the ``ReminderSent`` it recorded.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import click

from ledger_cli.kafka import stop_on_signals


class Keeper:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.content)
        name = f"{next(self.numbers):05d}-{hashlib.sha256(data).hexdigest()[:12]}.eml"
        (self.directory / name).write_bytes(data)
        click.echo(f"mailsink: {name} from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}", err=True)
        return "250 OK"


@click.command()
@click.option("--port", default=1025, show_default=True, help="Loopback port to listen on.")
@click.option(
    "--directory",
    default="mail",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where received messages are written.",
)
def mailsink(port: int, directory: Path) -> None:
    """A local SMTP server that writes every message it receives to a directory (for `ledger remind`)."""
    try:
        from aiosmtpd.controller import Controller  # a development dependency: pip install -e '.[dev]'
    except ImportError:
        raise click.ClickException("aiosmtpd is not installed: pip install -e '.[dev]'") from None
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keeper(directory), hostname="127.0.0.1", port=port)
    controller.start()
    click.echo(f"mailsink: SMTP on 127.0.0.1:{port}, messages in {directory}/", err=True)
    stop = stop_on_signals()
    try:
        stop.wait()
    finally:
        controller.stop()
