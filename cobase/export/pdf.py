"""PDF rendering of a dossier with fpdf2: A4, a Unicode font, extractable text, bookmarks per section.

French accents, "≥" and "—" must print as written, so a Unicode TrueType font is embedded: DejaVu Sans
from Debian's fonts-dejavu-core, else the copy bundled with matplotlib. Without either, the core Helvetica
font is used and text is transliterated to Latin-1 (``≥`` becomes ``>=``) rather than failing. Text goes
through plain cells only (never fpdf2's HTML or Markdown modes), so source text is printed literally.
"""

from __future__ import annotations

import importlib.util
import struct
import unicodedata
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from cobase import __version__
from cobase.clock import as_utc
from cobase.export.annex import append_pdf_pages
from cobase.export.document import (
    Block,
    Bullets,
    CitationEntry,
    CitationList,
    Dossier,
    Fields,
    Group,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
    printable,
)
from cobase.snapshots import is_web_url

FONT_DIRS: tuple[Path, ...] = (Path("/usr/share/fonts/truetype/dejavu"),)
"""Where Debian's fonts-dejavu-core puts DejaVu; matplotlib's bundled copy is tried after these."""

_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "mono": "DejaVuSansMono.ttf",
}
_FAMILY = "DejaVu"
_MONO = "DejaVuMono"

_LATIN1_FALLBACKS = {
    "—": "-",
    "–": "-",
    "≥": ">=",
    "≤": "<=",
    "→": "->",
    "•": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "\u202f": " ",
    "\u2009": " ",
}

GREY = (90, 90, 90)
BLACK = (0, 0, 0)
LINK_BLUE = (20, 60, 160)
HEADING_FILL = (232, 232, 232)
HEADING_KEEP_WITH_NEXT = 28.0
"""Millimetres a heading needs below it (itself and a few lines or table rows) to stay on its page."""
GROUP_STYLE = FontFace(emphasis="BOLD", fill_color=(245, 245, 245))


def find_font_dir() -> Path | None:
    """The first directory holding every DejaVu file needed, or None (core-font fallback)."""
    candidates = list(FONT_DIRS)
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        # Located without importing matplotlib, which is slow and not needed to draw anything here.
        candidates.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    for directory in candidates:
        if all((directory / name).is_file() for name in _FONT_FILES.values()):
            return directory
    return None


def to_latin1(text: str) -> str:
    """``text`` made printable with a core (Latin-1) font: known symbols spelled out, accents kept."""
    out = []
    for char in text:
        if char in _LATIN1_FALLBACKS:
            out.append(_LATIN1_FALLBACKS[char])
            continue
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, read from its header (to keep a chart and its caption together)."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class _DossierPDF(FPDF):
    """An A4 page with the dossier's identity and page number in the footer of every page."""

    def __init__(self, dossier: Dossier) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.dossier = dossier
        font_dir = find_font_dir()
        self.unicode = font_dir is not None
        if font_dir is not None:
            for style, name in _FONT_FILES.items():
                if style == "mono":
                    self.add_font(_MONO, "", str(font_dir / name))
                else:
                    self.add_font(_FAMILY, style, str(font_dir / name))
            self.family, self.mono = _FAMILY, _MONO
        else:
            self.family, self.mono = "Helvetica", "Courier"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(self.clean(dossier.title))
        self.set_subject(self.clean(dossier.subject))
        self.set_author("cobase")
        self.set_creator(f"cobase {__version__}")
        self.set_lang(dossier.lang)
        self.set_creation_date(as_utc(dossier.created_at))

    def clean(self, text: str) -> str:
        """Text as the current font can print it."""
        text = printable(text)
        return text if self.unicode else to_latin1(text)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 7)
        self.set_text_color(*GREY)
        self.cell(0, 4, self.clean(f"{self.dossier.footer} · {self.page_no()}/{{nb}}"), align=Align.C)
        self.set_text_color(*BLACK)

    def text_block(
        self, text: str, size: float, style: str = "", color: tuple[int, int, int] = BLACK
    ) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, self.clean(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*BLACK)


def _heading(pdf: _DossierPDF, block: Heading) -> None:
    size = {0: 15.0, 1: 12.5, 2: 10.5}.get(block.level, 9.0)
    # Keep a heading off the bottom of a page, away from the first lines it introduces.
    if pdf.will_page_break(HEADING_KEEP_WITH_NEXT):
        pdf.add_page()
    pdf.ln({0: 0, 3: 0.5}.get(block.level, 3))
    if block.level in (1, 2):
        pdf.start_section(pdf.clean(block.text), level=block.level - 1)
    pdf.text_block(block.text, size, "B")
    pdf.ln(1.5)


def _paragraph(pdf: _DossierPDF, block: Paragraph) -> None:
    if block.small:
        pdf.text_block(block.text, 8, "I", GREY)
    else:
        pdf.text_block(block.text, 9, "B" if block.emphasis else "")
    pdf.ln(1.5)


def _bullets(pdf: _DossierPDF, block: Bullets) -> None:
    pdf.set_font(pdf.family, "", 9)
    bullet = "•" if pdf.unicode else "-"
    for item in block.items:
        pdf.set_x(pdf.l_margin)
        pdf.cell(5, 4.5, bullet)
        pdf.multi_cell(pdf.epw - 5, 4.5, pdf.clean(item), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.6)
    pdf.ln(1.5)


