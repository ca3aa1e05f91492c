"""A small, fast drawing layer on ReportLab's canvas, shared by the A4 and the receipt layouts.

A layout writes operations onto a `Sheet` top-down (text, lines, boxes, the QR code), which splits them into
pages; `Sheet.render()` then replays them onto a ReportLab canvas. Recording first means the page count is
known when footers are drawn ("page 1 of 2") and that a receipt's page can be exactly as tall as its content.
Speed (bench/bench_pdf.py; the target is 150 invoices per second per core): all text of a page goes into one
PDF text object, the QR code is one vector path, and the embedded font subsets, which used to be more than half
of the time, are built, compressed and formatted once per process for the usual set of letters (PRIMER) rather
than once per document. Output is deterministic: ReportLab's `invariant` mode fixes the dates and the document
id, so the same invoice gives the same bytes, in any process.

The font caching subclasses two ReportLab internals (`TTFontFace.addSubsetObjects`, `TTFont.addObjects`);
tests/billing/test_documents_pdf.py extracts the text of rendered documents, so a ReportLab release that
changes them fails loudly there.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.pdfgen import canvas

from ebok.billing.documents.qr import qr_path

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = "EBOK-DejaVuSans"
BOLD = "EBOK-DejaVuSans-Bold"
MM = 72 / 25.4
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks


# Every document's font subset starts with these characters (after ASCII), in this order. Most invoices use
# no others, so their subset is the same glyph list every time and is built and compressed once per process
# (`_SubsetCachingFace`) instead of once per document, which was over half of the rendering time.
PRIMER = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—…·„”“’«»³²×°§€"
_SUBSET_CACHE_SIZE = 64


class _SubsetCachingFace(TTFontFace):
    """ReportLab's TrueType face whose embedded subsets are kept, compressed, per glyph list.

    Same as `TTFontFace.addSubsetObjects` except that the font program is made and deflated once for a given
    subset; PDFStream leaves a stream that already has a /Filter as it is. The bytes are the same either way.
    """

    _subsets: dict[tuple[int, ...], tuple[bytes, int]]

    def addSubsetObjects(self, doc, fontname, subset):  # noqa: N802 - ReportLab's name
        key = tuple(subset)
        cached = self._subsets.get(key)
        if cached is None:
            raw = self.makeSubset(subset)
            cached = (zlib.compress(raw), len(raw))
            if len(self._subsets) < _SUBSET_CACHE_SIZE:
                self._subsets[key] = cached
        compressed, length = cached
        font_file = pdfdoc.PDFStream()
        if doc.compression:
            font_file.content = compressed
            font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        else:
            font_file.content = zlib.decompress(compressed)
        font_file.dictionary["Length1"] = length
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class _CachingFont(TTFont):
    """TTFont whose per-subset /Widths array is formatted once per glyph list rather than number by number in
    every document (bytes are written into the PDF as they are)."""

    _widths: dict[tuple[int, ...], bytes]

    def addObjects(self, doc):  # noqa: N802 - ReportLab's name
        super().addObjects(doc)
        for pdf_font in doc.idToObject["BasicFonts"].dict.values():
            widths = getattr(pdf_font, "Widths", None)
            if not isinstance(widths, pdfdoc.PDFArray):
                continue
            key = tuple(widths.sequence)
            formatted = self._widths.get(key)
            if formatted is None:
                formatted = ("[" + " ".join(str(w) for w in key) + "]").encode("ascii")
                if len(self._widths) < _SUBSET_CACHE_SIZE:
                    self._widths[key] = formatted
            pdf_font.Widths = formatted


def _font(name: str, filename: str) -> TTFont:
    font = _CachingFont(name, str(FONTS_DIR / filename))
    font._widths = {}
    font.face.__class__ = _SubsetCachingFace
    font.face._subsets = {}
    return font


@functools.cache
def register_fonts() -> None:
    """Register the bundled DejaVu Sans (all Polish letters; free to redistribute) once per process."""
    pdfmetrics.registerFont(_font(REGULAR, "DejaVuSans.ttf"))
    pdfmetrics.registerFont(_font(BOLD, "DejaVuSans-Bold.ttf"))


def width(text: str, font: str, size: float) -> float:
    return pdfmetrics.getFont(font).stringWidth(text, size)


def fit(text: str, font: str, size: float, room: float) -> str:
    """`text` cut with an ellipsis so that it fits in `room` points."""
    if width(text, font, size) <= room:
        return text
    while text and width(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, font: str, size: float, room: float) -> list[str]:
    """`text` broken into lines at spaces (a word longer than a line is broken inside) to fit `room`."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        while width(word, font, size) > room and len(word) > 1:
            cut = len(word)
            while cut > 1 and width(word[:cut], font, size) > room:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


@dataclass(slots=True)
class Text:
    x: float
    y: float
    text: str
    font: str
    size: float
    align: str = "left"  # left | right | centre
    gray: float = 0.0


