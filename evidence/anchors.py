"""Anchored chain heads: RFC 3161 timestamp tokens over a contract's chain head, from a timestamp authority (TSA).

A token proves that a head (the SHA-256 hash of the newest event) existed at a
time, signed by the TSA. Tokens are kept with the contract (one table beside the
event store, like the attachments) and travel in the bundle as
``anchors/<version>.tsr`` with the TSA's CA certificates in
``anchors/tsa-ca.pem``. If events are later removed from the tail, the anchored
head is no longer in the chain, and ``check_anchor`` (``ledger anchor check``)
and both verifiers name the anchored version.

Queries, replies and signature checks use the ``openssl ts`` command (OpenSSL
1.1 or later): the verifier needs ``openssl`` on the PATH to check signatures.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infrastructure.store import StoreConfig
from ledger import clock
from ledger.chain import ChainRecord
from ledger.errors import ConfigurationError, ValidationError
from projections.db import Database

TABLE = "ledger_contract_anchors"
DDL = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {TABLE} (account_id TEXT NOT NULL, contract_id TEXT NOT NULL, "
    "version INTEGER NOT NULL, head TEXT NOT NULL, token BLOB NOT NULL, anchored_at TEXT NOT NULL, "
    "PRIMARY KEY (account_id, contract_id, version))",
    "postgres": f"CREATE TABLE IF NOT EXISTS {TABLE} (account_id TEXT NOT NULL, contract_id TEXT NOT NULL, "
    "version BIGINT NOT NULL, head TEXT NOT NULL, token BYTEA NOT NULL, anchored_at TEXT NOT NULL, "
    "PRIMARY KEY (account_id, contract_id, version))",
}
TOKEN_BYTES_MAX = 64 * 1024
TSA_TIMEOUT_SECONDS = 15
OPENSSL_TIMEOUT_SECONDS = 30
CA_FILE = "anchors/tsa-ca.pem"


@dataclass(frozen=True)
class Tsa:
    """Where to ask for tokens (LEDGER_TSA_URL) and the CA certificates that sign its certificate
    (LEDGER_TSA_CA_FILE, PEM), which go into every bundle so the token can be checked offline."""

    url: str
    ca_pem: bytes


def load_tsa(url: str | None, ca_file: str | Path | None) -> Tsa | None:
    """The TSA of the settings (LEDGER_TSA_URL, LEDGER_TSA_CA_FILE), or None when no URL is set."""
    if not url:
        return None
    if not ca_file or not Path(ca_file).is_file():
        raise ConfigurationError("LEDGER_TSA_URL needs LEDGER_TSA_CA_FILE: the PEM CA certificates of the authority")
    return Tsa(url, Path(ca_file).read_bytes())


@dataclass(frozen=True)
class Anchor:
    contract_id: str
    version: int
    head: str
    token: bytes
    anchored_at: str


def openssl(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = ["openssl", "ts", *args]  # the operator's openssl from PATH, an argument list, no shell
    return subprocess.run(command, capture_output=True, timeout=OPENSSL_TIMEOUT_SECONDS, check=False)


def request_token(tsa: Tsa, head: str) -> bytes:
    """Ask the TSA for a token over ``head`` (a SHA-256 hex digest); the reply (TimeStampResp, DER)."""
    query = openssl("-query", "-digest", head, "-sha256", "-cert")
    if query.returncode:
        raise ValidationError(f"cannot build a timestamp query: {query.stderr.decode(errors='replace').strip()}")
    if not tsa.url.startswith(("https://", "http://")):  # never file:// or another scheme urllib would also open
        raise ValidationError(f"the timestamp authority {tsa.url} is not an http(s) address")
    request = urllib.request.Request(
        tsa.url, data=query.stdout, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(request, timeout=TSA_TIMEOUT_SECONDS) as answer:  # http(s) only  # nosec B310
        token = bytes(answer.read(TOKEN_BYTES_MAX + 1))
    if len(token) > TOKEN_BYTES_MAX or token_head(token) != head:
        raise ValidationError(f"the timestamp authority at {tsa.url} did not answer with a token for {head}")
    return token


def token_text(token: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".tsr") as file:
        file.write(token)
        file.flush()
        shown = openssl("-reply", "-in", file.name, "-text")
    return shown.stdout.decode("utf-8", errors="replace") if shown.returncode == 0 else ""


def token_head(token: bytes) -> str | None:
    """The hash the token is over (its message imprint), or None if it is not a granted token."""
    text = token_text(token)
    if "Status: Granted" not in text:
        return None
    found = re.search(r"Message data:\n((?:\s+[0-9a-f]{4} - .*\n)+)", text)
    if not found:
        return None
    digits = "".join(re.sub(r"[^0-9a-f]", "", line.split(" - ", 1)[1][:47]) for line in found.group(1).splitlines())
    return digits or None


def token_time(token: bytes) -> str | None:
    found = re.search(r"Time stamp: (.+)", token_text(token))
    return found.group(1).strip() if found else None


def verify_token(token: bytes, head: str, ca_pem: bytes) -> str | None:
    """None if the token is signed by a TSA certified by ``ca_pem`` and is over ``head``; else why not."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "t.tsr").write_bytes(token)
        (Path(folder) / "ca.pem").write_bytes(ca_pem)
        checked = openssl("-verify", "-digest", head, "-in", f"{folder}/t.tsr", "-CAfile", f"{folder}/ca.pem")
    if checked.returncode == 0:
        return None
    errors = checked.stderr.decode("utf-8", errors="replace")
    reasons = re.findall(r"routines:[^:]*:([^:\n]+)", errors) + re.findall(r"Verify error:([^\n]+)", errors)
    return "; ".join(reasons) or "verification failed"


