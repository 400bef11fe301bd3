"""Read ReliefWeb API v2 report searches: each report on medicine stock-outs becomes candidate evidence.

The answer is ``{"totalCount", "count", "data": [{"id", "fields": {...}}]}``. For each report:

* **country**: ``primary_country.iso3`` (lower case in the API), upper-cased;
* **period**: the day of ``date.original`` (when the source organisation published it), else of
  ``date.created``; ``published_at`` is ``date.created`` (when ReliefWeb posted it), else ``date.original``;
* **value**: the title; the **breakdown** ``report=<id>;source=<shortnames>`` says which report and
  which organisation, so reports of one day never overwrite each other; the report's own page
  (``url_alias``, ``https://reliefweb.int/report/...``) stays in the kept answer and
  :func:`report_pages` reads it for citations;
* **quote**: plain text of the body (HTML stripped, never markup), at most :data:`EXCERPT_LIMIT`
  characters: the sentence of its first stock-out term (:mod:`cobase.parse._mentions`), else its opening;
* **item**: one record per catalogue medicine named in a sentence with a stock-out term, in the body (the
  quote is then that sentence) or the title; a single record with no item when none is;
* ``review_status`` is ``"candidate"``: a search hit is not evidence of a stock-out until a person reads it.

A report without ``primary_country`` (ReliefWeb files some under a region or "World") is about no
country: it is set aside and counted (``ParsedRecord.set_aside`` = :data:`NO_COUNTRY`), never stored
under a guessed country, and the rest of the page is ingested. An error answer (``{"status": 403,
"error": {"type", "message"}}``), a body without a ``data`` list, or a report without its id, title or
date raises :class:`~cobase.parse.ParseError` naming the report: a silently thinner snapshot would look
like a complete one. Each report is cited by its own page, ``url_alias`` (:func:`report_pages`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import lxml.html

from cobase.clock import BadDateError, date_part, parse_datetime
from cobase.parse import ParsedRecord, ParseError
from cobase.parse._mentions import Mention, MentionKind, extract_mentions, quote_around

SOURCE = "reliefweb_reports"
# What ``published_at`` means here: the date is the report's (when ReliefWeb posted it, else its original
# date).
PUBLISHED_BASIS = "document_date"
# Search results, at most ``max_pages`` per country: a report that drops out was not withdrawn.
TRACKS_WITHDRAWALS = False

INDICATOR = "RW_STOCKOUT_REPORT"
EXCERPT_LIMIT = 300
CANDIDATE = "candidate"
APPNAME_VARIABLE = "COBASE_RELIEFWEB_APPNAME"
NO_COUNTRY = "report without a primary country"

_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield one candidate record per report and medicine named with a stock-out (or per report)."""
    document = _load_json(body, url)
    if isinstance(document, dict) and "error" in document:
        raise ParseError(_error_message(document, url))
    reports = document.get("data") if isinstance(document, dict) else None
    if not isinstance(reports, list):
        raise ParseError(f"{SOURCE}: {url} is not a ReliefWeb answer: no 'data' list of reports")
    for report in reports:
        yield from _records(report, url)


def _records(report: Any, url: str) -> Iterator[ParsedRecord]:
    fields = report.get("fields") if isinstance(report, dict) else None
    if not isinstance(fields, dict):
        raise ParseError(f"{SOURCE}: {url}: a report has no 'fields' object: {str(report)[:80]!r}")
    report_id = fields.get("id") or report.get("id")
    where = f"{SOURCE}: report {report_id} in {url}"
    if not report_id:
        raise ParseError(f"{SOURCE}: {url}: a report has no 'id'")
    title = " ".join(str(fields.get("title") or "").split())
    if not title:
        raise ParseError(f"{where} has no 'title'")
    primary = fields.get("primary_country")
    country = primary.get("iso3") if isinstance(primary, dict) else None
    written = fields.get("date")
    dates: Mapping[str, Any] = written if isinstance(written, dict) else {}
    original, created = _datetime(dates, "original", where), _datetime(dates, "created", where)
    if original is None and created is None:
        raise ParseError(f"{where} has neither 'date.original' nor 'date.created'")
    # The day as written: "2024-03-15T00:00:00+01:00" is 15 March, which UTC would move to the 14th.
    day = date_part(str(dates.get("original") or dates.get("created")).strip())
    breakdown = _breakdown(report_id, fields.get("source"))
    if not country:
        # About a region or the world: counted by harmonization, stored under no country.
        yield ParsedRecord(
            country="",
            indicator=INDICATOR,
            period_start=day,
            period_end=day,
            value_text=title,
            breakdown=breakdown,
            set_aside=NO_COUNTRY,
        )
        return
    text = plain_text(fields)
    for item, quote in _quotes(title, text):
        yield ParsedRecord(
            country=str(country).strip().upper(),
            indicator=INDICATOR,
            period_start=day,
            period_end=day,
            value_text=title,
            breakdown=breakdown,
            published_at=created or original,
            item=item,
            quote=quote,
            review_status=CANDIDATE,
        )


