"""The evidence PDFs' stream filter: the same bytes as reportlab's own, without its slow codec."""

from __future__ import annotations

import random
import zlib

from reportlab.pdfbase import pdfdoc

from evidence.pdfkit import Base85AsBytes


def test_page_streams_are_the_bytes_reportlab_would_write() -> None:
    original, ours = pdfdoc.PDFStreamFilterBase85Encode(), Base85AsBytes()
    generator = random.Random(7)
    for size in (0, 1, 3, 4, 5, 1000, 100_000):
        data = zlib.compress(bytes(generator.getrandbits(8) for _ in range(size)))
        text = original.encode(data)
        assert isinstance(text, str)
        assert ours.encode(data) == text.encode("extpdfdoc")  # what reportlab's format() makes of the text


def test_pdfkit_puts_its_filter_in_front_of_every_page_stream() -> None:
    assert isinstance(pdfdoc.PDFBase85Encode, Base85AsBytes)


def test_text_the_codec_would_change_is_left_to_reportlab() -> None:
    class Source(pdfdoc.PDFStreamFilterBase85Encode):  # ASCII85 never yields such text, a different filter might
        def __init__(self, text: str) -> None:
            self.text = text

        def encode(self, data: bytes) -> str:
            return self.text

    class Odd(Base85AsBytes, Source):
        pass

    for text in ("a\x18b", "é"):
        assert Odd(text).encode(b"") == text
    assert Odd("ab~>").encode(b"") == b"ab~>"
