"""Shared PDF building blocks (reportlab platypus): fonts, styles, page furniture, tables.

Tables of records use ``evidence.rowtable`` (plain-text cells, linear layout);
platypus paragraphs are kept for running text and the short key/value blocks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle

from evidence.rowtable import Look, Measure, RowTable, lay_out, lay_out_rows
from ledger.money import format_minor

# every byte but 0x18-0x1F, the ASCII characters PDFDocEncoding maps elsewhere (deleted, so only those remain)
LATIN1_AS_PDFDOC = bytes(code for code in range(256) if not 0x18 <= code <= 0x1F)


class Base85AsBytes(pdfdoc.PDFStreamFilterBase85Encode):
    """reportlab's ASCII85 stream filter, returning the bytes its text becomes in the file.

    Every page stream is compressed, then ASCII85-encoded to text, which reportlab then encodes with its
    PDFDocEncoding codec: a dictionary-driven charmap that costs a bundle of hundreds of pages tens of milliseconds.
    ASCII85 text is printable ASCII (and line ends), which that codec and latin-1 turn into the same bytes: handing
    over the bytes skips it. Anything else (PDFDocEncoding differs from latin-1 at 0x18-0x1F and above 0x7F) is
    left to reportlab as before.
    """

    def encode(self, text: Any) -> Any:
        encoded = super().encode(text)
        if isinstance(encoded, str) and encoded.isascii():
            data = encoded.encode("latin-1")
            if not data.translate(None, LATIN1_AS_PDFDOC):  # nothing left: no byte PDFDocEncoding would change
                return data
        return encoded


pdfdoc.PDFBase85Encode = Base85AsBytes()  # the instance PDFPage puts in front of each page stream's compression

MARGIN = 18 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")
ZEBRA = colors.HexColor("#f7f7f7")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


FONT_FILES = {"LedgerSans": "DejaVuSans.ttf", "LedgerSans-Bold": "DejaVuSans-Bold.ttf",
              "LedgerCondensed": "DejaVuSansCondensed.ttf", "LedgerCondensed-Bold": "DejaVuSansCondensed-Bold.ttf"}


def register_fonts() -> tuple[str, str, str, str]:
    """DejaVu when the system has it (names in any script render; condensed for tables), else Helvetica."""
    if not all((DEJAVU / name).is_file() for name in FONT_FILES.values()):
        return "Helvetica", "Helvetica-Bold", "Helvetica", "Helvetica-Bold"
    for name, file in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(DEJAVU / file)))
    for family in ("LedgerSans", "LedgerCondensed"):  # so <b> in a paragraph picks the bold face
        registerFontFamily(family, normal=family, bold=f"{family}-Bold", italic=family, boldItalic=f"{family}-Bold")
    return "LedgerSans", "LedgerSans-Bold", "LedgerCondensed", "LedgerCondensed-Bold"


FONT, FONT_BOLD, FONT_TABLE, FONT_TABLE_BOLD = register_fonts()


def style(name: str, size: float, *, bold: bool = False, leading: float | None = None, space_before: float = 0,
          space_after: float = 0, colour: Any = INK, condensed: bool = False) -> ParagraphStyle:
    fonts = (FONT_TABLE, FONT_TABLE_BOLD) if condensed else (FONT, FONT_BOLD)
    return ParagraphStyle(name, fontName=fonts[1] if bold else fonts[0], fontSize=size, leading=leading or size * 1.3,
                          spaceBefore=space_before, spaceAfter=space_after, textColor=colour, alignment=TA_LEFT)


TITLE = style("title", 22, bold=True, space_after=4)
SUBTITLE = style("subtitle", 13, space_after=10)
H1 = style("h1", 14, bold=True, space_before=6, space_after=6)
H2 = style("h2", 11, bold=True, space_before=8, space_after=4)
BODY = style("body", 10, leading=13.5, space_after=5)
SMALL = style("small", 8, leading=10, colour=colors.HexColor("#444444"))
CELL = style("cell", 8.5, leading=10.5, condensed=True)
CELL_BOLD = style("cellbold", 8.5, bold=True, leading=10.5, condensed=True)


def text(value: Any) -> str:
    """Escape caller-supplied text for a Paragraph (it is markup)."""
    return escape("" if value is None else str(value))


def para(value: Any, st: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text(value), st)


def markup(value: str, st: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of our own markup (bold, line breaks); caller text inside must be escaped with ``text``."""
    return Paragraph(value, st)