def _fields(pdf: _DossierPDF, block: Fields) -> None:
    pdf.set_font(pdf.family, "", 9.5)
    with pdf.table(
        col_widths=(38, 62),
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align="LEFT",
        line_height=5,
        padding=(0.8, 1, 0.8, 0),
    ) as table:
        for label, value in block.pairs:
            row = table.row()
            row.cell(pdf.clean(label), style=FontFace(emphasis="BOLD"))
            row.cell(pdf.clean(value))
    pdf.ln(3)


def _table(pdf: _DossierPDF, block: Table) -> None:
    if not block.rows:
        return
    pdf.set_font(pdf.family, "", 7.5)
    with pdf.table(
        col_widths=tuple(block.widths),
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
        text_align="LEFT",
        line_height=3.6,
        padding=0.9,
        repeat_headings=1,
    ) as table:
        header = table.row()
        for cell in block.header:
            header.cell(pdf.clean(cell))
        for values in block.rows:
            row = table.row()
            if isinstance(values, Group):
                row.cell(pdf.clean(values.title), colspan=len(block.header), style=GROUP_STYLE)
                continue
            for value in values:
                row.cell(pdf.clean(value))
    pdf.ln(3)


def _image(pdf: _DossierPDF, block: Image) -> None:
    if block.png is None:
        pdf.text_block(block.missing_note, 8, "I", GREY)
        pdf.ln(2)
        return
    width, height = png_size(block.png)
    shown_width = min(pdf.epw, 170.0)
    shown_height = shown_width * height / width
    if pdf.will_page_break(shown_height + 6):
        pdf.add_page()
    pdf.image(BytesIO(block.png), x=pdf.l_margin, w=shown_width, h=shown_height, alt_text=block.caption)
    pdf.text_block(block.caption, 7.5, "I", GREY)
    pdf.ln(2)


def _citation_parts(pdf: _DossierPDF, entry: CitationEntry) -> None:
    """A reference as text lines, each link (public http(s) only) and the fingerprint on a line of its own.

    Links and the fingerprint never share a line with text, so they are never cut by a line wrap and a
    reader (or a text extractor) copies them whole.
    """
    buffer: list[str] = [f"[{entry.number}] "]

    def flush() -> None:
        text = "".join(buffer).strip()
        buffer.clear()
        if text:
            pdf.set_x(pdf.l_margin)
            pdf.set_font(pdf.family, "", 8.5)
            pdf.multi_cell(0, 4, pdf.clean(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for part in entry.parts:
        if part.style == "link" and part.url and is_web_url(part.url):
            flush()
            pdf.set_x(pdf.l_margin + 6)
            pdf.set_font(pdf.family, "", 8.5)
            pdf.set_text_color(*LINK_BLUE)
            pdf.multi_cell(
                pdf.epw - 6,
                4,
                pdf.clean(part.text),
                align=Align.L,
                link=part.url,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.set_text_color(*BLACK)
        elif part.style == "code":
            flush()
            pdf.set_x(pdf.l_margin + 6)
            pdf.set_font(pdf.mono, "", 7.5)
            pdf.multi_cell(
                pdf.epw - 6, 4, pdf.clean(part.text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        else:
            buffer.append(part.text)
    flush()
    pdf.ln(1.5)


def _citations(pdf: _DossierPDF, block: CitationList) -> None:
    for entry in block.entries:
        if pdf.will_page_break(16):
            pdf.add_page()
        if entry.parts:
            _citation_parts(pdf, entry)
            continue
        pdf.set_font(pdf.family, "", 8.5)
        pdf.multi_cell(
            0,
            4,
            pdf.clean(f"[{entry.number}] {entry.description}"),
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_x(pdf.l_margin + 6)
        pdf.set_text_color(*LINK_BLUE)
        pdf.multi_cell(
            pdf.epw - 6,
            4,
            pdf.clean(entry.url),
            align=Align.L,
            link=entry.url if is_web_url(entry.url) else "",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(*BLACK)
        pdf.set_x(pdf.l_margin + 6)
        pdf.set_font(pdf.mono, "", 7.5)
        pdf.multi_cell(
            pdf.epw - 6,
            4,
            pdf.clean(f"sha256 {entry.snapshot_sha256}"),
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(1.5)


def _block(pdf: _DossierPDF, block: Block) -> None:
    if isinstance(block, Heading):
        _heading(pdf, block)
    elif isinstance(block, Paragraph):
        _paragraph(pdf, block)
    elif isinstance(block, Bullets):
        _bullets(pdf, block)
    elif isinstance(block, Fields):
        _fields(pdf, block)
    elif isinstance(block, Table):
        _table(pdf, block)
    elif isinstance(block, Image):
        _image(pdf, block)
    elif isinstance(block, CitationList):
        _citations(pdf, block)
    elif isinstance(block, PageBreak):
        pdf.add_page()
    else:
        raise TypeError(f"unknown dossier block: {type(block).__name__}")


def render(dossier: Dossier) -> bytes:
    """The dossier as PDF bytes."""
    pdf = _DossierPDF(dossier)
    pdf.add_page()
    for block in dossier.blocks:
        _block(pdf, block)
    return append_pdf_pages(bytes(pdf.output()), dossier.appendix_pdfs)
