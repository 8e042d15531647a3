"""A fast, splittable table flowable for long listings (chronology, statement, payments ...).

reportlab's ``Table`` of ``Paragraph`` cells costs about half a millisecond per cell
and re-measures the rest of a table at every page break; a 10,000-event
chronology took over a minute. Here every cell is plain text, wrapped once by a
greedy word fill with a per-word width cache, each row's height is known up
front, and a page break slices the row list by index: layout and drawing are
linear in the number of rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import PATH_OPS
from reportlab.platypus import Flowable

PAD_X, PAD_Y = 3.0, 2.5
WRAPPED_CACHED_MAX = 200_000  # cells laid out, kept across documents: a bound for a long-running server


class Measure:
    """Word widths for one font and size, cached (words repeat a lot in a ledger)."""

    def __init__(self, font: str, size: float) -> None:
        self.font, self.size = font, size
        self.cache: dict[str, float] = {}
        self.wrapped: dict[tuple[str, float], tuple[tuple[str, float], ...]] = {}
        self.space = stringWidth(" ", font, size)

    def width(self, word: str) -> float:
        found = self.cache.get(word)
        if found is None:
            found = self.cache[word] = stringWidth(word, self.font, self.size)
        return found

    def lines(self, text: str, limit: float) -> tuple[tuple[str, float], ...]:
        """``wrap``, remembered per text and width (dates, stages and amounts repeat down a column)."""
        key = (text, limit)
        found = self.wrapped.get(key)
        if found is None:
            if len(self.wrapped) >= WRAPPED_CACHED_MAX:
                self.wrapped.clear()
            found = self.wrapped[key] = tuple(self.wrap(text, limit))
        return found

    def wrap(self, text: str, limit: float) -> list[tuple[str, float]]:
        """Lines of at most ``limit`` points, each with its width (for right alignment)."""
        whole = self.width(text)
        if whole <= limit and "\n" not in text and "  " not in text:  # most cells: one short line
            return [(text.strip(), whole)] if text == text.strip() else self.fill(text, limit)
        return self.fill(text, limit)

    def fill(self, text: str, limit: float) -> list[tuple[str, float]]:
        lines: list[tuple[str, float]] = []
        words: list[str] = []
        used = 0.0
        for word in text.split():
            width = self.width(word)
            for piece in self.pieces(word, limit) if width > limit else (word,):
                width = self.width(piece)
                if words and used + self.space + width > limit:
                    lines.append((" ".join(words), used))
                    words, used = [], 0.0
                used += (self.space if words else 0.0) + width
                words.append(piece)
        if words:
            lines.append((" ".join(words), used))
        return lines or [("", 0.0)]

    def pieces(self, word: str, limit: float) -> list[str]:
        """A word wider than the column (a hash, a URL) is broken between characters."""
        parts, current = [], ""
        for char in word:
            if current and self.width(current + char) > limit:
                parts.append(current)
                current = ""
            current += char
        return [*parts, current]


@dataclass(frozen=True)
class Row:
    cells: tuple[tuple[tuple[str, float], ...], ...]  # per cell: its lines with their widths
    height: float
    bold: bool = False


@dataclass(frozen=True)
class Look:
    font: str
    bold_font: str
    size: float
    leading: float
    ink: Any
    rule: Any
    shade: Any
    zebra: Any


def lay_out(texts: Sequence[Sequence[str]], widths: Sequence[float], look: Look, measure: Measure,
            bold: bool = False) -> list[Row]:
    rows = []
    limits = [width - 2 * PAD_X for width in widths]
    for cells in texts:
        if len(cells) != len(limits):
            raise ValueError(f"a row of {len(cells)} cells in a table of {len(limits)} columns")
        wrapped = tuple(map(measure.lines, cells, limits))
        height = max(map(len, wrapped)) * look.leading + 2 * PAD_Y
        rows.append(Row(wrapped, height, bold))
    return rows


class RowTable(Flowable):
    """Rows ``start`` to the end of a laid-out table; splitting makes a new view, not a copy."""

    def __init__(self, header: Row, rows: list[Row], widths: Sequence[float], right: frozenset[int], look: Look,
                 start: int = 0, stop: int | None = None, tops: list[float] | None = None) -> None:
        super().__init__()
        self.header, self.rows, self.widths, self.right, self.look = header, rows, widths, right, look
        self.start, self.stop = start, len(rows) if stop is None else stop
        # tops[i] = height of rows[:i], computed once and shared by every part: wrap and split stay O(1) / O(page)
        self.tops = tops if tops is not None else list(accumulate((r.height for r in rows), initial=0.0))

    def part(self, start: int, stop: int) -> RowTable:
        return RowTable(self.header, self.rows, self.widths, self.right, self.look, start, stop, self.tops)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = sum(self.widths)
        self.height = self.header.height + self.tops[self.stop] - self.tops[self.start]
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        limit = self.tops[self.start] + avail_height - self.header.height
        index = bisect_right(self.tops, limit, self.start, self.stop + 1) - 1  # last row boundary that fits
        if index <= self.start:
            return []  # not even one row fits: the frame moves to the next page
        return [self.part(self.start, index), self.part(index, self.stop)]

    def draw(self) -> None:
        canvas, look = self.canv, self.look
        rows = [(self.header, look.shade, True)]
        rows += [(row, look.zebra if offset % 2 else None, False)
                 for offset, row in enumerate(self.rows[self.start:self.stop])]
        top = self.height
        code: list[str] = canvas._code
        fill_op = PATH_OPS[0, 1, canvas._fillMode]  # what ``canvas.rect(..., stroke=0, fill=1)`` ends with
        for row, fill, header in rows:  # backgrounds and rules first, then all the text in one block
            top = self.draw_frame(code, row, top, fill, header=header, fill_op=fill_op)
        # What the canvas calls would have left as its current state (later drawing may rely on it).
        fills = [fill for _, fill, _ in rows if fill is not None]
        if fills:
            canvas._fillColorObj = fills[-1]
        canvas._strokeColorObj = look.ink if rows[-1][2] or rows[-1][0].bold else look.rule
        canvas._lineWidth = 0.8 if len(rows) == 1 else 0.25
        text = TextWriter(canvas, look.size)
        top = self.height
        for row, _, header in rows:
            top = self.draw_text(text, row, top, header=header)
        canvas.setFillColor(look.ink)
        text.finish()

    def draw_frame(self, code: list[str], row: Row, top: float, fill: Any, *, header: bool, fill_op: str) -> float:
        """The operators ``canvas.setFillColor``, ``rect``, ``setStrokeColor``, ``setLineWidth`` and ``line`` write,
        appended directly (the canvas calls cost more than the drawing: a long table has tens of thousands of rows)."""
        look, width = self.look, sum(self.widths)
        bottom = top - row.height
        if fill is not None:
            code.append(colour_op(fill, "rg"))
            code.append(f"n {fp_str(0, bottom, width, row.height)} re {fill_op}")
        code.append(colour_op(look.ink if header or row.bold else look.rule, "RG"))
        code.append(f"{fp_str(0.8 if header else 0.25)} w")
        code.append(f"n {fp_str(0, bottom)} m {fp_str(width, bottom)} l S")
        if row.bold:
            code.append(f"n {fp_str(0, top)} m {fp_str(width, top)} l S")
        return bottom

    def draw_text(self, text: TextWriter, row: Row, top: float, *, header: bool) -> float:
        look = self.look
        font = look.bold_font if header or row.bold else look.font
        x = 0.0
        for column, (lines, column_width) in enumerate(zip(row.cells, self.widths, strict=True)):
            y = top - PAD_Y - look.size
            for line, line_width in lines:
                if line:
                    text.line(font, x + column_width - PAD_X - line_width if column in self.right else x + PAD_X, y, line)
                y -= look.leading
            x += column_width
        return top - row.height


def colour_op(colour: Any, operator: str) -> str:
    """``0.1 0.1 0.1 rg``: what ``canvas.setFillColor`` (``rg``) or ``setStrokeColor`` (``RG``) writes for an RGB colour."""
    return f"{fp_str((colour.red, colour.green, colour.blue))} {operator}"


class TextWriter:
    """Text lines at given positions, written as PDF operators in one BT ... ET block.

    reportlab's text object costs about 8 microseconds a line in Python bookkeeping;
    for a TrueType font this writes the same operators directly (the font's own
    subset encoding, cached per document and text), about seven times faster. A
    built-in (Type 1) font goes through the ordinary text object.
    """

    caches: ClassVar[WeakKeyDictionary[Any, dict[tuple[str, str], str]]] = WeakKeyDictionary()

    def __init__(self, canvas: Any, size: float) -> None:
        self.canvas, self.size = canvas, size
        self.doc = canvas._doc  # the document owns the TrueType subsets
        self.cache = self.caches.setdefault(self.doc, {})
        self.ops: list[str] = ["BT"]
        self.fonts: dict[str, Any] = {}
        self.fallback = canvas.beginText()

    def line(self, font_name: str, x: float, y: float, text: str) -> None:
        encoded = self.cache.get((font_name, text))  # only TrueType texts are cached: a hit needs no font lookup
        if encoded is None:
            font = self.fonts.get(font_name)
            if font is None:
                font = self.fonts[font_name] = pdfmetrics.getFont(font_name)
            if not getattr(font, "_dynamicFont", False):
                self.fallback.setFont(font_name, self.size)
                self.fallback.setTextOrigin(x, y)
                self.fallback.textOut(text)
                return
            encoded = self.cache[font_name, text] = " ".join(
                f"{self.subset_name(font, subset)} {self.size:g} Tf ({escapePDF(chunk)}) Tj"
                for subset, chunk in split_string(font, text, self.doc))
        self.ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm {encoded}")

    def subset_name(self, font: Any, subset: int) -> str:
        key = (font.fontName, f"#subset {subset}")  # beside the texts, in the same per-document cache
        name = self.cache.get(key)
        if name is None:
            name = self.cache[key] = font.getSubsetInternalName(subset, self.doc)
        return name

    def finish(self) -> None:
        self.canvas.addLiteral("\n".join([*self.ops, "ET"]))
        self.canvas.drawText(self.fallback)


def split_string(font: Any, text: str, doc: Any) -> list[tuple[int, bytes]]:
    """``font.splitString(text, doc)``, without its per-character loop when every character already has its code
    in the document's subsets (the usual case after the first pages): the same chunks, several times faster."""
    assignments = font.state[doc].assignments if doc in font.state else None
    if assignments is None or not text:
        return list(font.splitString(text, doc))
    try:
        codes = [assignments[32 if code == 0xA0 else code] for code in map(ord, text)]
    except KeyError:  # a character new to this document: the font assigns it a code
        return list(font.splitString(text, doc))
    if max(codes) < 256:
        return [(0, bytes(codes))]
    chunks: list[tuple[int, bytes]] = []
    start = 0
    for index in range(1, len(codes) + 1):
        if index == len(codes) or codes[index] >> 8 != codes[start] >> 8:
            chunks.append((codes[start] >> 8, bytes(code & 0xFF for code in codes[start:index])))
            start = index
    return chunks
