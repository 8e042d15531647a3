"""verify.html in a real headless Chromium: the same verdict as the Python verifier, case by case.

Every tampering case of test_evidence_bundle.py and test_evidence_forgery.py is built again here and given to
both verifiers; they must agree on OK or failed and on the file (and event or line) they name. Where both state
the same check in the same words, the whole message must be equal.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from application.service import LedgerApplication
from evidence.attachments import AttachmentStore
from evidence.bundle import manifest_bytes, parse_events_jsonl, sha256
from evidence.content import build_content, claim_figures, interest_csv
from evidence.export import export_bundle
from evidence.replay import contract_from_records
from evidence.verify import verify_bundle
from infrastructure.store import StoreConfig
from ledger.chain import canonical_json
from ledger.rates import TABLE_FILES, tables_from_texts
from tests.browser import browser_verdict
from tests.integration.evidence_story import AS_OF, run_dispute_story

ACCOUNT = "acct-browser"
GENERATED_AT = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)
UK_TABLE = "rates/uk_late_payment_reference.csv"
UK_2026_H2 = "2026-07-01,2026-12-31,3.75,11.75"
Files = dict[str, bytes]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, bytes]]:
    """The dispute story's bundle as of AS_OF and as of the day before (for a genuine-looking swapped PDF)."""
    store = StoreConfig(f"sqlite:///{tmp_path_factory.mktemp('store')}/ledger.db")
    app = LedgerApplication(store, create_tables=True)
    attachments = AttachmentStore(app.store)
    try:
        contract_id, _ = run_dispute_story(app, ACCOUNT)
        first, second = (
            export_bundle(app, ACCOUNT, contract_id, as_of=day, generated_at=GENERATED_AT, attachments=attachments).data
            for day in (AS_OF, date(2026, 8, 19))
        )
        yield first, second
    finally:
        attachments.close()
        app.close()


def members(data: bytes) -> Files:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def resign(files: Files, *changed: str) -> Files:
    manifest = json.loads(files["manifest.json"])
    for path in changed:
        manifest["files"][path] = {"sha256": sha256(files[path]), "bytes": len(files[path])}
    return {**files, "manifest.json": manifest_bytes(manifest)}


def edited_event(files: Files) -> bytes:
    files = dict(files)
    lines = files["events.jsonl"].decode().splitlines()
    index = next(i for i, line in enumerate(lines) if '"PaymentReceived"' in line)
    event = json.loads(lines[index])
    event["payload"]["amount"] = 1
    lines[index] = json.dumps(event, sort_keys=True, separators=(",", ":"))
    files["events.jsonl"] = ("\n".join(lines) + "\n").encode()
    return rezip(list(resign(files, "events.jsonl").items()))


def not_an_event(files: Files) -> bytes:
    lines = files["events.jsonl"].decode().splitlines()
    lines[2] = '{"not": "an event"}'
    return rezip(list(resign({**files, "events.jsonl": ("\n".join(lines) + "\n").encode()}, "events.jsonl").items()))


def dropped_last_event(files: Files) -> bytes:
    events = b"".join(files["events.jsonl"].splitlines(keepends=True)[:-1])
    return rezip(list(resign({**files, "events.jsonl": events}, "events.jsonl").items()))


def statement_changed(files: Files) -> bytes:
    statement = files["statement.csv"].replace(b"4000.00", b"400.00", 1)
    return rezip(list(resign({**files, "statement.csv": statement}, "statement.csv").items()))


def with_manifest(files: Files, change: Callable[[dict[str, Any]], None]) -> bytes:
    manifest = json.loads(files["manifest.json"])
    change(manifest)
    return rezip(list({**files, "manifest.json": manifest_bytes(manifest)}.items()))


def claim_inflated(manifest: dict[str, Any]) -> None:
    manifest["claim"]["total"] += 10_000


def rates_inflated(files: Files) -> bytes:
    files = dict(files)
    files[UK_TABLE] = files[UK_TABLE].replace(UK_2026_H2.encode(), b"2026-07-01,2026-12-31,23.75,31.75")
    files["rates/uk_bank_rate_changes.csv"] += b"2026-06-18,23.75,forged\n"
    records = parse_events_jsonl(files["events.jsonl"])
    texts = {name: files[f"rates/{name}"].decode() for name in TABLE_FILES}
    content = build_content(contract_from_records(records), records, AS_OF.isoformat(), tables_from_texts(texts), {})
    files["interest.csv"] = interest_csv(content).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["claim"] = claim_figures(content)
    files["manifest.json"] = manifest_bytes(manifest)
    return rezip(list(resign(files, UK_TABLE, "rates/uk_bank_rate_changes.csv", "interest.csv").items()))


