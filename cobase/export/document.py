"""A format-neutral dossier: a title and a flat list of blocks, rendered alike to Markdown, PDF and DOCX.

What a dossier says is decided once (``content.py``); each renderer only lays the blocks out. That keeps
the three formats saying the same thing, which matters when one party annexes the PDF and another
quotes the DOCX.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


def printable(text: str) -> str:
    """``text`` without control characters (bar newline and tab) that a producer's text may carry.

    They have no glyph, break PDF layout and are not allowed in DOCX XML, and they mean nothing to a reader.
    """
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


@dataclass(frozen=True)
class Heading:
    """The dossier title (level 0), a section (1), a dimension (2) or a part of one (3)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Running text; ``emphasis`` marks statements that must stand out (no patient data, gaps)."""

    text: str
    emphasis: bool = False
    small: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short statements."""

    items: list[str]


@dataclass(frozen=True)
class Fields:
    """Label/value pairs: the dossier's identity (country, pathology, dates)."""

    pairs: list[tuple[str, str]]


@dataclass(frozen=True)
class Group:
    """A full-width table row naming the series the rows below it belong to.

    Naming a series once rather than on every row keeps evidence tables short and readable (and PDF
    layout fast: wrapping long labels on every row is most of the cost of a large dossier).
    """

    title: str


@dataclass(frozen=True)
class Table:
    """A table of plain text; ``widths`` are relative column widths for paged formats."""

    header: list[str]
    rows: Sequence[list[str] | Group]
    widths: list[float]


@dataclass(frozen=True)
class Image:
    """A chart as PNG, or the note to print instead when it could not be drawn."""

    png: bytes | None
    caption: str
    missing_note: str


@dataclass(frozen=True)
class CitationPart:
    """A piece of a reference: ``plain`` text, an ``italic`` title, a ``link`` (``url`` set, always a
    public http(s) address) or a ``code`` fingerprint."""

    text: str
    style: str = "plain"
    url: str | None = None


@dataclass(frozen=True)
class CitationEntry:
    """One numbered source: its description, URL and snapshot hash, rendered apart so they can link.

    ``parts`` is the whole reference in a legal style (see :mod:`cobase.export.citations`); when given,
    renderers print it instead of description, URL and hash.
    """

    number: int
    description: str
    url: str
    snapshot_sha256: str
    parts: tuple[CitationPart, ...] = ()


@dataclass(frozen=True)
class CitationList:
    """The numbered sources, at the end of the dossier."""

    entries: list[CitationEntry]


@dataclass(frozen=True)
class PageBreak:
    """The end of a page: the one-page synthesis stands alone on page 1."""


Block = Heading | Paragraph | Bullets | Fields | Table | Image | CitationList | PageBreak
"""Everything a dossier is made of, in reading order."""


@dataclass
class Dossier:
    """Everything a renderer needs: metadata, the running footer and the blocks in reading order."""

    lang: str
    title: str
    subject: str
    footer: str
    created_at: datetime
    blocks: list[Block] = field(default_factory=list)
    appendix_pdfs: list[bytes] = field(default_factory=list)
    """Cited pages of kept PDF documents, appended as they are after a PDF dossier (the annex)."""

    def add(self, *blocks: Block) -> None:
        """Append blocks in reading order."""
        self.blocks.extend(blocks)