@dataclass(slots=True)
class Page:
    texts: list[Text] = field(default_factory=list)
    graphics: list[str] = field(default_factory=list)  # literal PDF operators (lines, boxes, QR paths)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str = REGULAR,
        size: float = 8,
        align: str = "left",
        gray: float = 0.0,
    ) -> None:
        if text:
            self.texts.append(Text(x, y, text, font, size, align, gray))


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Sheet:
    """Pages of recorded drawing operations and a cursor `y` that moves down the current page."""

    def __init__(self, page_width: float, page_height: float, *, top: float, bottom: float) -> None:
        self.width = page_width
        self.height = page_height
        self.top = top
        self.bottom = bottom
        self.pages: list[Page] = [Page()]
        self.y = page_height - top
        self.on_new_page = None  # called after a page break (e.g. to repeat a table header)

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def need(self, height: float) -> bool:
        """Make room for `height` points below the cursor, starting a new page if needed (True if it did)."""
        if self.y - height >= self.bottom:
            return False
        self.pages.append(Page())
        self.y = self.height - self.top
        if self.on_new_page is not None:
            self.on_new_page()
        return True

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str = REGULAR,
        size: float = 8,
        align: str = "left",
        gray: float = 0.0,
    ) -> None:
        self.page.text(x, y, text, font=font, size=size, align=align, gray=gray)

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, weight: float = 0.5, gray: float = 0.0
    ) -> None:
        self.page.graphics.append(
            f"q {_num(gray)} G {_num(weight)} w {_num(x1)} {_num(y1)} m {_num(x2)} {_num(y2)} l S Q"
        )

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: float | None = None,
        stroke: float | None = 0.0,
        weight: float = 0.5,
    ) -> None:
        """A rectangle with its lower left corner at (x, y); fill/stroke are gray levels (None = none)."""
        ops = ["q"]
        if fill is not None:
            ops.append(f"{_num(fill)} g")
        if stroke is not None:
            ops.append(f"{_num(stroke)} G {_num(weight)} w")
        ops.append(f"{_num(x)} {_num(y)} {_num(w)} {_num(h)} re")
        ops.append(
            {(True, True): "B", (True, False): "f", (False, True): "S"}[
                (fill is not None, stroke is not None)
            ]
        )
        ops.append("Q")
        self.page.graphics.append(" ".join(ops))

    def qr(self, x: float, y: float, size: float, matrix: Sequence[bytes | bytearray]) -> None:
        """A QR code whose square, quiet zone included, has its lower left corner at (x, y)."""
        modules = len(matrix) + 2 * QUIET_ZONE
        scale = size / modules
        origin_x = x + QUIET_ZONE * scale
        origin_y = y + QUIET_ZONE * scale
        self.page.graphics.append(
            f"q 0 g {scale:.4f} 0 0 {scale:.4f} {origin_x:.4f} {origin_y:.4f} cm\n{qr_path(matrix)}\nf Q"
        )

    def render(self, *, title: str, author: str, footer=None) -> bytes:
        """The PDF. `footer(extra, index, count)` may draw onto a blank `Page` laid over each page (e.g.
        "page 2 of 3"); the recorded pages are not changed, so rendering twice gives the same bytes."""
        register_fonts()
        buffer = io.BytesIO()
        pdf = canvas.Canvas(
            buffer,
            pagesize=(self.width, self.height),
            invariant=1,
            pageCompression=1,
            initialFontName=REGULAR,
        )
        for name in (REGULAR, BOLD):  # the same subset start in every document (see PRIMER)
            pdfmetrics.getFont(name).splitString(PRIMER, pdf._doc)
        pdf.setTitle(title)
        pdf.setAuthor(author)
        pdf.setCreator("EBOK")
        pdf.setProducer("EBOK (ReportLab)")
        count = len(self.pages)
        for index, page in enumerate(self.pages):
            extra = Page()
            if footer is not None:
                footer(extra, index, count)
            for op in page.graphics + extra.graphics:
                pdf.addLiteral(op)
            self._draw_texts(pdf, page.texts + extra.texts)
            pdf.showPage()
        pdf.save()
        return buffer.getvalue()

    @staticmethod
    def _draw_texts(pdf: canvas.Canvas, texts: list[Text]) -> None:
        """All texts of a page as one PDF text object, written as operators directly: for a TrueType font,
        each run of text is split into the font's subsets (`splitString`) and shown with the subset's
        internal name, as ReportLab's ttfonts module documents; ReportLab's text object does the same with
        much bookkeeping per string."""
        doc = pdf._doc
        ops = ["BT"]
        current = gray = None
        for t in texts:
            font = pdfmetrics.getFont(t.font)
            if t.gray != gray:
                ops.append(f"{_num(t.gray)} g")
                gray = t.gray
            x = t.x
            if t.align != "left":
                w = font.stringWidth(t.text, t.size)
                x -= w if t.align == "right" else w / 2
            ops.append(f"1 0 0 1 {x:.2f} {t.y:.2f} Tm")
            for subset, chunk in font.splitString(t.text, doc):
                name = font.getSubsetInternalName(subset, doc)
                if (name, t.size) != current:
                    ops.append(f"{name} {t.size:g} Tf")
                    current = (name, t.size)
                ops.append(f"({escapePDF(chunk)}) Tj")
        ops.append("ET")
        pdf.addLiteral("\n".join(ops))
