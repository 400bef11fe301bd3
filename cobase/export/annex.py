"""The dossier's annex: for each cited document kept as a snapshot, its cited pages or an extract.

A lawyer annexes the dossier so that it still stands if a source disappears: each cited document
appears with the SHA-256 of the file cobase kept, and either the pages the dossier cites (for a PDF:
the pages themselves are appended to a PDF dossier, and their text to DOCX and Markdown) or an extract
of the file (an API response, a spreadsheet export). Export never opens the database: the caller (the
CLI) hands over the kept bodies by hash.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

EXTRACT_CHARS = 2_000
"""Characters of a non-PDF document shown as its extract."""

PAGE_TEXT_CHARS = 6_000
"""Characters of one cited PDF page's text given in DOCX and Markdown annexes."""

MAX_PAGES = 10
"""Pages of one PDF annexed at most (the first cited ones); the hash identifies the whole file."""

FIRST_PAGES = 2
"""Pages annexed from a PDF when the dossier cites none in particular."""


@dataclass(frozen=True)
class AnnexDocument:
    """One kept document as the annex shows it: cited pages (with their text) or an extract."""

    number: int
    sha256: str
    pages: list[int]
    text: str
    pdf_pages: bytes | None = None
    """The cited pages as a small PDF, appended to a PDF dossier; None for other files."""


def is_pdf(body: bytes) -> bool:
    """Whether a kept body is a PDF (by its signature, not by what the server said)."""
    return body.lstrip()[:5] == b"%PDF-"


def _pdf_document(number: int, sha256: str, body: bytes, cited: list[int]) -> AnnexDocument:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(body))
    total = len(reader.pages)
    pages = [p for p in sorted(set(cited)) if 1 <= p <= total][:MAX_PAGES] or list(
        range(1, min(total, FIRST_PAGES) + 1)
    )
    writer = PdfWriter()
    texts = []
    for page in pages:
        writer.add_page(reader.pages[page - 1])
        texts.append(
            f"p. {page} : {' '.join((reader.pages[page - 1].extract_text() or '').split())}"[:PAGE_TEXT_CHARS]
        )
    out = io.BytesIO()
    writer.write(out)
    return AnnexDocument(number, sha256, pages, "\n".join(texts), out.getvalue())


def _extract(body: bytes) -> str:
    if body[:4] == b"PK\x03\x04":
        return f"[archive ZIP, {len(body)} octets]"
    text = body[: EXTRACT_CHARS * 4].decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\n\t\r" for ch in text)
    if not text or printable < 0.9 * len(text):
        return f"[fichier binaire, {len(body)} octets]"
    extract = text[:EXTRACT_CHARS]
    return extract + (" […]" if len(text) > EXTRACT_CHARS or len(body) > EXTRACT_CHARS * 4 else "")


def annex_documents(
    cited: list[tuple[int, str]], pages: Mapping[str, set[int]], bodies: Mapping[str, bytes]
) -> list[AnnexDocument]:
    """The annex entries of the cited documents whose body is kept: ``cited`` is (number, sha256) in
    citation order, ``pages`` the pages cited per hash, ``bodies`` the kept bytes by hash."""
    documents: list[AnnexDocument] = []
    seen: set[str] = set()
    for number, sha256 in cited:
        body = bodies.get(sha256)
        if body is None or sha256 in seen:
            continue
        seen.add(sha256)
        if is_pdf(body):
            # A PDF pypdf cannot read still gets its hash and an extract: the annex must not fail.
            try:
                documents.append(_pdf_document(number, sha256, body, sorted(pages.get(sha256, set()))))
                continue
            except Exception as exc:
                log.warning("annex: PDF %s not readable: %s", sha256, exc)
        documents.append(AnnexDocument(number, sha256, [], _extract(body)))
    return documents


def append_pdf_pages(dossier_pdf: bytes, pdfs: list[bytes]) -> bytes:
    """The dossier PDF followed by the cited pages of each annexed PDF document."""
    if not pdfs:
        return dossier_pdf
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(dossier_pdf)))
    for pages in pdfs:
        writer.append(PdfReader(io.BytesIO(pages)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
