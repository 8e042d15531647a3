"""verify.html: the bundle's own checker, for anyone with a browser (no network, no external scripts).

The page is the same for every bundle this version of the ledger makes: its
template (``verify_page.html``) with the packaged rate tables and the verifier's
file and column lists filled in. Nothing bundle-specific goes in, so the page is
listed in the manifest like any other file (its digest is known before the
manifest is written: nothing is circular), and its SHA-256 is the same for every
bundle of one release: ``page_sha256()``, shown by ``ledger evidence page``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

from evidence.content import CHRONOLOGY_COLUMNS, INTEREST_COLUMNS, STATEMENT_COLUMNS
from ledger.rates import TABLE_FILES, read_table_texts

VERIFY_PAGE = "verify.html"


def page_config(required_files: tuple[str, ...], manifest_keys: tuple[str, ...]) -> dict[str, object]:
    return {
        "required_files": list(required_files),
        "manifest_keys": list(manifest_keys),
        "table_files": list(TABLE_FILES),
        "rates": read_table_texts(),
        "statement_columns": STATEMENT_COLUMNS,
        "chronology_columns": CHRONOLOGY_COLUMNS,
        "interest_columns": INTEREST_COLUMNS,
    }


@cache
def page_html(required_files: tuple[str, ...], manifest_keys: tuple[str, ...]) -> bytes:
    template = resources.files(__package__).joinpath("verify_page.html").read_text(encoding="utf-8")
    config = json.dumps(page_config(required_files, manifest_keys), ensure_ascii=True, sort_keys=True)
    return template.replace("__LEDGER_CONFIG__", config.replace("</", "<\\/")).encode("utf-8")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
