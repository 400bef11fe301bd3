"""Read NGO and agency reports (PDF or HTML) and turn what they say about access into candidate evidence.

A document is listed in ``sources.yml`` (``documents:`` of the ``documents`` source, with its title,
producer, publication date, countries and language) or uploaded by a user. Its bytes are kept as a
snapshot first; then:

1. **Text.** A PDF is read page by page with ``pypdf``; a PDF without any text layer (a scan) is refused
   with a clear :class:`~cobase.parse.ParseError`, as OCR is not supported. An HTML page is read with
   ``lxml`` without scripts, styles, navigation and footers, as one page. Anything else is refused.
2. **Mentions.** :func:`extract_mentions` finds, sentence by sentence, stock-outs, costs and catalogue
   medicines with the dates nearby (see :mod:`cobase.parse._mentions` for the rules).
3. **Records.** Each mention becomes one record per country of the document and per medicine named in
   the sentence (one with no item when it names none):

   ``DOC_STOCKOUT_MENTION``
       a stock-out, shortage or *rupture de stock* (continuity); value: the term as written.
   ``DOC_COST_MENTION``
       an amount, with its currency as unit when it has one (affordability); value: the amount as written,
       ``value_num`` the amount read as a number.
   ``DOC_MEDICINE_MENTION``
       a medicine named without a stock-out or a cost (context): the report discusses it, nothing more
       until a person reads the quote.

   The quote is the sentence (at most 400 characters, plain text); the page is the PDF page (None for a
   web page); the period is the month or year named nearby, else the document's publication year; the
   publication date is the document's (from ``sources.yml``, else from the file's own metadata). Every
   record is ``review_status="candidate"``: nothing found in free text counts as established until a
   person confirms it.

The ``breakdown`` of a record names the document and the sentence (short hashes of the URL and of the
page, quote and term), so two documents or two sentences never overwrite each other, and parsing the
same bytes again gives the same records.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import lxml.etree
import lxml.html
from pypdf import PdfReader

from cobase.clock import BadDateError, parse_datetime, year_period
from cobase.parse import ParsedRecord, ParseError
from cobase.parse._mentions import Mention, MentionKind, extract_mentions

SOURCE = "documents"
# What ``published_at`` means here: the date is the document's publication date, as sources.yml or the user
# states it.
PUBLISHED_BASIS = "document_date"

INDICATORS = {
    MentionKind.stockout: "DOC_STOCKOUT_MENTION",
    MentionKind.cost: "DOC_COST_MENTION",
    MentionKind.medicine: "DOC_MEDICINE_MENTION",
}
CANDIDATE = "candidate"

# Boilerplate around a web page's text, and elements that hold no text at all.
_DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "form")
# Block elements end a paragraph: without a break, "…in 2024.</p><p>Stock-outs…" would run together.
_BLOCK_TAGS = (
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "table", "section",
    "article", "blockquote", "dd", "dt", "pre", "figcaption", "caption", "main", "aside",
)  # fmt: skip
_CELL_TAGS = ("td", "th")
_HTML_DATE_META = (
    "citation_publication_date",
    "citation_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "article:published_time",
    "govuk:first-published-at",
    "date",
)
_META_DATE = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})")


@dataclass(frozen=True)
class DocumentText:
    """A document's text: ``pages`` (one string per PDF page, a single one for a web page)."""

    kind: str  # "pdf" or "html"
    pages: list[str]
    published: date | None = None  # as the file itself states it, if it does


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield candidate records for the mentions in one document (PDF or HTML).

    ``request_meta`` carries the document's entry of ``sources.yml``: ``countries`` (ISO3, required),
    ``published`` (ISO date), ``listed_url`` (the URL as listed, which names the document even when its
    host redirects it) and ``title``.
    """
    listed = (str(code).strip().upper() for code in request_meta.get("countries") or [])
    countries = [code for code in listed if code]
    if not countries:
        raise ParseError(
            f"{SOURCE}: {url}: no countries for this document; list them (ISO3) in its sources.yml entry"
        )
    document = read_document(body, url)
    published = _published(request_meta, url) or document.published
    mentions = extract_mentions(document.pages, not_after=published)
    document_key = _short_hash(str(request_meta.get("listed_url") or url))
    published_at = parse_datetime(published.isoformat()) if published else None
    seen: set[tuple[str, str, str | None, str]] = set()
    for mention in mentions:
        period = mention.period or _year(published)
        if period is None:
            raise ParseError(
                f"{SOURCE}: {url}: a mention on page {mention.page} has no date nearby and the document no "
                "publication date; add 'published' to its entry in sources.yml"
            )
        page = mention.page if document.kind == "pdf" else None
        breakdown = f"document={document_key};mention={_short_hash(f'{page}|{mention.quote}|{mention.term}')}"
        for country in countries:
            for item in mention.items or (None,):
                key = (country, INDICATORS[mention.kind], item, breakdown)
                if key in seen:  # the same sentence twice on a page: one record
                    continue
                seen.add(key)
                yield _record(mention, country, item, period, page, breakdown, published_at)


def _record(
    mention: Mention,
    country: str,
    item: str | None,
    period: tuple[date, date],
    page: int | None,
    breakdown: str,
    published_at: datetime | None,
) -> ParsedRecord:
    is_cost = mention.kind is MentionKind.cost
    return ParsedRecord(
        country=country,
        indicator=INDICATORS[mention.kind],
        period_start=period[0],
        period_end=period[1],
        value_text=mention.term,
        value_num=mention.amount if is_cost else None,
        breakdown=breakdown,
        published_at=published_at,
        unit=mention.currency if is_cost else None,
        item=item,
        quote=mention.quote,
        page=page,
        review_status=CANDIDATE,
    )


# --- text ------------------------------------------------------------------------------------------------


def read_document(body: bytes, url: str) -> DocumentText:
    """The text of a PDF (page by page) or of an HTML page; :class:`ParseError` for anything else."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    if head.startswith(b"%PDF"):
        return _read_pdf(body, url)
    if re.search(rb"<(?:!doctype\s+html|html|head|body|p|div)\b", head, re.IGNORECASE):
        return _read_html(body, url)
    raise ParseError(f"{SOURCE}: {url} is neither a PDF nor an HTML page (starts with {head[:16]!r})")


