"""Offline verification of an evidence ZIP: no database, nothing but the bundle and this verifier's rate tables.

In order, stopping at the first failure and naming it: every ZIP entry name
appears once; the manifest is intact (its own digest, its one layout); every
file matches its SHA-256 in the manifest and nothing is missing or added; every
attachment matches its name; every event's hash and link
(``ledger.chain.verify_chain``) up to the chain head in the manifest; every
timestamp token in anchors/ is over the head of its version and signed under
anchors/tsa-ca.pem (``evidence.anchors``, with ``openssl``); the
bundle's rates/ tables equal the verifier's and claim no later verified-through date (packaged, or a directory the
person verifying chooses); the statement, chronology, interest and claim totals
recomputed from ``events.jsonl`` equal the ones in the CSVs and the manifest;
both PDFs rebuilt from the recomputed content equal the ones in the bundle,
byte for byte; and verify.html is this release's page (``evidence.verify_page``).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.anchors import CA_FILE, Anchor, check_anchor, token_head, verify_token
from evidence.bundle import (
    BUNDLE_PDF,
    LETTER_PDF,
    MANIFEST,
    MANIFEST_KEYS,
    PDF_LIBRARY,
    REQUIRED_FILES,
    manifest_bytes,
    parse_events_jsonl,
    sha256,
    verification_page,
)
from evidence.bundle_pdf import build_bundle_pdf
from evidence.content import (
    BundleContent,
    build_content,
    chronology_csv,
    claim_figures,
    interest_csv,
    particulars_text,
    statement_csv,
)
from evidence.letter import build_letter_pdf
from evidence.preaction import preaction_pdfs
from evidence.replay import ReplayError, contract_from_records
from evidence.verify_page import VERIFY_PAGE
from ledger.chain import ChainRecord, verify_chain
from ledger.errors import RatesUnavailable
from ledger.filing import STATEMENT_FILE
from ledger.rates import (
    SERIES_FILE,
    TABLE_FILES,
    UK_SERIES,
    read_table_texts,
    tables_from_texts,
    verified_through_dates,
)


@dataclass(frozen=True)
class BundleCheck:
    ok: bool
    failure: str | None = None
    fingerprint: str | None = None
    version: int | None = None
    events: int = 0


class Failed(Exception):
    """One named failure: the file or event, and why."""


def verify_bundle(source: str | Path | bytes, rates_dir: str | Path | None = None) -> BundleCheck:
    """``rates_dir``: the rate tables the bundle's must match (default: the ones packaged with this verifier)."""
    try:
        trusted = read_table_texts(rates_dir)
    except RatesUnavailable as error:  # the verifier's own tables, not the bundle, are at fault
        return BundleCheck(False, f"the verifier's rate tables cannot be read ({error.message})")
    try:
        files = read_zip(source)
        manifest = check_manifest(files)
        check_files(files, manifest)
        records = check_chain(files, manifest)
        check_anchors(files, records)
        check_rates(files, trusted, "packaged" if rates_dir is None else str(rates_dir))
        content = check_figures(files, manifest, records)
        check_documents(files, manifest, content)
    except Failed as failure:
        return BundleCheck(False, str(failure))
    except Exception as error:  # noqa: BLE001 - a crafted bundle gets a named failure, never a traceback
        return BundleCheck(False, f"the bundle cannot be checked ({type(error).__name__}: {error})")
    return BundleCheck(True, None, manifest["chain_head"], manifest["contract_version"], len(records))


def read_zip(source: str | Path | bytes) -> dict[str, bytes]:
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        with handle, zipfile.ZipFile(handle) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
            seen: set[str] = set()
            for name in names:  # a dict would keep only the last copy, and readers differ on which one they show
                if name in seen:
                    raise Failed(f"{name}: appears more than once in the ZIP")
                seen.add(name)
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, OSError) as error:
        raise Failed(f"the bundle is not a readable ZIP file ({error})") from error


