"""The audit: every contract's hash chain, checked against witnesses kept outside it.

A chain that verifies only proves it is self-consistent: whoever can write the
events table can delete its newest events, delete a whole contract, or alter an
event and re-hash everything after it. Two independent records saw each chain
head when it was written, and the audit checks the log still holds those heads:

- every idempotency record keeps the result of its command (contract, version,
  fingerprint = the hash of the event at that version);
- the contracts read model keeps each contract's version and fingerprint as it
  applied them (``rm_contracts``);
- an RFC 3161 timestamp token, where the head was anchored (``evidence.anchors``):
  a third party signed that head at that version.

A witness whose version is past the stored head names *removed newest events*;
witnesses of a contract with no events at all name a *vanished* contract; a
witness whose fingerprint differs from the stored hash at its version names a
*rewrite* (the chain may verify after a re-hash, the witness does not move).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.service import LedgerApplication, is_contract_topic
from evidence.anchors import TABLE as ANCHORS_TABLE
from ledger.errors import StoreUnavailable
from ledger.records import IdempotencyRecord
from projections.db import Database

PAGE = 500
IDEMPOTENCY_TOPIC = f"{IdempotencyRecord.__module__}:{IdempotencyRecord.__qualname__}.Recorded"


@dataclass(frozen=True)
class Witness:
    source: str
    version: int
    fingerprint: str


@dataclass(frozen=True)
class Finding:
    contract_id: str
    kind: str  # broken_chain | removed_events | vanished | rewritten
    detail: str

    def __str__(self) -> str:
        return f"{self.contract_id}  {self.kind}: {self.detail}"


@dataclass
class AuditReport:
    contracts: int = 0
    witnesses: int = 0
    findings: list[Finding] | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


def notifications(app: LedgerApplication) -> Iterator[Any]:
    start = 1
    while True:
        page = app.guarded(app.recorder.select_notifications, start, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1].id + 1


def collect(app: LedgerApplication, only: UUID | None) -> tuple[set[str], dict[str, list[Witness]]]:
    """Contract ids in the log, and the idempotency records' witnesses, in one pass over the log."""
    contracts: set[str] = set()
    witnesses: dict[str, list[Witness]] = defaultdict(list)
    for notification in notifications(app):
        if is_contract_topic(notification.topic) and notification.originator_version == 1:
            contracts.add(str(UUID(str(notification.originator_id))))
        elif notification.topic == IDEMPOTENCY_TOPIC:
            state = app.decode_state(notification)
            result = state.get("result") or {}
            witnesses[str(result.get("contract_id"))].append(
                Witness(f"idempotency key {state.get('key')!r}", int(result["version"]), str(result["fingerprint"]))
            )
    if only is not None:
        key = str(only)
        return ({key} & contracts), {key: witnesses.get(key, [])}
    return contracts, dict(witnesses)


def anchor_witnesses(app: LedgerApplication) -> dict[str, list[Witness]]:
    """Each anchored head (version and hash) of each contract (none if nothing was ever anchored)."""
    try:
        db = Database(app.store)
    except Exception as error:  # any driver error: the database did not answer
        raise StoreUnavailable(f"the anchors' database cannot be reached: {error}") from error
    try:
        rows = db.fetchall(f"SELECT contract_id, version, head FROM {ANCHORS_TABLE}")
    except Exception:  # noqa: BLE001 - no anchors table in this store: nothing was anchored
        return {}
    finally:
        db.close()
    anchored: dict[str, list[Witness]] = defaultdict(list)
    for contract_id, version, head in rows:
        anchored[str(contract_id)].append(Witness(f"RFC 3161 anchor of version {version}", int(version), str(head)))
    return dict(anchored)


def read_model_witnesses(app: LedgerApplication) -> dict[str, list[Witness]]:
    """Each contract's version and fingerprint in the contracts read model (none if it was never built)."""
    try:
        db = Database(app.store)
    except Exception as error:  # any driver error: the database did not answer
        raise StoreUnavailable(f"the read-model database cannot be reached: {error}") from error
    try:
        rows = db.fetchall("SELECT contract_id, version, fingerprint FROM rm_contracts")
    except Exception:  # noqa: BLE001 - no read-model tables in this store: no witness there
        return {}
    finally:
        db.close()
    return {str(row[0]): [Witness("contracts read model", int(row[1]), str(row[2]))] for row in rows}


def check_contract(app: LedgerApplication, contract_id: str, witnesses: list[Witness]) -> list[Finding]:
    hashes = {record.version: record.hash for record in app.chain_records(UUID(contract_id))}
    if not hashes:
        if not witnesses:
            return [Finding(contract_id, "vanished", "no events are stored")]
        newest = max(witnesses, key=lambda w: w.version)
        return [
            Finding(
                contract_id,
                "vanished",
                f"no events are stored, but the {newest.source} saw version "
                f"{newest.version} (fingerprint {newest.fingerprint})",
            )
        ]
    verified = app.verify_stored(UUID(contract_id))
    if not verified.ok:
        return [Finding(contract_id, "broken_chain", f"at version {verified.broken_version}: {verified.reason}")]
    head = max(hashes)
    findings = []
    for witness in sorted(witnesses, key=lambda w: -w.version):
        if witness.version > head:
            findings.append(
                Finding(
                    contract_id,
                    "removed_events",
                    f"the log ends at version {head}, but the "
                    f"{witness.source} saw version {witness.version}: its newest events were removed",
                )
            )
        elif hashes[witness.version] != witness.fingerprint:
            findings.append(
                Finding(
                    contract_id,
                    "rewritten",
                    f"event {witness.version} hashes to "
                    f"{hashes[witness.version]}, but the {witness.source} recorded "
                    f"{witness.fingerprint}: the history was rewritten",
                )
            )
        if findings:
            return findings[:1]
    return []


def audit(app: LedgerApplication, only: UUID | None = None) -> AuditReport:
    """Check every contract (or ``only`` one) against its witnesses; a report with the findings, if any."""
    contracts, witnesses = collect(app, only)
    for outside in (read_model_witnesses(app), anchor_witnesses(app)):
        for contract_id, seen in outside.items():
            if only is None or contract_id == str(only):
                witnesses.setdefault(contract_id, []).extend(seen)
    ids = sorted(contracts | {cid for cid, seen in witnesses.items() if seen})
    findings: list[Finding] = []
    for contract_id in ids:
        findings.extend(check_contract(app, contract_id, witnesses.get(contract_id, [])))
    return AuditReport(len(ids), sum(len(w) for w in witnesses.values()), findings)
