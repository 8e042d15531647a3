"""The evidence PDF's table layout: greedy word wrap and page splits by row offsets."""

from __future__ import annotations

import hashlib
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from evidence.rowtable import PAD_Y, Look, Measure, RowTable, lay_out

LOOK = Look(font="Helvetica", bold_font="Helvetica-Bold", size=8.0, leading=10.0, ink=colors.black,
            rule=colors.grey, shade=colors.lightgrey, zebra=colors.white)


def test_wrapped_lines_never_exceed_the_column_and_keep_every_word_in_order() -> None:
    measure = Measure("Helvetica", 8.0)
    text = "Payment bank-7731 of GBP 4,000.00 received by transfer, reference NORTHWIND ADV; allocated to INV-000001"
    lines = measure.wrap(text, 100.0)
    assert len(lines) > 1
    assert all(stringWidth(line, "Helvetica", 8.0) <= 100.0 for line, _ in lines)
    assert " ".join(line for line, _ in lines) == text


def test_a_word_wider_than_the_column_is_broken_between_characters() -> None:
    digest = "c0ce5275bf0be7478fc3aee74f4cb1f7376591f7a33cc503e571c058c02c086d"
    lines = Measure("Helvetica", 8.0).wrap(digest, 60.0)
    assert "".join(line for line, _ in lines) == digest and len(lines) > 2


def test_a_table_splits_at_the_last_row_that_fits_and_the_parts_cover_every_row_once() -> None:
    measure = Measure("Helvetica", 8.0)
    rows = lay_out([[f"row {i}", "x"] for i in range(100)], [50.0, 50.0], LOOK, measure)
    (header,) = lay_out([["a", "b"]], [50.0, 50.0], LOOK, measure)
    row_height = 10.0 + 2 * PAD_Y
    table = RowTable(header, rows, [50.0, 50.0], frozenset(), LOOK)
    assert table.wrap(100.0, 1000.0) == (100.0, row_height * 101)
    first, rest = table.split(100.0, row_height * 10.5)  # the header and 9 rows fit
    assert (first.start, first.stop, rest.start, rest.stop) == (0, 9, 9, 100)
    assert rest.wrap(100.0, 1000.0)[1] == row_height * 92
    assert table.split(100.0, row_height * 1.5) == []  # only the header fits: move to the next page


# SHA-256 of ``built_in_font_pdf()`` as the table writer drew it before its drawing was rewritten for speed
# (commit 206f645); the TrueType path is pinned by tests/integration/test_evidence_golden.py.
BUILT_IN_FONT_PDF_SHA256 = "f1ac807e033f9ed079cc1b9d74cd63981a93bc5ba11b2bfd74cc8a8e3c050aa0"


def built_in_font_pdf() -> bytes:
    """Three pages of a table in Helvetica (drawn through reportlab's text object): wrapped, bold and right-aligned
    cells, characters a PDF string escapes."""
    regular, bold = Measure("Helvetica", 8.0), Measure("Helvetica-Bold", 8.0)
    widths = [40.0, 120.0, 60.0]
    texts = [[f"E-{i}", f"Row {i}: " + "words that wrap " * (i % 4) + ("(a) \\ b" if i % 5 == 0 else ""),
              f"{i * 1234.5:,.2f}"] for i in range(150)]
    rows = [lay_out([cells], widths, LOOK, bold if i % 7 == 0 else regular, bold=i % 7 == 0)[0]
            for i, cells in enumerate(texts)]
    (header,) = lay_out([["Exhibit", "Description", "Amount"]], widths, LOOK, bold)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, invariant=True)
    doc.addPageTemplates([PageTemplate(id="p", frames=[Frame(50, 50, 400, 700, id="f")])])
    doc.build([RowTable(header, rows, widths, frozenset({2}), LOOK)])
    return buffer.getvalue()


def test_a_table_in_a_built_in_font_is_drawn_byte_for_byte_as_before() -> None:
    assert hashlib.sha256(built_in_font_pdf()).hexdigest() == BUILT_IN_FONT_PDF_SHA256
