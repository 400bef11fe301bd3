"""World Bank Indicators API v2 (World Development Indicators), every country for one indicator per series.

``{base_url}/v2/country/all/indicator/{code}?format=json&per_page=N&page=P`` answers a two-element JSON
array, ``[metadata, records]``; the records are read by :mod:`cobase.parse.worldbank_wdi`. Quirks:

* **Pagination.** ``metadata`` carries ``page``, ``pages``, ``per_page``, ``total`` and ``lastupdated``.
  Page 1 is requested for each indicator; ``pages`` read from page 1 says which further pages (2..pages)
  to request. Pages past the end answer ``[metadata, null]``. ``per_page`` is the spider's ``page_size``
  argument (default :data:`DEFAULT_PAGE_SIZE`).
* **Errors come as 200.** A bad indicator code or parameter gives HTTP 200 with
  ``[{"message": [{"id": "120", "key": "Invalid value", "value": ...}]}]``. The spider keeps it as a
  snapshot like any other response and requests no further pages; the parser raises on it.
* **Aggregates are mixed with countries**: "all" countries includes regions, income groups and the world
  (``AFE``, ``SSF``, ``WLD``; some with an empty ``countryiso3code``). Harmonization tells them apart.
* The WDI health series republish WHO data (GHED, UHC index, workforce); see ``republishes`` in
  ``sources.yml``.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"indicator": code, "page": n}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

DEFAULT_PAGE_SIZE = 1000


class WorldbankWdiSpider(SourceSpider):
    """Every configured WDI indicator for all countries and aggregates, all pages."""

    name = "worldbank_wdi"

    def start_requests(self) -> Iterator[Request]:
        for code in self.indicators:
            yield self._page_request(code, page=1)

    def parse(self, response: Response) -> Iterator[Request | RawResponse]:
        meta = response.meta["cobase"]
        yield self.raw(response, indicator=meta["indicator"], page=meta["page"])
        # Only page 1 fans out, so a page is never requested twice.
        if meta["page"] == 1:
            for page in range(2, self._page_count(response) + 1):
                yield self._page_request(meta["indicator"], page=page)

    def _page_request(self, code: str, page: int) -> Request:
        query = urlencode({"format": "json", "per_page": self.page_size or DEFAULT_PAGE_SIZE, "page": page})
        return self.request(
            f"{self.base_url}/v2/country/all/indicator/{code}?{query}", indicator=code, page=page
        )

    @staticmethod
    def _page_count(response: Response) -> int:
        """``pages`` from the metadata; 1 when there is none (an error message, a body that is not JSON)."""
        try:
            return int(json.loads(response.body)[0]["pages"])
        except (ValueError, TypeError, LookupError):
            return 1
