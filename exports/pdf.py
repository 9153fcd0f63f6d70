"""The one page template of every PDF: A4, header with the municipality, page numbers.

Fonts are DejaVu (Debian ``fonts-dejavu-core``), which has the narrow no-break space
(U+202F) French typography needs; without them the template falls back to the Bitstream
Vera fonts shipped with reportlab and writes U+00A0 instead. Reportlab's paragraph
splitter treats U+202F as a breaking space; :func:`_french_split` (installed once)
keeps it, as Unicode says, unbreakable. Documents are built with ``invariant=True``
and written as PDF/A-2b (``exports.pdfa``: every font embedded, sRGB output intent,
XMP ``pdfaid``): the same data gives the same bytes, hence the same SHA-256.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import shapes
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Preformatted,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _paragraph
from reportlab.platypus import tables as _tables

from exports.french import NBSP, NNBSP, typo
from exports.pdfa import archival

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 1.8 * cm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CELL_PADDING = 3

BLUE = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#EAF1F8")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#B7C9DB")
RED = colors.HexColor("#B00020")
GREEN = colors.HexColor("#2E7D32")

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
_DEJAVU = {
    "SDSI": "DejaVuSans.ttf",
    "SDSI-Bold": "DejaVuSans-Bold.ttf",
    "SDSI-Italic": "DejaVuSans-Oblique.ttf",
    "SDSI-BoldItalic": "DejaVuSans-BoldOblique.ttf",
    "SDSI-Mono": "DejaVuSansMono.ttf",
}
_VERA = {
    "SDSI": "Vera.ttf",
    "SDSI-Bold": "VeraBd.ttf",
    "SDSI-Italic": "VeraIt.ttf",
    "SDSI-BoldItalic": "VeraBI.ttf",
}


@dataclass(frozen=True)
class Fonts:
    """Registered font names; ``narrow_nbsp`` if they draw U+202F."""

    regular: str
    bold: str
    italic: str
    mono: str
    narrow_nbsp: bool


_fonts: Fonts | None = None
_lock = threading.Lock()


def fonts() -> Fonts:
    """Register the document fonts once (DejaVu, else reportlab's Vera)."""
    global _fonts
    with _lock:
        if _fonts is None:
            _install_french_split()
            _fonts = _register()
        return _fonts


def _register() -> Fonts:
    from reportlab.lib.fonts import addMapping

    folder = next(
        (d for d in _FONT_DIRS if all((d / f).exists() for f in _DEJAVU.values())),
        None,
    )
    if folder is not None:
        files, mono, narrow = (
            {n: folder / f for n, f in _DEJAVU.items()},
            "SDSI-Mono",
            True,
        )
    else:
        rl = Path(_paragraph.__file__).resolve().parent.parent / "fonts"
        # no monospaced Vera: the regular one, embedded (Courier is not, PDF/A)
        files, mono, narrow = {n: rl / f for n, f in _VERA.items()}, "SDSI", False
    for name, path in files.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping("SDSI", 0, 0, "SDSI")
    addMapping("SDSI", 1, 0, "SDSI-Bold")
    addMapping("SDSI", 0, 1, "SDSI-Italic")
    addMapping("SDSI", 1, 1, "SDSI-BoldItalic")
    # drawings (charts, Gantt) and table cells start from Helvetica, which PDF/A
    # cannot use (never embedded): they start from the embedded font instead
    shapes.STATE_DEFAULTS["fontName"] = "SDSI"
    _tables.CellStyle.fontname = "SDSI"
    return Fonts("SDSI", "SDSI-Bold", "SDSI-Italic", mono, narrow)


_BREAKING = "".join(ch for ch in _paragraph._wsc if ch not in (NBSP, NNBSP, "\u2007"))
_split_re = re.compile(f"[{re.escape(_BREAKING)}]+").split


def _french_split(text: Any, delim: Any = None) -> list[str]:
    """Reportlab's word split, except that no-break spaces never break."""
    if isinstance(text, bytes):
        text = text.decode("utf8")
    if delim is None:
        return list(_split_re(text))
    if isinstance(delim, bytes):
        delim = delim.decode("utf8")
    return list(text.split(delim))


def _install_french_split() -> None:
    _paragraph.split = _french_split


def clean(text: str | None) -> str:
    """Text the fonts can draw (U+202F becomes U+00A0 with the fallback fonts)."""
    if not text:
        return ""
    return text if fonts().narrow_nbsp else text.replace(NNBSP, NBSP)


def markup(text: str | None, *, prose: bool = True) -> str:
    """Escaped paragraph markup, with French punctuation spacing for prose."""
    value = typo(text) if prose else (text or "")
    return escape(clean(value)).replace("\n", "<br/>")


# --- styles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of every document."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_right: ParagraphStyle
    mono: ParagraphStyle
    code: ParagraphStyle
    hash: ParagraphStyle
    note: ParagraphStyle
    centre: ParagraphStyle


def styles() -> Styles:
    """Paragraph styles on the registered fonts."""
    f = fonts()
    body = ParagraphStyle(
        "body", fontName=f.regular, fontSize=9.5, leading=12.5, spaceAfter=4
    )
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0)
    return Styles(
        title=ParagraphStyle(
            "title",
            parent=body,
            fontName=f.bold,
            fontSize=17,
            leading=21,
            textColor=BLUE,
            spaceAfter=6,
        ),
        subtitle=ParagraphStyle(
            "subtitle",
            parent=body,
            fontSize=11,
            leading=14,
            textColor=GREY,
            spaceAfter=10,
        ),
        h1=ParagraphStyle(
            "h1",
            parent=body,
            fontName=f.bold,
            fontSize=13,
            leading=16,
            textColor=BLUE,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=1,
        ),
        h2=ParagraphStyle(
            "h2",
            parent=body,
            fontName=f.bold,
            fontSize=10.5,
            leading=13,
            textColor=BLUE,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        body=body,
        small=ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10, textColor=GREY
        ),
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=f.bold),
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        mono=ParagraphStyle(
            "mono", parent=body, fontName=f.mono, fontSize=6.4, leading=8.5
        ),
        code=ParagraphStyle(
            "code",
            parent=body,
            fontName=f.mono,
            fontSize=8,
            leading=10.5,
            leftIndent=10,
            spaceBefore=2,
            spaceAfter=6,
        ),
        hash=ParagraphStyle("hash", parent=cell, fontName=f.mono, fontSize=7.5),
        note=ParagraphStyle(
            "note",
            parent=body,
            fontName=f.italic,
            fontSize=8.5,
            leading=11,
            textColor=GREY,
        ),
        centre=ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
    )