def money_fn(currency: str) -> Callable[[int], str]:
    """``GBP 4,000.00``: for running text and the claim summary."""
    return lambda amount: format_minor(amount, currency)


def figures_fn(currency: str) -> Callable[[int], str]:
    """``4,000.00``: for table columns whose header names the currency."""

    def figures(amount: int) -> str:
        digits = format_minor(abs(amount), currency).split(" ", 1)[1]
        return f"-{digits}" if amount < 0 else digits

    return figures


MEASURES: dict[tuple[str, float], Measure] = {}
LOOK = Look(font=FONT_TABLE, bold_font=FONT_TABLE_BOLD, size=8.0, leading=10.0, ink=INK, rule=RULE, shade=SHADE,
            zebra=ZEBRA)


def measure(font: str) -> Measure:
    key = (font, LOOK.size)
    if key not in MEASURES:
        MEASURES[key] = Measure(font, LOOK.size)
    return MEASURES[key]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float], *,
          right: Sequence[int] = (), bold_last: bool = False, bold_rows: frozenset[int] = frozenset()) -> list[Flowable]:
    """A ruled table with a shaded header that repeats on every page (linear in rows: see ``rowtable``)."""
    if not rows:
        return [para("None recorded.", SMALL)]
    bold_rows = bold_rows | ({len(rows) - 1} if bold_last else set())
    regular, bold = measure(LOOK.font), measure(LOOK.bold_font)
    laid = lay_out_rows(rows, widths, LOOK, regular, bold, frozenset(bold_rows))
    (head,) = lay_out([list(header)], widths, LOOK, bold)
    return [RowTable(head, laid, widths, frozenset(right), LOOK)]


def key_values(pairs: Sequence[tuple[str, Any]], widths: tuple[float, float] = (42 * mm, BODY_WIDTH - 42 * mm)) -> Table:
    """Label / value rows without a header (parties, contract terms)."""
    data = [[Paragraph(text(k), CELL_BOLD), v if isinstance(v, Flowable) else Paragraph(text(v), CELL)]
            for k, v in pairs]
    return Table(data, colWidths=list(widths), style=TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))


@dataclass(frozen=True)
class Furniture:
    """What every page carries: a running head and a footer with the fingerprint and page number."""

    head_left: str
    head_right: str
    foot_left: str

    def draw(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        draw_string(canvas, MARGIN, PAGE_HEIGHT - 11 * mm, self.head_left)
        draw_string(canvas, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 11 * mm, self.head_right, right=True)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, PAGE_HEIGHT - 12.5 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 12.5 * mm)
        canvas.line(MARGIN, 12.5 * mm, PAGE_WIDTH - MARGIN, 12.5 * mm)
        draw_string(canvas, MARGIN, 9 * mm, self.foot_left)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()


DRAWN: WeakKeyDictionary[Any, dict[tuple[Any, ...], str]] = WeakKeyDictionary()  # per document


def draw_string(canvas: Any, x: float, y: float, value: str, *, right: bool = False) -> None:
    """``canvas.drawString`` (or ``drawRightString``), its operators remembered per document: the running head and
    foot are the same text at the same place in the same font on every page, so after the first page they are
    copied rather than laid out again (a long bundle has hundreds of pages)."""
    drawn = DRAWN.get(canvas._doc)
    if drawn is None:
        drawn = DRAWN[canvas._doc] = {}
    key = (right, x, y, value, canvas._fontname, canvas._fontsize, canvas._leading, canvas.bottomup)
    code = drawn.get(key)
    if code is not None:
        canvas._code.append(code)
        return
    before = len(canvas._code)
    (canvas.drawRightString if right else canvas.drawString)(x, y, value)
    if len(canvas._code) == before + 1:  # one text object, as reportlab writes it: safe to copy
        drawn[key] = canvas._code[-1]


def render(story: list[Flowable], furniture: Furniture, *, title: str, subject: str, author: str,
           keywords: str = "") -> bytes:
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN, title=title, subject=subject, author=author, creator="paid-ledger",
                          keywords=keywords,
                          invariant=True)
    frame = Frame(MARGIN, MARGIN, BODY_WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=furniture.draw)])
    doc.build(story)
    return buffer.getvalue()
