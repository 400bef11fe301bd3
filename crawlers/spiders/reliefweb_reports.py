"""ReliefWeb API v2 reports, searched per country for stock-outs and shortages of medicines.

``POST {base_url}/v2/reports?appname=...`` with a JSON body: a full-text ``query`` (French and English
stock-out terms AND medicine terms, :data:`QUERY`), a ``filter`` on ``primary_country.iso3``, the
``fields`` to return (:data:`FIELDS`), ``sort`` newest first, ``limit`` and ``offset``. The answer is
``{"totalCount", "count", "data": [{"id", "fields": {...}, "href"}], "links"}``; the reports are read by
:mod:`cobase.parse.reliefweb_reports`. Quirks:

* **Approved appname.** Since 1 November 2025 every call needs an appname that ReliefWeb approved
  beforehand (https://apidoc.reliefweb.int/parameters#appname); any other answers
  ``403 AccessDeniedHttpException``. cobase reads it from ``COBASE_RELIEFWEB_APPNAME`` and skips the
  source when it is unset (``env:`` in ``sources.yml``); a 401/403 becomes a failure that names the
  variable. The appname is the account's identifier: it is kept out of stored URLs and error messages.
* **POST.** The search goes in the body, so the URL alone does not say what was asked: the country,
  page, offset, limit and query go into each snapshot's ``request_meta``.
* **Pagination.** ``offset`` grows by ``limit`` (the source's ``page_size``, default
  :data:`DEFAULT_PAGE_SIZE`, the API allows 1000) until it reaches ``totalCount``, and at most
  ``max_pages`` pages per country (default :data:`DEFAULT_MAX_PAGES`): older reports are not worth the
  load. Pages are requested one after the other, each after the previous answered.
* The API writes ISO3 codes in lower case (``"iso3": "gin"``): the filter uses lower case, the parser
  upper case.
* Bodies that are not JSON, or JSON errors with HTTP 200, are kept as snapshots; the parser reports them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import JsonRequest, Response
from twisted.python.failure import Failure

from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.base import SourceSpider

APPNAME_VARIABLE = "COBASE_RELIEFWEB_APPNAME"
DEFAULT_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
QUERY = (
    '("rupture de stock" OR "ruptures de stock" OR "stock-out" OR "stock-outs" OR stockout OR stockouts'
    ' OR "out of stock" OR pénurie OR pénuries OR shortage OR shortages)'
    " AND (médicament OR médicaments OR medicine OR medicines OR drugs OR ARV OR antirétroviraux"
    " OR antiretroviral OR antiretrovirals OR insuline OR insulin)"
)
FIELDS = [
    "id",
    "title",
    "url",
    "url_alias",
    "date.original",
    "date.created",
    "source.name",
    "source.shortname",
    "primary_country.iso3",
    "country.iso3",
    "language.code",
    "format.name",
    "theme.name",
    "body-html",
]


class ReliefwebReportsSpider(SourceSpider):
    """Stock-out reports for every configured country, newest first, a bounded number of pages."""

    name = "reliefweb_reports"

    def __init__(
        self,
        base_url: str,
        appname: str = "",
        countries: Iterable[str] | str = (),
        max_pages: int | str | None = None,
        query: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        if not appname.strip():
            raise ValueError(f"reliefweb_reports needs an approved ReliefWeb appname: set {APPNAME_VARIABLE}")
        self.appname = appname.strip()
        if isinstance(countries, str):
            countries = countries.split(",")
        self.countries = [code.strip().upper() for code in countries if code.strip()]
        self.max_pages = int(max_pages) if max_pages else DEFAULT_MAX_PAGES
        self.query = query or QUERY
        self.limit = self.page_size or DEFAULT_PAGE_SIZE

    def start_requests(self) -> Iterator[Request]:
        for country in self.countries:
            yield self._page_request(country, page=1)

    def parse(self, response: Response) -> Iterator[Request | RawResponse]:
        meta = response.meta["cobase"]
        yield replace(self.raw(response, **meta), url=without_appname(response.url))
        next_offset = meta["offset"] + meta["limit"]
        if meta["page"] < self.max_pages and next_offset < self._total_count(response):
            yield self._page_request(meta["country"], page=meta["page"] + 1)

    def errback(self, failure: Failure) -> Iterator[FetchFailure]:
        """The base failure, without the appname, and naming the variable when the appname is refused."""
        response = getattr(failure.value, "response", None)
        for item in super().errback(failure):
            error = item.error.replace(item.url, without_appname(item.url))
            if response is not None and response.status in (401, 403):
                error += (
                    f": ReliefWeb refused the appname{_api_message(response)}; set {APPNAME_VARIABLE} to an "
                    "appname ReliefWeb has approved (https://apidoc.reliefweb.int/parameters#appname)"
                )
            yield replace(item, url=without_appname(item.url), error=error)

    def _page_request(self, country: str, page: int) -> Request:
        offset = (page - 1) * self.limit
        payload = {
            "query": {"value": self.query, "fields": ["title", "body"], "operator": "AND"},
            "filter": {"field": "primary_country.iso3", "value": country.lower()},
            "fields": {"include": FIELDS},
            "sort": ["date.original:desc", "id:desc"],
            "limit": self.limit,
            "offset": offset,
        }
        meta = {"country": country, "page": page, "offset": offset, "limit": self.limit, "query": self.query}
        return JsonRequest(
            f"{self.base_url}/v2/reports?{urlencode({'appname': self.appname})}",
            data=payload,
            callback=self.parse,
            errback=self.errback,
            meta={"cobase": meta},
        )

    @staticmethod
    def _total_count(response: Response) -> int:
        """``totalCount`` of a page; 0 when there is none (an error, a body that is not JSON)."""
        try:
            return int(json.loads(response.body)["totalCount"])
        except (ValueError, TypeError, LookupError):
            return 0


def without_appname(url: str) -> str:
    """``url`` without its ``appname`` parameter, to store and show."""
    parts = urlsplit(url)
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "appname"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def _api_message(response: Response) -> str:
    """`` (<the API's error message>)`` when the body is a ReliefWeb JSON error, else nothing."""
    try:
        error = json.loads(response.body)["error"]
        return f" ({error.get('type', 'error')}: {error['message']})"
    except (ValueError, TypeError, LookupError, AttributeError):
        return ""
