"""A fast, splittable table flowable for long listings (chronology, statement, payments ...).

reportlab's ``Table`` of ``Paragraph`` cells costs about half a millisecond per cell
and re-measures the rest of a table at every page break; a 10,000-event
chronology took over a minute. Here every cell is plain text, wrapped once by a
greedy word fill with a per-word width cache, each row's height is known up
front, and a page break slices the row list by index: layout and drawing are
linear in the number of rows.

Drawing writes the PDF operators the canvas calls would have written, byte for
byte (the offline verifier rebuilds every PDF and compares bytes, so bundles
made before this module existed must still verify), but with the per-row and
per-line Python work cut to a loop over precomputed strings: a 10,000-event
bundle draws about 25,000 rows and 165,000 text lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from operator import getitem
from typing import Any, ClassVar, NamedTuple
from weakref import WeakKeyDictionary

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import PATH_OPS
from reportlab.platypus import Flowable

PAD_X, PAD_Y = 3.0, 2.5
WRAPPED_CACHED_MAX = 200_000  # cells laid out, kept across documents: a bound for a long-running server

Lines = tuple[tuple[str, float], ...]


class Measure:
    """Word widths for one font and size, cached (words repeat a lot in a ledger)."""

    def __init__(self, font: str, size: float) -> None:
        self.font, self.size = font, size
        self.cache: dict[str, float] = {}
        self.wrapped: dict[float, Column] = {}  # per column width: text -> its lines
        self.wrapped_count = 0
        self.space = stringWidth(" ", font, size)

    def width(self, word: str) -> float:
        found = self.cache.get(word)
        if found is None:
            found = self.cache[word] = stringWidth(word, self.font, self.size)
        return found

    def column(self, limit: float) -> Column:
        """The texts already wrapped at this width (dates, stages and amounts repeat down a column)."""
        found = self.wrapped.get(limit)
        if found is None:
            found = self.wrapped[limit] = Column(self, limit)
        return found

    def lines(self, text: str, limit: float) -> Lines:
        """``wrap``, remembered per text and width."""
        return self.column(limit)[text]

    def counted(self) -> None:
        """One more text wrapped and kept: past the bound, every column forgets what it holds."""
        if self.wrapped_count >= WRAPPED_CACHED_MAX:
            for texts in self.wrapped.values():
                texts.clear()
            self.wrapped_count = 0
        self.wrapped_count += 1

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


class Column(dict[Any, Lines]):
    """Cell text -> its lines at one column width; a text not seen yet is wrapped on lookup (``__missing__``), so a
    row is laid out by one ``map`` over its cells. A cell that is not text is shown as ``str(cell)``, None as nothing."""

    def __init__(self, measure: Measure, limit: float) -> None:
        super().__init__()
        self.measure, self.limit = measure, limit

    def __missing__(self, cell: Any) -> Lines:
        if type(cell) is not str:
            return self["" if cell is None else str(cell)]
        self.measure.counted()
        found = self[cell] = tuple(self.measure.wrap(cell, self.limit))
        return found


class Row(NamedTuple):
    """A laid-out row (a tuple: a long bundle makes tens of thousands)."""

    cells: tuple[Lines, ...]  # per cell: its lines with their widths
    height: float
    bold: bool = False
    depth: int = 1  # lines in the tallest cell


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
    return lay_out_rows(texts, widths, look, measure, measure, frozenset(range(len(texts))) if bold else frozenset())


def lay_out_rows(texts: Sequence[Sequence[Any]], widths: Sequence[float], look: Look, regular: Measure,
                 strong: Measure, bold_rows: frozenset[int] = frozenset()) -> list[Row]:
    """Rows ``bold_rows`` (indices) in ``strong``'s font, the others in ``regular``'s; a cell is shown as
    ``str(cell)``, and None as nothing."""
    limits = [width - 2 * PAD_X for width in widths]
    plain, strong_columns = [regular.column(limit) for limit in limits], [strong.column(limit) for limit in limits]
    leading, padding = look.leading, 2 * PAD_Y
    rows = []
    for index, cells in enumerate(texts):
        if len(cells) != len(limits):
            raise ValueError(f"a row of {len(cells)} cells in a table of {len(limits)} columns")
        bold = index in bold_rows
        wrapped = tuple(map(getitem, strong_columns if bold else plain, cells))
        depth = max(map(len, wrapped))
        rows.append(Row(wrapped, depth * leading + padding, bold, depth))
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
        rows = [self.header, *self.rows[self.start:self.stop]]
        code: list[str] = canvas._code
        fill_op = PATH_OPS[0, 1, canvas._fillMode]  # what ``canvas.rect(..., stroke=0, fill=1)`` ends with
        code.append(self.frame_ops(rows, fill_op))  # backgrounds and rules first, then all the text in one block
        # What the canvas calls would have left as its current state (later drawing may rely on it).
        canvas._fillColorObj = look.zebra if len(rows) > 2 else look.shade
        last = rows[-1]
        canvas._strokeColorObj = look.ink if len(rows) == 1 or last.bold else look.rule
        canvas._lineWidth = 0.8 if len(rows) == 1 else 0.25
        text = TextWriter(canvas, look.size)
        self.text_ops(text, rows)
        canvas.setFillColor(look.ink)
        text.finish()

    def frame_ops(self, rows: list[Row], fill_op: str) -> str:
        """What ``canvas.setFillColor``, ``rect``, ``setStrokeColor``, ``setLineWidth`` and ``line`` write for each
        row's shading and rules (the header shaded, then every other row), as one piece of the page's code."""
        look, width = self.look, fp_str(sum(self.widths))
        shade, zebra = colour_op(look.shade, "rg"), colour_op(look.zebra, "rg")
        ink, rule = colour_op(look.ink, "RG"), colour_op(look.rule, "RG")
        heavy, thin = f"{fp_str(0.8)} w", f"{fp_str(0.25)} w"
        heights: dict[float, str] = {}
        top = self.height
        above = fp_str(top)
        ops: list[str] = []
        for offset, row in enumerate(rows):
            height = row.height
            bottom = top - height
            below = fp_str(bottom)
            if offset == 0 or offset % 2 == 0:  # the header, then the rows at odd offsets past it
                tall = heights.get(height)
                if tall is None:
                    tall = heights[height] = fp_str(height)
                ops.append(shade if offset == 0 else zebra)
                ops.append(f"n 0 {below} {width} {tall} re {fill_op}")
            if offset == 0:
                ops += (ink, heavy)
            else:
                ops += (ink if row.bold else rule, thin)
            ops.append(f"n 0 {below} m {width} {below} l S")
            if row.bold:
                ops.append(f"n 0 {above} m {width} {above} l S")
            top, above = bottom, below
        return "\n".join(ops)

    def text_ops(self, text: TextWriter, rows: list[Row]) -> None:
        """Each cell's lines, left- or right-aligned: the positions as ``TextWriter.line`` formats them."""
        look = self.look
        edges = []  # per column: the left edge (and as text), or the right edge less each line's width
        x = 0.0
        for column, column_width in enumerate(self.widths):
            edges.append((x + PAD_X, f"{x + PAD_X:.2f}", x + column_width - PAD_X if column in self.right else None))
            x += column_width
        size, leading = look.size, look.leading
        top = self.height
        ops = text.ops
        for offset, row in enumerate(rows):
            font = look.bold_font if offset == 0 or row.bold else look.font
            known = text.encodings(font)
            y = top - PAD_Y - size
            ys = [y]
            for _ in range(row.depth - 1):
                y -= leading
                ys.append(y)
            downs = [f"{y:.2f}" for y in ys]
            for lines, (left, at_left, right) in zip(row.cells, edges, strict=True):
                for depth, (line, line_width) in enumerate(lines):
                    if not line:
                        continue
                    at = at_left if right is None else f"{right - line_width:.2f}"
                    encoded = known.get(line)
                    if encoded is None:
                        x = left if right is None else right - line_width
                        encoded = text.encode(font, line, x, ys[depth])
                        if encoded is None:  # a built-in font: drawn by reportlab's text object
                            continue
                    ops.append(f"1 0 0 1 {at} {downs[depth]} Tm {encoded}")
            top -= row.height