def cases(intact: bytes, day_before: bytes) -> dict[str, bytes]:
    files, other = members(intact), members(day_before)
    found: dict[str, bytes] = {"intact": intact, "not a zip": b"PK not really a zip"}
    for name, data in files.items():  # one byte changed in each file
        altered = bytearray(data)
        altered[len(altered) // 2] ^= 0x01
        found[f"one byte of {name}"] = rezip(list({**files, name: bytes(altered)}.items()))
    found.update(
        {
            "an edited event, manifest rehashed": edited_event(files),
            "a line that is not an event": not_an_event(files),
            "the last event dropped": dropped_last_event(files),
            "statement.csv edited, manifest rehashed": statement_changed(files),
            "claim total raised in the manifest": with_manifest(files, claim_inflated),
            "an added file": rezip(list({**files, "attachments/extra.txt": b"slipped in"}.items())),
            "statement.csv unlisted": with_manifest(files, lambda m: m["files"].pop("statement.csv")),
            "no file list": with_manifest(files, lambda m: m.pop("files")),
            "a rate table inflated, figures regenerated": rates_inflated(files),
        }
    )
    with pytest.warns(UserWarning, match="Duplicate name"):
        found["a duplicate entry whose last copy is genuine"] = rezip(
            [("bundle.pdf", b"%PDF-1.4 forged"), *files.items()]
        )
    for name in ("bundle.pdf", "letter-before-action.pdf"):
        found[f"{name} swapped for another day's"] = rezip(list(resign({**files, name: other[name]}, name).items()))
    return found


def named(failure: str | None) -> str | None:
    """What a failure names: the file, and the event version or line where it gives one."""
    if failure is None:
        return None
    match = re.match(r"([^:]+)(: (event version \S+|line \d+))?", failure)
    assert match is not None
    return match.group(1) + (f": {match.group(3)}" if match.group(3) else "")


SAME_WORDS = (
    "not a zip",
    "an edited event, manifest rehashed",
    "a line that is not an event",
    "the last event dropped",
    "an added file",
    "statement.csv unlisted",
    "no file list",
    "a rate table inflated, figures regenerated",
    "a duplicate entry whose last copy is genuine",
)


def test_verify_html_gives_the_python_verifiers_verdict_on_every_tampering_case(
    chromium: Any,
    exported: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    intact, day_before = exported
    page = tmp_path / "verify.html"
    page.write_bytes(members(intact)["verify.html"])  # the page of the intact bundle: the one a person trusts
    all_cases = cases(intact, day_before)
    assert len(all_cases) > 20
    for number, (case, data) in enumerate(all_cases.items()):
        chosen = tmp_path / f"case-{number}.zip"
        chosen.write_bytes(data)
        python = verify_bundle(data)
        browser = browser_verdict(chromium, page, chosen)
        assert browser["ok"] == python.ok, (case, python.failure, browser["failure"])
        assert named(browser["failure"]) == named(python.failure), (case, python.failure, browser["failure"])
        if case in SAME_WORDS:
            assert browser["failure"] == python.failure, case
        if case != "intact":
            assert not python.ok and browser["text"].startswith("FAILED: "), case


def test_verify_html_says_ok_with_the_fingerprint_on_an_intact_bundle_chosen_as_a_zip_or_an_unpacked_folder(
    chromium: Any,
    exported: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    intact = exported[0]
    python = verify_bundle(intact)
    assert python.ok and python.fingerprint is not None
    (tmp_path / "bundle.zip").write_bytes(intact)
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(intact)).extractall(folder)
    for chosen, as_folder in ((tmp_path / "bundle.zip", False), (folder, True)):
        browser = browser_verdict(chromium, folder / "verify.html", chosen, folder=as_folder)
        assert (browser["ok"], browser["fingerprint"], browser["version"], browser["events"]) == (
            True,
            python.fingerprint,
            python.version,
            python.events,
        )
        assert browser["text"].startswith("OK: ") and python.fingerprint in browser["text"]


def test_verify_html_names_the_altered_event_when_a_file_of_the_unpacked_folder_is_edited(
    chromium: Any,
    exported: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    forged = edited_event(members(exported[0]))
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(forged)).extractall(folder)
    page = tmp_path / "verify.html"
    page.write_bytes(members(exported[0])["verify.html"])
    browser = browser_verdict(chromium, page, folder, folder=True)
    assert browser["failure"] == verify_bundle(forged).failure
    assert re.match(r"events\.jsonl: event version \d+: content does not match its hash", browser["failure"])


# JSON texts whose canonical form is easy to get wrong: non-ASCII and astral text and keys (Python sorts keys by
# code point, JavaScript's default sort by UTF-16 unit), integers beyond 2**53, -0, escapes, control characters,
# U+2028, duplicate keys (the last wins), and the inputs Python refuses (floats, lone surrogates).
CANONICAL_CASES = [
    '{"b":1,"a":[true,false,null],"é":"naïve – 東京 😀"}',
    '{"\\ud83d\\ude00":1,"\\uffff":2,"\\ue000":3,"z":4}',
    '{"big":123456789012345678901234567890,"neg":-9007199254740993,"zero":-0}',
    '{"s":"quote \\" backslash \\\\ slash \\/ tab \\t nl \\n cr \\r bs \\b ff \\f \\u0001 \\u001f \\u007f"}',
    '{"sep":"\\u2028\\u2029\\u0085","raw":"\u2028"}',
    '{"k":1,"k":2}',
    '{"nested":{"y":[{"b":2,"a":1}],"x":{}},"empty":[]}',
    '{"amount":1.5}',
    '{"lone":"\\ud800"}',
    '{"huge":1e400}',
]


def python_canonical(text: str) -> str:
    try:
        return sha256(canonical_json(json.loads(text)))
    except (TypeError, ValueError) as error:
        return f"refused: {'TypeError' if isinstance(error, TypeError) else 'ValueError'}"


def test_the_pages_canonical_json_hashes_equal_python_ones_for_tricky_texts(
    chromium: Any,
    exported: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    page = tmp_path / "verify.html"
    page.write_bytes(members(exported[0])["verify.html"])
    chromium.get(page.as_uri())
    script = """const [texts, done] = arguments;
      Promise.all(texts.map(async t => { try { return await sha256Hex(canonical(parseJson(t))); }
                                         catch (e) { return 'refused: ' + (e instanceof PyTypeError ? 'TypeError' : 'ValueError'); } }))
        .then(done);"""
    browser = chromium.execute_async_script(script, CANONICAL_CASES)
    expected = [python_canonical(text) for text in CANONICAL_CASES]
    assert expected[-3:] == ["refused: TypeError", "refused: ValueError", "refused: TypeError"]
    assert browser == expected
