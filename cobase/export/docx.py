"""DOCX rendering of a dossier with python-docx, for lawyers who edit or merge it into their own brief.

Only built-in styles of python-docx's default template are used (Title, Heading 1-2, List Bullet,
Table Grid), so the file opens alike in Word, LibreOffice and online viewers, and takes on the styles
of a document it is pasted into.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from cobase.clock import as_utc
from cobase.export.document import (
    Block,
    Bullets,
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

PAGE_WIDTH = Cm(21.0)
PAGE_HEIGHT = Cm(29.7)
MARGIN = Cm(1.8)
TEXT_WIDTH_CM = 21.0 - 2 * 1.8
GREY = RGBColor(0x5A, 0x5A, 0x5A)
LINK_BLUE = "1F3C88"


def _hyperlink(paragraph: DocxParagraph, url: str) -> None:
    """Append ``url`` as a clickable link (python-docx reads hyperlinks but has no call to add one)."""
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), LINK_BLUE)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(color)
    props.append(underline)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = url
    text.set(qn("xml:space"), "preserve")
    run.append(text)
    link.append(run)
    paragraph._p.append(link)


def _page_number(paragraph: DocxParagraph) -> None:
    """Append a PAGE field, which the reader fills in on every page."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _set_cell(cell_paragraph: DocxParagraph, value: str, size: float, bold: bool = False) -> None:
    run = cell_paragraph.add_run(printable(value))
    run.font.size = Pt(size)
    run.bold = bold


def _fill_table(table: DocxTable, widths_cm: list[float]) -> None:
    """Give every cell its column width: Word follows cell widths, LibreOffice column widths."""
    for index, width in enumerate(widths_cm):
        table.columns[index].width = Cm(width)
        for cell in table.columns[index].cells:
            cell.width = Cm(width)


class _Writer:
    def __init__(self, dossier: Dossier) -> None:
        self.dossier = dossier
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN
        self.doc.styles["Normal"].font.size = Pt(10)
        props = self.doc.core_properties
        props.title = printable(dossier.title)
        props.subject = printable(dossier.subject)
        props.author = "cobase"
        props.language = dossier.lang
        # python-docx writes core dates as UTC without an offset.
        props.created = as_utc(dossier.created_at).replace(tzinfo=None)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = footer.add_run(printable(f"{dossier.footer} · "))
        run.font.size = Pt(7.5)
        _page_number(footer)

    def heading(self, block: Heading) -> None:
        self.doc.add_heading(printable(block.text), level=min(block.level, 3))

    def paragraph(self, block: Paragraph) -> None:
        run = self.doc.add_paragraph().add_run(printable(block.text))
        if block.emphasis:
            run.bold = True
        if block.small:
            run.italic = True
            run.font.size = Pt(8.5)
            run.font.color.rgb = GREY

    def bullets(self, block: Bullets) -> None:
        for item in block.items:
            self.doc.add_paragraph(printable(item), style="List Bullet")

    def fields(self, block: Fields) -> None:
        table = self.doc.add_table(rows=0, cols=2)
        for label, value in block.pairs:
            cells = table.add_row().cells
            _set_cell(cells[0].paragraphs[0], label, 10, bold=True)
            _set_cell(cells[1].paragraphs[0], value, 10)
        _fill_table(table, [5.5, TEXT_WIDTH_CM - 5.5])
        self.doc.add_paragraph()

    def table(self, block: Table) -> None:
        if not block.rows:
            return
        table = self.doc.add_table(rows=1, cols=len(block.header))
        table.style = "Table Grid"
        for cell, value in zip(table.rows[0].cells, block.header, strict=True):
            _set_cell(cell.paragraphs[0], value, 8, bold=True)
        # Repeat the header row on every page the table spans.
        header_props = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header_props.append(repeat)
        merges = []
        for values in block.rows:
            cells = table.add_row().cells
            if isinstance(values, Group):
                _set_cell(cells[0].paragraphs[0], values.title, 8, bold=True)
                merges.append((cells[0], cells[-1]))
                continue
            for cell, value in zip(cells, values, strict=True):
                _set_cell(cell.paragraphs[0], value, 8)
        total = sum(block.widths)
        _fill_table(table, [TEXT_WIDTH_CM * w / total for w in block.widths])
        # Merged after widths are set, since a merged cell no longer belongs to one column.
        for first, last in merges:
            first.merge(last)
        self.doc.add_paragraph()

    def image(self, block: Image) -> None:
        if block.png is None:
            self.paragraph(Paragraph(block.missing_note, small=True))
            return
        self.doc.add_picture(BytesIO(block.png), width=Cm(min(TEXT_WIDTH_CM, 16.5)))
        self.paragraph(Paragraph(block.caption, small=True))

    def citations(self, block: CitationList) -> None:
        for entry in block.entries:
            paragraph = self.doc.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(6)
            if entry.parts:
                paragraph.add_run(f"[{entry.number}] ").font.size = Pt(9)
                for part in entry.parts:
                    if part.style == "link" and part.url and is_web_url(part.url):
                        _hyperlink(paragraph, printable(part.url))
                        continue
                    run = paragraph.add_run(printable(part.text))
                    run.font.size = Pt(8 if part.style == "code" else 9)
                    run.italic = part.style == "italic"
                    if part.style == "code":
                        run.font.name = "Courier New"
                continue
            paragraph.add_run(printable(f"[{entry.number}] {entry.description}")).font.size = Pt(9)
            paragraph.add_run().add_break()
            if is_web_url(entry.url):
                _hyperlink(paragraph, printable(entry.url))
            else:
                paragraph.add_run(printable(entry.url)).font.size = Pt(9)
            paragraph.add_run().add_break()
            sha = paragraph.add_run(printable(f"sha256 {entry.snapshot_sha256}"))
            sha.font.size = Pt(8)
            sha.font.name = "Courier New"

    def block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Paragraph):
            self.paragraph(block)
        elif isinstance(block, Bullets):
            self.bullets(block)
        elif isinstance(block, Fields):
            self.fields(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Image):
            self.image(block)
        elif isinstance(block, CitationList):
            self.citations(block)
        elif isinstance(block, PageBreak):
            self.doc.add_page_break()
        else:
            raise TypeError(f"unknown dossier block: {type(block).__name__}")


def render(dossier: Dossier) -> bytes:
    """The dossier as DOCX bytes."""
    writer = _Writer(dossier)
    for block in dossier.blocks:
        writer.block(block)
    out = BytesIO()
    writer.doc.save(out)
    return out.getvalue()
