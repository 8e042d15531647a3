"""Evidence bundles are byte for byte those of the pinned digests (made before the PDF writer was optimised).

The verifier rebuilds both PDFs and compares bytes, so any change to how a PDF is
written would make every bundle exported earlier fail to verify. The digests in
tests/data/evidence_golden.json were computed by the earlier code from the
deterministic stories in ``tests.integration.evidence_golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.bundle import PDF_LIBRARY
from evidence.verify import verify_bundle
from tests.integration.evidence_golden import CASES, digests, export_case, members

GOLDEN = json.loads((Path(__file__).parent.parent / "data" / "evidence_golden.json").read_text("utf-8"))


def test_the_pinned_digests_were_made_with_this_pdf_library() -> None:
    # Another reportlab or font lays the pages out otherwise: the digests would then say nothing about our code.
    assert GOLDEN["pdf_library"] == PDF_LIBRARY


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_file_of_the_bundle_is_byte_for_byte_the_pinned_one(name: str, tmp_path: Path) -> None:
    data = export_case(f"sqlite:///{tmp_path}/ledger.db", CASES[name])
    expected: dict[str, str] = GOLDEN["cases"][name]
    found = digests(members(data))
    assert sorted(found) == sorted(expected)
    differing = [path for path in sorted(expected) if found[path] != expected[path]]
    assert differing == []
    check = verify_bundle(data)
    assert check.ok, check.failure
    assert check.events == CASES[name]["events"]