def colour_op(colour: Any, operator: str) -> str:
    """``0.1 0.1 0.1 rg``: what ``canvas.setFillColor`` (``rg``) or ``setStrokeColor`` (``RG``) writes for an RGB colour."""
    return f"{fp_str((colour.red, colour.green, colour.blue))} {operator}"


class NewCharacter(Exception):
    """A character the font has not yet given a code in this document."""


class Codes(dict[int, str]):
    """A font's codes in one document as a ``str.translate`` table: character -> the character of its code.

    It follows the font's own assignments (``font.state[doc].assignments``, which only ever grow), and a character
    without a code raises ``NewCharacter`` out of ``translate`` rather than passing through unchanged.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0  # assignments copied so far

    def __missing__(self, key: int) -> str:
        raise NewCharacter(key)

    def follow(self, assignments: dict[int, int]) -> None:
        if len(assignments) != self.seen:
            for char, code in islice(assignments.items(), self.seen, None):
                self[char] = chr(code)
            self.seen = len(assignments)
            if 32 in assignments:
                self[0xA0] = chr(assignments[32])  # the font maps a no-break space to the space


class DocumentCache:
    """Per document: each TrueType font's encoded texts and code table, and the subsets' internal names."""

    def __init__(self) -> None:
        self.texts: dict[str, dict[str, str]] = {}
        self.codes: dict[str, Codes] = {}
        self.subsets: dict[tuple[str, int], str] = {}


class TextWriter:
    """Text lines at given positions, written as PDF operators in one BT ... ET block.

    reportlab's text object costs about 8 microseconds a line in Python bookkeeping;
    for a TrueType font this writes the same operators directly (the font's own
    subset encoding, cached per document, font and text), several times faster. A
    built-in (Type 1) font goes through the ordinary text object.
    """

    caches: ClassVar[WeakKeyDictionary[Any, DocumentCache]] = WeakKeyDictionary()

    def __init__(self, canvas: Any, size: float) -> None:
        self.canvas, self.size = canvas, size
        self.doc = canvas._doc  # the document owns the TrueType subsets
        cache = self.caches.get(self.doc)
        if cache is None:
            cache = self.caches[self.doc] = DocumentCache()
        self.cache: DocumentCache = cache
        self.ops: list[str] = ["BT"]
        self.fonts: dict[str, Any] = {}
        self.fast: dict[str, tuple[Codes, dict[int, int], str, dict[str, str]]] = {}  # TrueType fonts in use
        self.fallback = canvas.beginText()

    def encodings(self, font_name: str) -> dict[str, str]:
        """The texts of this font already encoded in this document (only TrueType texts are kept)."""
        found = self.cache.texts.get(font_name)
        if found is None:
            found = self.cache.texts[font_name] = {}
        return found

    def line(self, font_name: str, x: float, y: float, text: str) -> None:
        encoded = self.encodings(font_name).get(text)
        if encoded is None:
            encoded = self.encode(font_name, text, x, y)
            if encoded is None:
                return
        self.ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm {encoded}")

    def encode(self, font_name: str, text: str, x: float, y: float) -> str | None:
        """The operators that show ``text`` in a TrueType font (remembered); a built-in font's line is drawn by the
        fallback text object at (x, y) instead, and None is returned."""
        fast = self.fast.get(font_name)
        if fast is not None and text:  # the usual case: every character already has a code in the first subset
            codes, assignments, prefix, known = fast
            if len(assignments) != codes.seen:
                codes.follow(assignments)
            try:
                encoded = known[text] = f"{prefix}{escapePDF(text.translate(codes).encode('latin-1'))}) Tj"
                return encoded
            except (NewCharacter, UnicodeEncodeError):
                pass
        return self.encode_chunks(font_name, text, x, y)

    def encode_chunks(self, font_name: str, text: str, x: float, y: float) -> str | None:
        font = self.fonts.get(font_name)
        if font is None:
            font = self.fonts[font_name] = pdfmetrics.getFont(font_name)
        if not getattr(font, "_dynamicFont", False):
            self.fallback.setFont(font_name, self.size)
            self.fallback.setTextOrigin(x, y)
            self.fallback.textOut(text)
            return None
        codes = self.cache.codes.get(font_name)
        if codes is None:
            codes = self.cache.codes[font_name] = Codes()
        known = self.encodings(font_name)
        encoded = known[text] = " ".join(
            f"{self.subset_name(font, subset)} {self.size:g} Tf ({escapePDF(chunk)}) Tj"
            for subset, chunk in split_string(font, text, self.doc, codes))
        first = self.cache.subsets.get((font.fontName, 0))  # named only once used: naming it orders the fonts
        if first is not None and font_name not in self.fast:
            self.fast[font_name] = (codes, font.state[self.doc].assignments, f"{first} {self.size:g} Tf (", known)
        return encoded

    def subset_name(self, font: Any, subset: int) -> str:
        key = (font.fontName, subset)
        name = self.cache.subsets.get(key)
        if name is None:
            name = self.cache.subsets[key] = font.getSubsetInternalName(subset, self.doc)
        return name

    def finish(self) -> None:
        self.canvas.addLiteral("\n".join([*self.ops, "ET"]))
        self.canvas.drawText(self.fallback)


def split_string(font: Any, text: str, doc: Any, codes: Codes) -> list[tuple[int, bytes]]:
    """``font.splitString(text, doc)``, without its per-character loop when every character already has its code
    in the document's subsets (the usual case after the first pages): the same chunks, several times faster."""
    state = font.state.get(doc)
    if state is None or not text:
        return list(font.splitString(text, doc))
    codes.follow(state.assignments)
    try:
        coded = text.translate(codes)
    except NewCharacter:  # the font assigns it a code (and may open a new subset)
        return list(font.splitString(text, doc))
    try:
        return [(0, coded.encode("latin-1"))]  # every code in the first subset
    except UnicodeEncodeError:
        pass
    chunks: list[tuple[int, bytes]] = []
    start = 0
    numbers = list(map(ord, coded))
    for index in range(1, len(numbers) + 1):
        if index == len(numbers) or numbers[index] >> 8 != numbers[start] >> 8:
            chunks.append((numbers[start] >> 8, bytes(code & 0xFF for code in numbers[start:index])))
            start = index
    return chunks