def check_manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise Failed(f"{MANIFEST}: missing")
    try:
        manifest = json.loads(files[MANIFEST].decode("utf-8"))
        expected = manifest_bytes(manifest)
    except (ValueError, TypeError, AttributeError) as error:
        raise Failed(f"{MANIFEST}: not a valid manifest ({error})") from error
    if expected != files[MANIFEST]:
        raise Failed(f"{MANIFEST}: altered (its own SHA-256 digest or layout does not match its content)")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing or not isinstance(manifest.get("files"), dict):
        raise Failed(f"{MANIFEST}: not a bundle manifest (missing {', '.join(missing) or 'the file list'})")
    unlisted = [path for path in REQUIRED_FILES if path not in manifest["files"]]
    if unlisted:
        raise Failed(f"{unlisted[0]}: required, but not listed in the manifest")
    return dict(manifest)


def check_files(files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed: dict[str, Any] = manifest["files"]
    for path in sorted(listed):
        if path not in files:
            raise Failed(f"{path}: listed in the manifest but missing from the bundle")
        if sha256(files[path]) != listed[path]["sha256"]:
            raise Failed(f"{path}: SHA-256 does not match the manifest (the file was altered)")
        if path.startswith("attachments/") and sha256(files[path]) != path.split("/", 1)[1]:
            raise Failed(f"{path}: content does not match its content address")
    for path in sorted(files):
        if path != MANIFEST and path not in listed:
            raise Failed(f"{path}: not listed in the manifest (added to the bundle)")


def check_chain(files: dict[str, bytes], manifest: dict[str, Any]) -> list[ChainRecord]:
    try:
        records = parse_events_jsonl(files["events.jsonl"])
    except ValueError as error:
        raise Failed(f"events.jsonl: {error}") from error
    try:
        result = verify_chain(manifest["contract_id"], records)
    except (TypeError, ValueError) as error:  # e.g. a float smuggled into a payload cannot be hashed canonically
        raise Failed(f"events.jsonl: an event cannot be hashed ({error})") from error
    if not result.ok:
        raise Failed(f"events.jsonl: event version {result.broken_version}: {result.reason}")
    if (result.fingerprint, result.version) != (manifest["chain_head"], manifest["contract_version"]):
        raise Failed(f"events.jsonl: chain head {result.fingerprint} (version {result.version}) is not the one "
                     f"in the manifest")
    return records


def check_anchors(files: dict[str, bytes], records: list[ChainRecord]) -> None:
    """Each anchors/<version>.tsr: a granted token over the head of that version, signed under anchors/tsa-ca.pem."""
    tokens = sorted((p for p in files if p.startswith("anchors/") and p.endswith(".tsr")), key=anchor_version)
    if tokens and CA_FILE not in files:
        raise Failed(f"{CA_FILE}: missing (the timestamp tokens cannot be checked)")
    for path in tokens:
        head = token_head(files[path])
        if head is None:
            raise Failed(f"{path}: not a granted timestamp token")
        failure = check_anchor(Anchor(str(records[0].contract_id), anchor_version(path), head, files[path], ""), records)
        if failure:
            raise Failed(f"{path}: {failure}")
        why = verify_token(files[path], head, files[CA_FILE])
        if why:
            raise Failed(f"{path}: the timestamp token does not verify ({why})")


def anchor_version(path: str) -> int:
    name = path.removeprefix("anchors/").removesuffix(".tsr")
    if not name.isdigit() or int(name) < 1:
        raise Failed(f"{path}: not named anchors/<version>.tsr")
    return int(name)


def check_rates(files: dict[str, bytes], trusted: dict[str, str], where: str) -> None:
    """Each rates/ table must be the verifier's own, line for line (it may stop earlier: older tables end sooner),
    and no series may claim to be verified further than the verifier's own tables are."""
    check_verified_through(files, trusted, where)
    for name in TABLE_FILES:
        path = f"rates/{name}"
        ours, theirs = table_lines(trusted[name]), table_lines(files[path].decode("utf-8"))
        for number, line in enumerate(theirs, start=1):
            expected = ours[number - 1] if number <= len(ours) else None
            if line != expected:
                verifier = repr(expected) if expected is not None else "no such line"
                raise Failed(f"{path}: line {number} differs from the verifier's table ({where}): the bundle has "
                             f"{line!r}, the verifier {verifier}")


def check_verified_through(files: dict[str, bytes], trusted: dict[str, str], where: str) -> None:
    path = f"rates/{SERIES_FILE}"
    if path not in files:  # made before tables carried a verified-through date: every row is exact
        return
    try:
        theirs = verified_through_dates({SERIES_FILE: files[path].decode("utf-8")})
        ours = tables_from_texts(trusted)
    except (RatesUnavailable, ValueError, KeyError) as error:
        raise Failed(f"{path}: cannot be read ({error})") from error
    for series, day in sorted(theirs.items()):
        limit = (ours.uk if series == UK_SERIES else ours.eu).verified_through
        if day > limit:
            raise Failed(f"{path}: {series} is verified through {day} in the bundle, but only through {limit} in the "
                         f"verifier's tables ({where})")


def table_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def check_documents(files: dict[str, bytes], manifest: dict[str, Any], content: BundleContent) -> None:
    """The pre-action forms and both PDFs are rebuilt from the recomputed content and must be byte-identical
    (reportlab, invariant mode)."""
    check_preaction(files, content)  # first: a form left out also changes the file list the bundle PDF shows
    listed = {path: (entry["sha256"], entry["bytes"]) for path, entry in manifest["files"].items() if path != BUNDLE_PDF}
    rebuilt = {LETTER_PDF: build_letter_pdf(content),
               BUNDLE_PDF: build_bundle_pdf(content, manifest["chain_head"], manifest["generated_at"], listed)}
    for path, data in rebuilt.items():
        if files[path] != data:
            made_with = manifest.get("pdf_library", "not recorded")
            raise Failed(f"{path}: does not equal the document rebuilt from events.jsonl (made with {made_with}; "
                         f"rebuilt with {PDF_LIBRARY})")
    if files[VERIFY_PAGE] != verification_page():
        raise Failed(f"{VERIFY_PAGE}: is not this verifier's page (made by another release of the ledger, or altered)")


def check_preaction(files: dict[str, bytes], content: BundleContent) -> None:
    """The pre-action forms are there exactly when the debtor is an individual in England and Wales, as rebuilt."""
    rebuilt = preaction_pdfs(content)
    for path in sorted({*rebuilt, *(p for p in files if p.startswith("pre-action/"))}):
        if path not in files:
            raise Failed(f"{path}: required for an individual debtor in England and Wales, but missing")
        if path not in rebuilt:
            raise Failed(f"{path}: not a form this debtor is sent (the debtor is not an individual in England and Wales)")
        if files[path] != rebuilt[path]:
            raise Failed(f"{path}: does not equal the form rebuilt from events.jsonl")


def check_figures(files: dict[str, bytes], manifest: dict[str, Any], records: list[ChainRecord]) -> BundleContent:
    try:
        contract = contract_from_records(records)
        texts = {name: files[f"rates/{name}"].decode("utf-8") for name in (*TABLE_FILES, SERIES_FILE)
                 if f"rates/{name}" in files}
        attachments: dict[str, bytes | None] = {p.split("/", 1)[1]: d for p, d in files.items()
                                                if p.startswith("attachments/")}
        content = build_content(contract, records, manifest["as_of"], tables_from_texts(texts), attachments)
    except ReplayError as error:
        raise Failed(f"events.jsonl: {error}") from error
    except (KeyError, RatesUnavailable, ValueError) as error:
        raise Failed(f"rates/: the rate tables cannot be used ({error})") from error
    for path, text in (("statement.csv", statement_csv(content)), ("chronology.csv", chronology_csv(content)),
                       ("interest.csv", interest_csv(content)), (STATEMENT_FILE, particulars_text(content))):
        if files[path] != text.encode("utf-8"):
            raise Failed(f"{path}: does not equal the figures recomputed from events.jsonl "
                         f"(first difference at line {first_difference(files[path], text)})")
    if manifest["claim"] != claim_figures(content):
        raise Failed(f"{MANIFEST}: the claim totals do not equal those recomputed from events.jsonl")
    return content


def first_difference(stored: bytes, expected: str) -> int:
    old, new = stored.decode("utf-8", "replace").split("\n"), expected.split("\n")
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return number
    return min(len(old), len(new)) + 1