def report_pages(body: bytes) -> dict[str, str]:
    """Each report's own page in a kept answer: ``{report id: url}``, for citations.

    The page is the report's ``url_alias`` (``https://reliefweb.int/report/<country>/<slug>``), else its
    ``url`` (``https://reliefweb.int/node/<id>``, which redirects to it), else the node address built from
    the id; the API endpoint that was queried is never a page a reader can open. An unreadable answer
    gives no pages (it parsed when it was ingested; a citation then falls back to the report id).
    """
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    reports = document.get("data") if isinstance(document, dict) else None
    pages: dict[str, str] = {}
    for report in reports if isinstance(reports, list) else []:
        fields = report.get("fields") if isinstance(report, dict) else None
        if not isinstance(fields, dict):
            continue
        report_id = str(fields.get("id") or report.get("id") or "")
        if not report_id:
            continue
        candidates = (fields.get("url_alias"), fields.get("url"), f"https://reliefweb.int/node/{report_id}")
        pages[report_id] = next(str(u) for u in candidates if isinstance(u, str) and u.startswith("http"))
    return pages


def _quotes(title: str, text: str) -> list[tuple[str | None, str | None]]:
    """(item, quote) per medicine named with a stock-out; else [(None, excerpt)].

    The quote comes from the body: the title is the value already. A medicine named with a stock-out
    only in the title is quoted with the excerpt.
    """
    in_body = _stockouts(text)
    opening = quote_around(" ".join(text.split()), 0, 0, EXCERPT_LIMIT) if text else None
    excerpt = in_body[0].quote if in_body else opening
    by_item: dict[str | None, str | None] = {}
    for mention in in_body:
        for item in mention.items:
            by_item.setdefault(item, mention.quote)
    for mention in _stockouts(title):
        for item in mention.items:
            by_item.setdefault(item, excerpt)
    return list(by_item.items()) or [(None, excerpt)]


def _stockouts(text: str) -> list[Mention]:
    mentions = extract_mentions([text], quote_limit=EXCERPT_LIMIT) if text else []
    return [mention for mention in mentions if mention.kind is MentionKind.stockout]


def plain_text(fields: Mapping[str, Any]) -> str:
    """The report's body as plain text: ``body-html`` without markup, else ``body`` without link targets."""
    html = fields.get("body-html")
    if isinstance(html, str) and html.strip():
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        for element in list(root.iter("script", "style")):
            element.drop_tree()
        for element in root.iter("p", "li", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr"):
            element.tail = "\n\n" + (element.tail or "")
        return str(root.text_content()).strip()
    text = fields.get("body")
    if isinstance(text, str):
        return _MARKDOWN_LINK.sub(r"\1", text).strip()
    return ""


def _breakdown(report_id: Any, sources: Any) -> str:
    names = [
        str(source.get("shortname") or source.get("name")).strip()
        for source in sources or []
        if isinstance(source, dict) and (source.get("shortname") or source.get("name"))
    ]
    breakdown = f"report={report_id}"
    if names:
        breakdown += f";source={', '.join(names)}"
    return breakdown[:255]


def _datetime(dates: Mapping[str, Any], key: str, where: str) -> datetime | None:
    text = dates.get(key)
    if text is None or not str(text).strip():
        return None
    try:
        return parse_datetime(str(text))
    except BadDateError as exc:
        raise ParseError(f"{where}: unreadable date.{key}: {exc}") from None


def _error_message(document: Mapping[str, Any], url: str) -> str:
    error = document.get("error")
    status = document.get("status")
    if isinstance(error, dict):
        described = f"{error.get('type') or 'error'}: {error.get('message') or ''}".rstrip(": ")
    else:
        described = str(error)
    message = f"{SOURCE}: {url}: the API answered an error ({status or '?'} {described})"
    if status in (401, 403) or "appname" in described.lower():
        message += f"; set {APPNAME_VARIABLE} to an appname ReliefWeb has approved"
    return message


def _load_json(body: bytes, url: str) -> Any:
    if not body.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ParseError(f"{SOURCE}: {url} is not valid JSON ({exc})") from None
