"""WHO Global Health Observatory (GHO) OData API: one indicator per request, ``{base_url}/api/{code}``.

The answer is OData JSON, ``{"@odata.context": ..., "value": [row, ...]}``; the rows are read by
:mod:`cobase.parse.who_gho`. This spider only does what fetching needs:

* **Pagination.** A large indicator comes in parts: the body ends with ``"@odata.nextLink"``, an absolute
  URL on ``https://ghoapi.azureedge.net`` with ``$skip``. The link is *rebased* onto the configured
  ``base_url``: its path and query are kept, its scheme and host replaced. So a mirror or a local test
  server is followed to its own next page instead of leaking to the public API.
* **Empty bodies.** Under load the API answers 200 with zero bytes (or only whitespace). Such a response
  is retried up to :data:`EMPTY_BODY_RETRIES` times (``dont_filter``: the URL was already seen), then
  recorded as a :class:`~crawlers.items.FetchFailure`; it is never kept as a snapshot.
* **Bodies that are not JSON** (an HTML error page from the CDN) are yielded all the same: the snapshot
  keeps them and the parser reports them as unreadable.
* Rows mix countries with WHO regions, World Bank income groups and the global total
  (``SpatialDimType``); that is for the parser to sort out.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"indicator": code, "page": n}`` (n counts from 1 along the nextLinks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.base import SourceSpider

EMPTY_BODY_RETRIES = 3
# An unescaped ``"@odata.nextLink"`` followed by a colon can only be an object key: inside a JSON string
# every quote is escaped. GHO pages put it after the ``value`` array, so the last one is the page's own.
_NEXT_LINK = re.compile(rb'"@odata\.nextLink"\s*:\s*("(?:[^"\\]|\\.)*")')
_EMPTY_RETRIES_KEY = "cobase_empty_body_retries"


class WhoGhoSpider(SourceSpider):
    """Every configured GHO indicator, all pages."""

    name = "who_gho"

    def start_requests(self) -> Iterator[Request]:
        for code in self.indicators:
            yield self.request(f"{self.base_url}/api/{code}", indicator=code, page=1)

    def parse(self, response: Response) -> Iterator[Request | RawResponse | FetchFailure]:
        meta = response.meta["cobase"]
        if not response.body.strip():
            yield self._retry_empty_body(response)
            return
        yield self.raw(response, indicator=meta["indicator"], page=meta["page"])
        if next_url := self._next_page_url(response):
            yield self.request(next_url, indicator=meta["indicator"], page=meta["page"] + 1)

    def _retry_empty_body(self, response: Response) -> Request | FetchFailure:
        """The same request again, or a failure once the retries are spent."""
        retries = response.meta.get(_EMPTY_RETRIES_KEY, 0)
        if retries >= EMPTY_BODY_RETRIES or response.request is None:
            error = f"empty body from {response.url} after {retries} retries"
            return self.failure(response.url, error, **response.meta["cobase"])
        self.logger.info(
            "Empty body from %s, retrying (%d/%d)", response.url, retries + 1, EMPTY_BODY_RETRIES
        )
        retry = response.request.replace(dont_filter=True)
        retry.meta[_EMPTY_RETRIES_KEY] = retries + 1
        return retry

    def _next_page_url(self, response: Response) -> str | None:
        """The ``@odata.nextLink`` of this page rebased onto ``base_url``, or None on the last page."""
        link = next_link(response.body)
        if not link:
            return None
        return self._rebase(response.urljoin(link))

    def _rebase(self, url: str) -> str:
        """``url`` with the scheme and host of ``base_url`` (path and query kept)."""
        base = urlsplit(self.base_url)
        link = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, link.path, link.query, ""))


def next_link(body: bytes) -> str | None:
    """The ``@odata.nextLink`` of a GHO page, found without decoding the whole page.

    Pages run to several megabytes and the parser decodes them anyway: a second full decode here cost a
    third of an unchanged refresh. A page that is not JSON has no next link (it is kept as a snapshot,
    and the parser says what is wrong with it).
    """
    found = _NEXT_LINK.match(body, max(body.rfind(b'"@odata.nextLink"'), 0))
    if found is None:
        return None
    try:
        link = json.loads(found.group(1))
    except ValueError:
        return None
    return link if isinstance(link, str) and link else None