def para(text: str | None, style: ParagraphStyle, *, prose: bool = True) -> Paragraph:
    """A paragraph of plain text (escaped, French spacing)."""
    return Paragraph(markup(text, prose=prose), style)


def rich(
    fragments: Iterable[tuple[str, str | None]], style: ParagraphStyle
) -> Paragraph:
    """A paragraph of (``b``/``i``/``""`` tag, text) fragments, each escaped."""
    parts = []
    for tag, text in fragments:
        piece = markup(text)
        parts.append(f"<{tag}>{piece}</{tag}>" if tag else piece)
    return Paragraph("".join(parts), style)


def mono_block(text: str) -> Preformatted:
    """Verbatim monospaced text (e.g. a signed checkpoint), line for line."""
    return Preformatted(text.rstrip("\n"), styles().mono)


def code(text: str) -> Paragraph:
    """A command line or a hash, monospaced."""
    return para(text, styles().code, prose=False)


def hashed(text: str) -> Paragraph:
    """A hash or key in a table cell, monospaced (wraps anywhere)."""
    return Paragraph(escape(text), styles().hash)


def grid(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    right: Sequence[int] = (),
    bold_rows: Sequence[int] = (),
    repeat: bool = True,
) -> Table:
    """A table: blue header, light rules, zebra rows; text cells wrap, numbers align.

    Cells that fit on one line are drawn as plain strings (much faster than
    paragraphs, which a 100-item minutes would otherwise need by the ten thousand).
    """
    st = styles()
    f = fonts()
    widths = fitted(header, rows, widths, bold_rows=bold_rows)
    body = []
    for r, row in enumerate(rows):
        cells: list[Any] = []
        bold = r in bold_rows
        font = f.bold if bold else f.regular
        for c, value in enumerate(row):
            if not isinstance(value, str):
                cells.append(value)
                continue
            text = clean(value)
            room = widths[c] - 2 * CELL_PADDING
            if "\n" not in text and stringWidth(text, font, st.cell.fontSize) <= room:
                cells.append(text)
                continue
            style = st.cell_right if c in right else st.cell
            if bold:
                style = ParagraphStyle("b", parent=style, fontName=f.bold)
            cells.append(Paragraph(markup(value, prose=False), style))
        body.append(cells)
    head = [
        Paragraph(
            markup(h, prose=False),
            ParagraphStyle(
                "h",
                parent=st.cell_bold,
                textColor=colors.white,
                alignment=TA_RIGHT if i in right else 0,
            ),
        )
        for i, h in enumerate(header)
    ]
    table = Table(
        [head, *body],
        colWidths=list(widths),
        repeatRows=1 if repeat else 0,
        hAlign="LEFT",
    )
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("FONTNAME", (0, 1), (-1, -1), f.regular),
        ("FONTSIZE", (0, 1), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 1), (-1, -1), st.cell.leading),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    for c in right:
        commands.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
    for r in bold_rows:
        commands.append(("FONTNAME", (0, r + 1), (-1, r + 1), f.bold))
    for r in range(1, len(body) + 1):
        if r % 2 == 0:
            commands.append(("BACKGROUND", (0, r), (-1, r), LIGHT))
    table.setStyle(TableStyle(commands))
    return table