def check_anchor(anchor: Anchor, records: list[ChainRecord]) -> str | None:
    """None if the anchored head is still the chain's event at that version; else what is wrong."""
    if anchor.version > len(records):
        return (
            f"the head anchored at version {anchor.version} ({anchor.head}) is no longer in the chain, which ends "
            f"at version {len(records)}: events were removed after it was anchored"
        )
    if records[anchor.version - 1].hash != anchor.head:
        return f"the head anchored at version {anchor.version} ({anchor.head}) is not the chain's event at that version"
    return None


class AnchorStore:
    """Tokens kept with their contract, in the event store's database."""

    def __init__(self, store: StoreConfig) -> None:
        self.db = Database(store)
        self.db.execute(DDL[self.db.kind])

    def add(self, account_id: str, anchor: Anchor) -> None:
        self.db.execute(
            f"INSERT INTO {TABLE} (account_id, contract_id, version, head, token, anchored_at) VALUES "
            "(?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, contract_id, version) DO NOTHING",
            (account_id, anchor.contract_id, anchor.version, anchor.head, anchor.token, anchor.anchored_at),
        )

    def of_contract(self, account_id: str, contract_id: str) -> list[Anchor]:
        rows = self.db.fetchall(
            f"SELECT contract_id, version, head, token, anchored_at FROM {TABLE} WHERE "
            "account_id = ? AND contract_id = ? ORDER BY version",
            (account_id, contract_id),
        )
        return [Anchor(r[0], int(r[1]), r[2], bytes(r[3]), r[4]) for r in rows]

    def all(self) -> list[tuple[str, Anchor]]:
        rows = self.db.fetchall(
            f"SELECT account_id, contract_id, version, head, token, anchored_at FROM {TABLE} "
            "ORDER BY account_id, contract_id, version"
        )
        return [(r[0], Anchor(r[1], int(r[2]), r[3], bytes(r[4]), r[5])) for r in rows]

    def close(self) -> None:
        self.db.close()


def anchor_head(store: AnchorStore, tsa: Tsa, account_id: str, records: list[ChainRecord]) -> Anchor | None:
    """Timestamp the contract's current head unless that version is anchored already; the new anchor, if any."""
    if not records:
        return None
    head = records[-1]
    if any(a.version == head.version for a in store.of_contract(account_id, head.contract_id)):
        return None
    anchor = Anchor(
        head.contract_id,
        head.version,
        head.hash,
        request_token(tsa, head.hash),
        clock.now().isoformat(timespec="seconds"),
    )
    store.add(account_id, anchor)
    return anchor


def bundle_files(anchors: list[Anchor], tsa: Tsa | None) -> dict[str, bytes]:
    if not anchors:
        return {}
    files = {f"anchors/{a.version}.tsr": a.token for a in anchors}
    files[CA_FILE] = tsa.ca_pem if tsa else b""
    return files