def _read_pdf(body: bytes, url: str) -> DocumentText:
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            reader.decrypt("")  # many reports are "encrypted" only against editing, with no password
        pages = [page.extract_text() or "" for page in reader.pages]
        created = reader.metadata.creation_date if reader.metadata else None
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files; all mean "unreadable"
        raise ParseError(f"{SOURCE}: {url} is not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    if not pages:
        raise ParseError(f"{SOURCE}: {url} is a PDF without pages")
    if not any(page.strip() for page in pages):
        raise ParseError(
            f"{SOURCE}: {url}: no text layer (scanned PDF?), OCR not supported; "
            "the snapshot is kept for a person to read"
        )
    return DocumentText("pdf", pages, created.date() if created else None)


def _read_html(body: bytes, url: str) -> DocumentText:
    # lxml guesses Latin-1 for a page that does not declare its charset; most such pages are UTF-8.
    try:
        body.decode("utf-8")
        parser = lxml.html.HTMLParser(encoding="utf-8")
    except UnicodeDecodeError:
        parser = None
    try:
        root = lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(f"{SOURCE}: {url} is not a readable HTML page ({exc})") from None
    published = _html_date(root)
    for element in list(root.iter(*_DROPPED_TAGS)):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
    for element in root.iter(*_CELL_TAGS):
        element.tail = " ; " + (element.tail or "")
    main = root.find(".//body")
    text = (main if main is not None else root).text_content()
    if not text.strip():
        raise ParseError(f"{SOURCE}: {url} is an HTML page without text")
    return DocumentText("html", [text], published)


def _html_date(root: Any) -> date | None:
    """The publication date a web page states in its ``<meta>`` tags (scholarly, Dublin Core, gov.uk)."""
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _HTML_DATE_META and (match := _META_DATE.search(meta.get("content") or "")):
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
    return None


# --- helpers ---------------------------------------------------------------------------------------------


def _published(request_meta: Mapping[str, Any], url: str) -> date | None:
    text = request_meta.get("published")
    if text is None or not str(text).strip():
        return None
    try:
        return parse_datetime(str(text)).date()
    except BadDateError as exc:
        raise ParseError(f"{SOURCE}: {url}: unreadable 'published' date: {exc}") from None


def _year(day: date | None) -> tuple[date, date] | None:
    return year_period(day.year) if day else None


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


__all__ = ["DocumentText", "Mention", "MentionKind", "extract_mentions", "parse", "read_document"]