def longest_word(text: str, font: str, size: float) -> float:
    """The width of the widest word of ``text`` (words break at breaking spaces only:
    ``90 000,00 €`` with its no-break spaces is one word)."""
    return max(
        (stringWidth(w, font, size) for w in _split_re(clean(text)) if w), default=0.0
    )


def fitted(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    bold_rows: Sequence[int] = (),
) -> list[float]:
    """``widths`` changed as little as needed so that no word is broken mid-word.

    Each column needs at least its widest word (header in bold, cells in the cell
    font, from the font metrics) plus the padding; what a column lacks is taken from
    the columns wider than they need, in proportion to their slack. The total width
    stays the same. Flowables (hashes, which wrap anywhere) need nothing.
    """
    st, f = styles(), fonts()
    size = st.cell.fontSize
    needs = [longest_word(h, f.bold, size) + 2 * CELL_PADDING for h in header]
    for r, row in enumerate(rows):
        font = f.bold if r in bold_rows else f.regular
        for c, value in enumerate(row):
            if isinstance(value, str) and c < len(needs):
                needs[c] = max(
                    needs[c], longest_word(value, font, size) + 2 * CELL_PADDING + 0.5
                )
    out = [float(w) for w in widths]
    short = sum(max(0.0, n - w) for n, w in zip(needs, out, strict=False))
    if short <= 0:
        return out
    slack = [max(0.0, w - n) for n, w in zip(needs, out, strict=False)]
    room = sum(slack)
    if room < short:  # the words cannot all fit: share the width by need
        total = sum(out)
        return [total * n / sum(needs) for n in needs]
    return [
        max(w, n) - (s * short / room)
        for n, w, s in zip(needs, out, slack, strict=False)
    ]


def key_values(pairs: Sequence[tuple[str, Any]], widths: Sequence[float]) -> Table:
    """A two-column table of labels and values (text or flowables), no header; the
    columns widened to their widest word as in :func:`grid` (measured in bold)."""
    st = styles()
    widths = fitted(
        ("", ""),
        [[k, v if isinstance(v, str) else ""] for k, v in pairs],
        widths,
        bold_rows=range(len(pairs)),
    )
    rows = [
        [
            Paragraph(markup(k, prose=False), st.cell_bold),
            Paragraph(markup(v), st.cell) if isinstance(v, str) else v,
        ]
        for k, v in pairs
    ]
    table = Table(rows, colWidths=list(widths), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def boxed(flowables: list[Any], colour: Any = BLUE) -> Table:
    """Flowables inside a framed box (for results and signed checkpoints)."""
    table = Table([[flowables]], colWidths=[CONTENT_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, colour),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def together(*flowables: Any) -> KeepTogether:
    return KeepTogether(list(flowables))


def space(height: float = 6) -> Spacer:
    return Spacer(1, height)


# --- the page template ----------------------------------------------------------------


def _numbered_canvas(header_left: str, header_right: str, footer_left: str) -> type:
    """A canvas that writes the header and ``Page n / N`` once the total is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            f = fonts()
            top = PAGE_HEIGHT - MARGIN + 0.55 * cm
            self.setFont(f.bold, 8.5)
            self.setFillColor(BLUE)
            self.drawString(MARGIN, top, clean(header_left))
            self.setFont(f.regular, 8.5)
            self.setFillColor(GREY)
            self.drawRightString(PAGE_WIDTH - MARGIN, top, clean(header_right))
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(MARGIN, top - 4, PAGE_WIDTH - MARGIN, top - 4)
            bottom = MARGIN - 0.9 * cm
            self.line(MARGIN, bottom + 10, PAGE_WIDTH - MARGIN, bottom + 10)
            self.setFont(f.regular, 7.5)
            self.drawString(MARGIN, bottom, clean(footer_left))
            self.drawRightString(
                PAGE_WIDTH - MARGIN, bottom, f"Page {self._pageNumber} / {total}"
            )

    return NumberedCanvas


def build(
    story: list[Any],
    *,
    title: str,
    municipality: str,
    footer: str,
    subject: str = "",
) -> bytes:
    """Lay ``story`` out on the shared template and return the PDF bytes."""
    fonts()
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=municipality,
        subject=subject,
        creator="SDSI Ledger",
        lang="fr-FR",
        invariant=True,
        initialFontName=fonts().regular,  # not Helvetica, which is never embedded
    )
    frame = Frame(
        MARGIN,
        MARGIN,
        CONTENT_WIDTH,
        PAGE_HEIGHT - 2 * MARGIN,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_numbered_canvas(municipality, title, footer))
    return archival(out.getvalue())
